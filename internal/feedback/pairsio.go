package feedback

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/align-project/align/internal/feedback/store"
)

// pairLine is one line of the pairs format (DESIGN.md), from align generate:
// {"prompt", "responses": [a, b], "tags"?, "id"?}. "gold" marks a gold item
// with its known answer: 0 or 1 (the index of the better response), or
// "A", "B", "tie", "bad".
type pairLine struct {
	ID        json.RawMessage `json:"id"`
	Prompt    string          `json:"prompt"`
	Responses []string        `json:"responses"`
	Tags      []string        `json:"tags"`
	Gold      json.RawMessage `json:"gold"`
}

// ReadPairs parses JSON lines of pairs. Errors name the line.
func ReadPairs(r io.Reader) ([]store.Pair, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	var out []store.Pair
	for n := 1; sc.Scan(); n++ {
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
		if len(pl.Responses) != 2 {
			return nil, fmt.Errorf("line %d: want 2 responses, got %d (the annotation app compares pairs)", n, len(pl.Responses))
		}
		p := store.Pair{Prompt: pl.Prompt, ResponseA: pl.Responses[0], ResponseB: pl.Responses[1], Tags: pl.Tags}
		if len(pl.ID) > 0 && string(pl.ID) != "null" {
			var s string
			if json.Unmarshal(pl.ID, &s) != nil {
				s = string(pl.ID) // a number
			}
			p.ExtID = s
		}
		if len(pl.Gold) > 0 && string(pl.Gold) != "null" {
			g, err := parseGold(pl.Gold)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			p.Gold = g
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read pairs: %w", err)
	}
	return out, nil
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
