package tokenizer

import (
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/text/unicode/norm"
)

// Options control Encode.
type Options struct {
	// AllowSpecial makes special added tokens such as `<|endoftext|>` written in the
	// text encode as their single id. Without it they are ordinary text, which is
	// what untrusted input (a user's prompt) needs. Added tokens that are not
	// special (Qwen's `<think>`) are always matched, as in HF tokenizers.
	AllowSpecial bool
}

// Encode returns the ids of text, treating special tokens in it as plain text.
func (t *Tokenizer) Encode(text string) []int {
	return t.AppendEncode(nil, text, Options{})
}

// EncodeWith returns the ids of text under the given options.
func (t *Tokenizer) EncodeWith(text string, o Options) []int {
	return t.AppendEncode(nil, text, o)
}

// AppendEncode appends the ids of text to dst.
func (t *Tokenizer) AppendEncode(dst []int, text string, o Options) []int {
	// English averages over four bytes a token: one allocation usually suffices.
	dst = slices.Grow(dst, len(text)/4+1)
	for text != "" {
		pos, tok := t.match.next(text, o.AllowSpecial)
		if pos < 0 {
			return t.appendOrdinary(dst, text)
		}
		dst = t.appendOrdinary(dst, text[:pos])
		dst = append(dst, tok.ID)
		text = text[pos+len(tok.Content):]
	}
	return dst
}

// EncodeBatch encodes texts in parallel on all CPUs; result i is the ids of texts[i].
func (t *Tokenizer) EncodeBatch(texts []string, o Options) [][]int {
	out := make([][]int, len(texts))
	workers := min(runtime.GOMAXPROCS(0), len(texts))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(texts) {
					return
				}
				out[i] = t.AppendEncode(nil, texts[i], o)
			}
		}()
	}
	wg.Wait()
	return out
}

// appendOrdinary encodes text that holds no added token.
func (t *Tokenizer) appendOrdinary(dst []int, text string) []int {
	if t.nfc && !norm.NFC.IsNormalString(text) {
		text = norm.NFC.String(text)
	}
	for i := 0; i < len(text); {
		j := t.scan(text, i)
		dst = t.appendWord(dst, text[i:j])
		i = j
	}
	return dst
}

// appendWord appends the BPE tokens of one pre-tokenised word.
func (t *Tokenizer) appendWord(dst []int, word string) []int {
	if len(word) == 1 {
		return append(dst, int(t.byteID[word[0]]))
	}
	if t.ignoreMerges {
		if id, ok := t.vocab[word]; ok {
			return append(dst, int(id))
		}
	}
	if ids, ok := t.cache.get(word); ok {
		for _, id := range ids {
			dst = append(dst, int(id))
		}
		return dst
	}
	var buf [64]int32
	ids := t.bpe(word, buf[:0])
	if len(word) <= maxCachedWord {
		t.cache.put(word, ids)
	}
	for _, id := range ids {
		dst = append(dst, int(id))
	}
	return dst
}

// The cache remembers the tokens of words up to maxCachedWord bytes; a shard that
// grows past cacheShardCap entries is emptied (text has few distinct frequent
// words, so this keeps the hit rate high at bounded memory).
const (
	maxCachedWord = 64
	cacheShards   = 32
	cacheShardCap = 1 << 13
)

type wordCache struct {
	shards [cacheShards]cacheShard
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[string][]int32
	_  [32]byte // keep shards on separate cache lines
}

func (c *wordCache) init() {
	for i := range c.shards {
		c.shards[i].m = make(map[string][]int32)
	}
}

func (c *wordCache) shard(word string) *cacheShard {
	// FNV-1a over the word's bytes: words are short.
	h := uint32(2166136261)
	for i := 0; i < len(word); i++ {
		h = (h ^ uint32(word[i])) * 16777619
	}
	return &c.shards[h%cacheShards]
}

func (c *wordCache) get(word string) ([]int32, bool) {
	s := c.shard(word)
	s.mu.RLock()
	ids, ok := s.m[word]
	s.mu.RUnlock()
	return ids, ok
}

func (c *wordCache) put(word string, ids []int32) {
	s := c.shard(word)
	s.mu.Lock()
	if len(s.m) >= cacheShardCap {
		s.m = make(map[string][]int32)
	}
	// Copy both: word points into the caller's text and ids into its stack buffer.
	s.m[strings.Clone(word)] = append([]int32(nil), ids...)
	s.mu.Unlock()
}

// addedMatcher finds added tokens in text, longest first where two start at the
// same place.
type addedMatcher struct {
	byFirst [256][]AddedToken // tokens by first byte, longest first
	first   []byte            // the distinct first bytes
}

func newAddedMatcher(added []AddedToken) addedMatcher {
	var m addedMatcher
	for _, a := range added {
		c := a.Content[0]
		if m.byFirst[c] == nil {
			m.first = append(m.first, c)
		}
		m.byFirst[c] = append(m.byFirst[c], a)
	}
	for _, c := range m.first {
		toks := m.byFirst[c]
		sort.SliceStable(toks, func(i, j int) bool { return len(toks[i].Content) > len(toks[j].Content) })
	}
	return m
}

// next returns the position and token of the first added token in text that may
// be matched, or -1.
func (m *addedMatcher) next(text string, allowSpecial bool) (int, AddedToken) {
	if len(m.first) == 0 {
		return -1, AddedToken{}
	}
	for i := 0; i < len(text); {
		var j int
		if len(m.first) == 1 {
			j = strings.IndexByte(text[i:], m.first[0])
		} else {
			j = indexAnyByte(text[i:], &m.byFirst)
		}
		if j < 0 {
			return -1, AddedToken{}
		}
		i += j
		for _, a := range m.byFirst[text[i]] {
			if (allowSpecial || !a.Special) && strings.HasPrefix(text[i:], a.Content) {
				return i, a
			}
		}
		i++
	}
	return -1, AddedToken{}
}

func indexAnyByte(s string, set *[256][]AddedToken) int {
	for i := 0; i < len(s); i++ {
		if set[s[i]] != nil {
			return i
		}
	}
	return -1
}

// Int32s converts token ids to the int32 ids the model takes.
func Int32s(ids []int) []int32 {
	out := make([]int32, len(ids))
	for i, id := range ids {
		out[i] = int32(id)
	}
	return out
}

// Ints converts the model's int32 token ids back to the ids Decode takes.
func Ints(ids []int32) []int {
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out
}
