package tokenizer

import (
	"container/heap"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// TrainConfig sets up training of a new byte-level BPE vocabulary.
type TrainConfig struct {
	// VocabSize is the size of the vocabulary to build, counting the 256 byte tokens
	// and the special tokens. Training stops earlier when no pair of tokens occurs
	// MinFrequency times any more.
	VocabSize int
	// SpecialTokens get the last ids, in this order. Nil means
	// {"<|endoftext|>"}; add "<|im_start|>" and "<|im_end|>" to get the ChatML
	// template instead of the plain one (see the package doc).
	SpecialTokens []string
	// MinFrequency is the fewest occurrences a pair needs to be merged; 0 means 2.
	MinFrequency int
	// Pattern is the pre-tokenisation pattern; "" means PatternGPT2.
	Pattern Pattern
}

// Trainer counts the words of a corpus and learns BPE merges from them.
type Trainer struct {
	cfg     TrainConfig
	scan    scanner
	special addedMatcher
	words   map[string]int64
}

// NewTrainer checks cfg and returns a trainer to Add text to.
func NewTrainer(cfg TrainConfig) (*Trainer, error) {
	if cfg.SpecialTokens == nil {
		cfg.SpecialTokens = []string{"<|endoftext|>"}
	}
	if cfg.MinFrequency <= 0 {
		cfg.MinFrequency = 2
	}
	if cfg.Pattern == "" {
		cfg.Pattern = PatternGPT2
	}
	tr := &Trainer{cfg: cfg, scan: cfg.Pattern.scanner(), words: make(map[string]int64)}
	if tr.scan == nil {
		return nil, fmt.Errorf("tokenizer: train: unknown pattern %q", cfg.Pattern)
	}
	if min := 256 + len(cfg.SpecialTokens); cfg.VocabSize < min {
		return nil, fmt.Errorf("tokenizer: train: vocab size %d is below the %d byte and special tokens", cfg.VocabSize, min)
	}
	if cfg.VocabSize > maxID {
		return nil, fmt.Errorf("tokenizer: train: vocab size %d is above the limit %d", cfg.VocabSize, maxID)
	}
	seen := map[string]bool{}
	var special []AddedToken
	for _, s := range cfg.SpecialTokens {
		if s == "" || !utf8.ValidString(s) || seen[s] {
			return nil, fmt.Errorf("tokenizer: train: special token %q is empty, invalid UTF-8 or repeated", s)
		}
		seen[s] = true
		special = append(special, AddedToken{Content: s, Special: true})
	}
	tr.special = newAddedMatcher(special)
	return tr, nil
}

// Add counts the words of one document. Special tokens in it are cut out and not
// learnt from.
func (tr *Trainer) Add(text string) {
	for text != "" {
		pos, tok := tr.special.next(text, true)
		if pos < 0 {
			tr.addOrdinary(text)
			return
		}
		tr.addOrdinary(text[:pos])
		text = text[pos+len(tok.Content):]
	}
}

func (tr *Trainer) addOrdinary(text string) {
	for i := 0; i < len(text); {
		j := tr.scan(text, i)
		w := text[i:j]
		if n, ok := tr.words[w]; ok {
			tr.words[w] = n + 1
		} else {
			tr.words[strings.Clone(w)] = 1 // w points into text: don't keep all of it
		}
		i = j
	}
}

// Train trains a tokenizer on texts (each one document).
func Train(cfg TrainConfig, texts ...string) (*Tokenizer, error) {
	tr, err := NewTrainer(cfg)
	if err != nil {
		return nil, err
	}
	for _, t := range texts {
		tr.Add(t)
	}
	return tr.Train()
}

// Train learns the merges and returns the tokenizer: ids 0..255 are the single
// bytes (in GPT-2's order), then one id per merge, then the special tokens.
//
// The algorithm is the classic one made incremental: each distinct word is kept
// once, as a sequence of token ids with its count; a table holds the count of
// every adjacent pair over the corpus and, for each pair, the words it occurs in;
// a max-heap orders pairs by count (ties: the smaller pair of ids). Applying a
// merge touches only the words that hold the pair and updates the counts of the
// pairs around it, so no merge recounts the corpus.
func (tr *Trainer) Train() (*Tokenizer, error) {
	cfg := tr.cfg
	order := byteOrder()
	var byteID [256]int32
	pieces := make([]string, 256, cfg.VocabSize)
	for id, b := range order {
		byteID[b] = int32(id)
		pieces[id] = string([]byte{b})
	}

	// Words as id sequences; words of one byte can never hold a pair.
	var words [][]int32
	var counts []int64
	for w, n := range tr.words {
		if len(w) < 2 {
			continue
		}
		ids := make([]int32, len(w))
		for i := 0; i < len(w); i++ {
			ids[i] = byteID[w[i]]
		}
		words = append(words, ids)
		counts = append(counts, n)
	}

	pairs := make(map[uint64]int64)
	where := make(map[uint64][]int32)
	for wi, w := range words {
		for i := 0; i+1 < len(w); i++ {
			k := pairKey(w[i], w[i+1])
			pairs[k] += counts[wi]
			if ws := where[k]; len(ws) == 0 || ws[len(ws)-1] != int32(wi) {
				where[k] = append(ws, int32(wi))
			}
		}
	}
	h := make(pairHeap, 0, len(pairs))
	for k, n := range pairs {
		h = append(h, pairCount{key: k, n: n})
	}
	heap.Init(&h)

	// Two merges can make the same string ("a"+"bc", "ab"+"c"): they share its id.
	pieceID := make(map[string]int32, cfg.VocabSize)
	for id, p := range pieces {
		pieceID[p] = int32(id)
	}
	nPieces := cfg.VocabSize - len(cfg.SpecialTokens)
	var merges [][2]int32
	seen := make([]int32, len(words)) // merge step that last touched each word, plus one
	fresh := make(map[uint64]bool)    // pairs holding the new token
	for len(pieces) < nPieces && h.Len() > 0 {
		top := heap.Pop(&h).(pairCount)
		if n := pairs[top.key]; n != top.n {
			if n > 0 { // the count went down since this entry was pushed
				heap.Push(&h, pairCount{key: top.key, n: n})
			}
			continue
		}
		if top.n < int64(cfg.MinFrequency) {
			break
		}
		a, b := int32(top.key>>32), int32(uint32(top.key))
		id, ok := pieceID[pieces[a]+pieces[b]]
		if !ok {
			id = int32(len(pieces))
			pieces = append(pieces, pieces[a]+pieces[b])
			pieceID[pieces[id]] = id
		}
		merges = append(merges, [2]int32{a, b})
		step := int32(len(merges))
		clear(fresh)
		for _, wi := range where[top.key] {
			if seen[wi] == step {
				continue
			}
			seen[wi] = step
			w, c := words[wi], counts[wi]
			if !holdsPair(w, a, b) {
				continue // the pair was merged away by an earlier merge
			}
			for i := 0; i+1 < len(w); i++ {
				pairs[pairKey(w[i], w[i+1])] -= c
			}
			w = mergePair(w, a, b, id)
			words[wi] = w
			for i := 0; i+1 < len(w); i++ {
				k := pairKey(w[i], w[i+1])
				pairs[k] += c
				if w[i] == id || w[i+1] == id {
					fresh[k] = true
					if ws := where[k]; len(ws) == 0 || ws[len(ws)-1] != wi {
						where[k] = append(ws, wi)
					}
				}
			}
		}
		delete(pairs, top.key)
		delete(where, top.key)
		for k := range fresh {
			if n := pairs[k]; n > 0 {
				heap.Push(&h, pairCount{key: k, n: n})
			}
		}
	}

	used := make([]bool, len(pieces))
	for i := range used {
		used[i] = true
	}
	var added []AddedToken
	for i, s := range cfg.SpecialTokens {
		added = append(added, AddedToken{ID: len(pieces) + i, Content: s, Special: true})
	}
	t, err := newTokenizer(pieces, used, merges, added, cfg.Pattern)
	if err != nil {
		return nil, errors.New("tokenizer: train: " + err.Error()) // a bug, not bad input
	}
	t.addedInVocab = map[int]bool{}
	return t, nil
}

func holdsPair(w []int32, a, b int32) bool {
	for i := 0; i+1 < len(w); i++ {
		if w[i] == a && w[i+1] == b {
			return true
		}
	}
	return false
}

// mergePair replaces each occurrence of (a, b) in w, left to right, by id.
func mergePair(w []int32, a, b, id int32) []int32 {
	out := w[:0]
	for i := 0; i < len(w); i++ {
		if i+1 < len(w) && w[i] == a && w[i+1] == b {
			out = append(out, id)
			i++
		} else {
			out = append(out, w[i])
		}
	}
	return out
}

type pairCount struct {
	key uint64
	n   int64
}

// pairHeap is a max-heap by count; ties go to the smaller pair of ids, which
// makes training deterministic.
type pairHeap []pairCount

func (h pairHeap) Len() int { return len(h) }
func (h pairHeap) Less(i, j int) bool {
	if h[i].n != h[j].n {
		return h[i].n > h[j].n
	}
	return h[i].key < h[j].key
}
func (h pairHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pairHeap) Push(x any)   { *h = append(*h, x.(pairCount)) }
func (h *pairHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
