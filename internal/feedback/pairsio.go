package feedback

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/feedback/store"
)

// pairLine is one line of the pairs format (DESIGN.md), from align generate:
// {"prompt", "responses": [a, b, …], "tags"?, "id"?}. "gold" marks a gold
// item with its known answer: 0 or 1 (the index of the better response), or
// "A", "B", "tie", "bad".
type pairLine struct {
	ID        json.RawMessage `json:"id"`
	Prompt    string          `json:"prompt"`
	Responses []string        `json:"responses"`
	Tags      []string        `json:"tags"`
	Gold      json.RawMessage `json:"gold"`
}

// MaxRankingResponses is the most responses one line may rank (as
// data.MaxResponses): its K(K−1)/2 comparisons, 120 for 16, all go to
// annotators.
const MaxRankingResponses = data.MaxResponses

// rankingTag marks the items of one ranking in the store: the annotation app
// compares two responses at a time, so a line of K responses becomes its
// K(K−1)/2 pairs, each tagged rankingTag+<ranking id>. Export gives them
// that id, the group key reward training reads.
const rankingTag = "ranking:"

// ReadPairs parses JSON lines of pairs. A line of two responses is one item;
// a line of K > 2 (a ranking, as 'align generate --n K' writes) is one item
// per two distinct responses, ids "<ranking id>#<i>-<j>", where the ranking
// id is the line's "id" or, without one, a hash of its content (see
// data.PairID) so that importing the file again adds nothing. Errors name
// the line.
func ReadPairs(r io.Reader) ([]store.Pair, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxPairLine)
	var out []store.Pair
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var pl pairLine
		dec := json.NewDecoder(bytes.NewReader(line))
		if err := dec.Decode(&pl); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if pl.Prompt == "" {
			return nil, fmt.Errorf("line %d: missing \"prompt\"", n)
		}
		k := len(pl.Responses)
		if k < 2 || k > MaxRankingResponses {
			return nil, fmt.Errorf("line %d: %d responses: want 2 to %d (a pair, or a ranking whose every two responses are compared); split a larger ranking into lines of the same prompt", n, k, MaxRankingResponses)
		}
		if len(pl.Prompt) > store.MaxPromptLen {
			return nil, fmt.Errorf("line %d: \"prompt\" is longer than %d KiB", n, store.MaxPromptLen>>10)
		}
		for i, resp := range pl.Responses {
			if resp == "" {
				return nil, fmt.Errorf("line %d: \"responses[%d]\" is empty", n, i)
			}
			if len(resp) > store.MaxResponseLen {
				return nil, fmt.Errorf("line %d: \"responses[%d]\" is longer than %d KiB", n, i, store.MaxResponseLen>>10)
			}
		}
		var id string
		if len(pl.ID) > 0 && string(pl.ID) != "null" {
			if json.Unmarshal(pl.ID, &id) != nil {
				id = string(pl.ID) // a number
			}
		}
		if len(id) > maxIDLen {
			return nil, fmt.Errorf("line %d: \"id\" is longer than %d characters", n, maxIDLen)
		}
		var gold store.Preference
		if len(pl.Gold) > 0 && string(pl.Gold) != "null" {
			if k != 2 {
				return nil, fmt.Errorf("line %d: \"gold\" needs exactly 2 responses, this line has %d", n, k)
			}
			g, err := parseGold(pl.Gold)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			gold = g
		}
		if k == 2 {
			out = append(out, store.Pair{ExtID: id, Prompt: pl.Prompt, ResponseA: pl.Responses[0], ResponseB: pl.Responses[1], Tags: pl.Tags, Gold: gold})
			continue
		}
		if id == "" {
			id = data.PairID(data.Pair{Prompt: pl.Prompt, Responses: pl.Responses})
		}
		tags := append(slices.Clip(pl.Tags), rankingTag+id)
		for i := 0; i < k; i++ {
			for j := i + 1; j < k; j++ {
				if pl.Responses[i] == pl.Responses[j] {
					continue // nothing to compare (the AI judge skips them too)
				}
				out = append(out, store.Pair{ExtID: fmt.Sprintf("%s#%d-%d", id, i, j), Prompt: pl.Prompt,
					ResponseA: pl.Responses[i], ResponseB: pl.Responses[j], Tags: tags})
			}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("line %d: longer than %d MiB", n+1, maxPairLine>>20)
		}
		return nil, fmt.Errorf("read pairs: %w", err)
	}
	return out, nil
}

const (
	maxPairLine = 4 << 20 // the longest line ReadPairs reads
	// maxIDLen leaves room in the store's 200 characters for the
	// "#<i>-<j>" of a ranking's items.
	maxIDLen = 190
)

// rankingOf is the id of the ranking a stored pair came from, or "".
func rankingOf(p store.Pair) string {
	for _, t := range p.Tags {
		if id, ok := strings.CutPrefix(t, rankingTag); ok {
			return id
		}
	}
	return ""
}

func parseGold(raw json.RawMessage) (store.Preference, error) {
	var i int
	if json.Unmarshal(raw, &i) == nil {
		switch i {
		case 0:
			return store.PrefA, nil
		case 1:
			return store.PrefB, nil
		}
		return "", fmt.Errorf("\"gold\": index %d is not 0 or 1", i)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("\"gold\": %w", err)
	}
	p := store.Preference(s)
	if strings.EqualFold(s, "a") || strings.EqualFold(s, "b") {
		p = store.Preference(strings.ToUpper(s))
	}
	if !p.Valid() {
		return "", fmt.Errorf("\"gold\": %q is not A, B, tie or bad", s)
	}
	return p, nil
}
