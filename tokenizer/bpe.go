package tokenizer

import "container/heap"

// bpe splits word into tokens: starting from single bytes, it repeatedly applies
// the lowest-ranked merge among adjacent pairs, the leftmost one on a tie (as GPT-2
// and HF tokenizers do), until no merge applies.
func (t *Tokenizer) bpe(word string, syms []int32) []int32 {
	for i := 0; i < len(word); i++ {
		syms = append(syms, t.byteID[word[i]])
	}
	if len(syms) > longWord {
		return t.bpeLong(syms)
	}
	return t.bpeShort(syms)
}

// bpeShort is bpe for ordinary words: after each merge it rescans the pairs' ranks,
// which it keeps beside the symbols.
func (t *Tokenizer) bpeShort(syms []int32) []int32 {
	// ranks[i] is the merge of syms[i] and syms[i+1]; rank -1 means none.
	var rbuf [64]merge
	ranks := rbuf[:0]
	for i := 0; i+1 < len(syms); i++ {
		ranks = append(ranks, t.lookup(syms[i], syms[i+1]))
	}
	for {
		best := -1
		for i, m := range ranks {
			if m.rank >= 0 && (best < 0 || m.rank < ranks[best].rank) {
				best = i
			}
		}
		if best < 0 {
			return syms
		}
		syms[best] = ranks[best].id
		syms = append(syms[:best+1], syms[best+2:]...)
		ranks = append(ranks[:best], ranks[best+1:]...)
		if best > 0 {
			ranks[best-1] = t.lookup(syms[best-1], syms[best])
		}
		if best < len(ranks) {
			ranks[best] = t.lookup(syms[best], syms[best+1])
		}
	}
}

func (t *Tokenizer) lookup(a, b int32) merge {
	if m, ok := t.merges[pairKey(a, b)]; ok {
		return m
	}
	return merge{rank: -1}
}

// longWord is the length above which bpe switches from rescanning all pairs after
// each merge (quadratic, fastest for ordinary words) to a heap of candidate merges.
const longWord = 128

// bpeLong is bpe for long words: the symbols form a linked list and a heap holds
// every adjacent pair that has a merge, keyed by (rank, position); entries made
// stale by an earlier merge are recognised and dropped when popped.
func (t *Tokenizer) bpeLong(syms []int32) []int32 {
	n := len(syms)
	prev := make([]int32, n)
	next := make([]int32, n)
	for i := range syms {
		prev[i] = int32(i - 1)
		next[i] = int32(i + 1)
	}
	next[n-1] = -1
	h := &mergeHeap{}
	push := func(i int32) {
		j := next[i]
		if j < 0 {
			return
		}
		if m := t.lookup(syms[i], syms[j]); m.rank >= 0 {
			heap.Push(h, candidate{rank: m.rank, pos: i, left: syms[i], right: syms[j]})
		}
	}
	for i := int32(0); i < int32(n)-1; i++ {
		push(i)
	}
	for h.Len() > 0 {
		c := heap.Pop(h).(candidate)
		i := c.pos
		j := next[i]
		if syms[i] != c.left || j < 0 || syms[j] != c.right || syms[i] < 0 {
			continue // stale
		}
		syms[i] = t.merges[pairKey(c.left, c.right)].id
		syms[j] = -1 // removed
		next[i] = next[j]
		if next[j] >= 0 {
			prev[next[j]] = i
		}
		if prev[i] >= 0 {
			push(prev[i])
		}
		push(i)
	}
	out := syms[:0]
	for i := int32(0); i >= 0; i = next[i] {
		out = append(out, syms[i])
	}
	return out
}

type candidate struct {
	rank, pos   int32
	left, right int32
}

type mergeHeap []candidate

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	return h[i].pos < h[j].pos
}
func (h mergeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)   { *h = append(*h, x.(candidate)) }
func (h *mergeHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}
