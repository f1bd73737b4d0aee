package tokenizer

import (
	"fmt"
	"sort"
	"strings"
)

// Tokenizer is a byte-level BPE tokenizer. It is safe for concurrent use.
type Tokenizer struct {
	vocab  map[string]int32 // raw bytes of a BPE token → id
	pieces []string         // id → raw bytes it decodes to ("" for an unused id)
	used   []bool           // id → whether the id names a token

	byteID    [256]int32       // id of each single byte
	merges    map[uint64]merge // (left id, right id) → rank and result
	mergeList [][2]int32       // the merges in rank order, for saving

	pattern Pattern
	scan    scanner
	nfc     bool // normalise ordinary text to NFC before splitting it
	// ignoreMerges: a word that is itself a token is emitted whole (HF's
	// ignore_merges), before any merge is tried.
	ignoreMerges bool

	added   []AddedToken // sorted by id
	addedBy map[string]int
	match   addedMatcher
	// addedInVocab: added tokens that the file's vocabulary also lists (GPT-2's
	// <|endoftext|>); a saved tokenizer.json lists them there too.
	addedInVocab map[int]bool

	// chat and gen come from the tokenizer_config.json and
	// generation_config.json of a model directory (nil without them).
	chat *chatTemplate
	gen  *genConfig

	cache wordCache
}

// AddedToken is a token matched in text as a whole before BPE runs, like
// `<|endoftext|>` or `<|im_start|>`. Special tokens are matched only when the
// caller allows it (Options.AllowSpecial); other added tokens always are.
type AddedToken struct {
	ID      int
	Content string
	Special bool
}

// merge is one BPE merge: the pair it applies to becomes token id, and lower
// ranks are applied first.
type merge struct {
	rank int32
	id   int32
}

// maxID bounds token ids, so that a corrupt file cannot make us allocate a huge table.
const maxID = 1 << 21

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// newTokenizer checks and indexes a vocabulary. pieces[id] is the raw byte string of
// each BPE token (used[id] false for ids that name none); merges are pairs of ids
// in rank order; added tokens may reuse ids of pieces. Errors name the problem
// only: callers add the file and field.
func newTokenizer(pieces []string, used []bool, merges [][2]int32, added []AddedToken, pattern Pattern) (*Tokenizer, error) {
	t := &Tokenizer{
		vocab:     make(map[string]int32, len(pieces)),
		pieces:    pieces,
		used:      used,
		merges:    make(map[uint64]merge, len(merges)),
		mergeList: merges,
		pattern:   pattern,
		scan:      pattern.scanner(),
		addedBy:   make(map[string]int, len(added)),
	}
	if t.scan == nil {
		return nil, fmt.Errorf("unknown pre-tokenizer pattern %q", pattern)
	}
	addedIDs := make(map[int]bool, len(added))
	for _, a := range added {
		if a.ID < 0 || a.ID >= maxID {
			return nil, fmt.Errorf("added token %q has id %d out of range", a.Content, a.ID)
		}
		if a.Content == "" {
			return nil, fmt.Errorf("added token %d is empty", a.ID)
		}
		if _, dup := t.addedBy[a.Content]; dup {
			return nil, fmt.Errorf("added token %q appears twice", a.Content)
		}
		if addedIDs[a.ID] {
			return nil, fmt.Errorf("two added tokens have id %d", a.ID)
		}
		addedIDs[a.ID] = true
		t.addedBy[a.Content] = a.ID
		t.added = append(t.added, a)
	}
	sort.Slice(t.added, func(i, j int) bool { return t.added[i].ID < t.added[j].ID })
	for i := range t.byteID {
		t.byteID[i] = -1
	}
	for id, p := range pieces {
		if !used[id] || addedIDs[id] {
			continue
		}
		if prev, dup := t.vocab[p]; dup {
			return nil, fmt.Errorf("tokens %d and %d are both %q", prev, id, toByteLevel(p))
		}
		t.vocab[p] = int32(id)
		if len(p) == 1 {
			t.byteID[p[0]] = int32(id)
		}
	}
	for b, id := range t.byteID {
		if id < 0 {
			return nil, fmt.Errorf("no token for byte 0x%02x (%q): a byte-level vocabulary needs all 256", b, string(byteToRune[b]))
		}
	}
	for rank, m := range merges {
		a, b := m[0], m[1]
		if a < 0 || int(a) >= len(pieces) || !used[a] || b < 0 || int(b) >= len(pieces) || !used[b] {
			return nil, fmt.Errorf("merge %d: unknown token id", rank)
		}
		id, ok := t.vocab[pieces[a]+pieces[b]]
		if !ok {
			return nil, fmt.Errorf("merge %d (%q %q): result not in vocab", rank, toByteLevel(pieces[a]), toByteLevel(pieces[b]))
		}
		if _, dup := t.merges[pairKey(a, b)]; !dup {
			t.merges[pairKey(a, b)] = merge{rank: int32(rank), id: id}
		}
	}
	// Grow the id space to cover added tokens outside the vocabulary.
	for _, a := range t.added {
		for a.ID >= len(t.pieces) {
			t.pieces = append(t.pieces, "")
			t.used = append(t.used, false)
		}
		t.pieces[a.ID] = a.Content
		t.used[a.ID] = true
	}
	t.match = newAddedMatcher(t.added)
	t.cache.init()
	return t, nil
}

// markAddedInVocab records which added tokens vocab (token string → id) lists.
func (t *Tokenizer) markAddedInVocab(vocab map[string]int) {
	t.addedInVocab = make(map[int]bool)
	for _, a := range t.added {
		if id, ok := vocab[a.Content]; ok && id == a.ID {
			t.addedInVocab[a.ID] = true
		}
	}
}

// VocabSize is the number of token ids: one more than the largest id. Models size
// their embedding table with it.
func (t *Tokenizer) VocabSize() int { return len(t.pieces) }

// NumMerges is the number of BPE merges.
func (t *Tokenizer) NumMerges() int { return len(t.mergeList) }

// Pattern is the pre-tokenisation pattern.
func (t *Tokenizer) Pattern() Pattern { return t.pattern }

// AddedTokens lists the added tokens (special or not) in id order.
func (t *Tokenizer) AddedTokens() []AddedToken { return append([]AddedToken(nil), t.added...) }

// IsSpecial reports whether id is a special added token, such as <|endoftext|>.
func (t *Tokenizer) IsSpecial(id int) bool {
	i := sort.Search(len(t.added), func(i int) bool { return t.added[i].ID >= id })
	return i < len(t.added) && t.added[i].ID == id && t.added[i].Special
}

// TokenID returns the id of an added token by its content (`<|endoftext|>`) or of a
// BPE token by the raw text it stands for (" the").
func (t *Tokenizer) TokenID(s string) (int, bool) {
	if id, ok := t.addedBy[s]; ok {
		return id, true
	}
	id, ok := t.vocab[s]
	return int(id), ok
}

// TokenText returns the raw text of token id (possibly a fragment of a UTF-8
// character) and whether id names a token.
func (t *Tokenizer) TokenText(id int) (string, bool) {
	if id < 0 || id >= len(t.pieces) || !t.used[id] {
		return "", false
	}
	return t.pieces[id], true
}

// Decode returns the text of a sequence of ids, added tokens included. It is the
// exact inverse of Encode: Decode(Encode(s)) == s for every string s (when the
// tokenizer normalises to NFC, for every NFC string s). The result may end in the
// middle of a UTF-8 character when the ids do.
func (t *Tokenizer) Decode(ids []int) (string, error) {
	n := 0
	for i, id := range ids {
		if id < 0 || id >= len(t.pieces) || !t.used[id] {
			return "", fmt.Errorf("tokenizer: decode: id %d at position %d is not a token", id, i)
		}
		n += len(t.pieces[id])
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, id := range ids {
		sb.WriteString(t.pieces[id])
	}
	return sb.String(), nil
}

// AppendDecoded appends the text of ids to dst, skipping ids that name no token.
// Streaming servers use it token by token.
func (t *Tokenizer) AppendDecoded(dst []byte, ids ...int) []byte {
	for _, id := range ids {
		if id >= 0 && id < len(t.pieces) {
			dst = append(dst, t.pieces[id]...)
		}
	}
	return dst
}
