package train

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// Rows is a training set cut into fixed-length rows: each row holds T+1
// tokens, whose first T are the model's inputs and last T its targets, and
// T loss weights, one per target. Weights nil means every target counts
// fully (pretraining); SFT sets 0 on prompt and padding targets.
type Rows struct {
	T       int
	Tokens  []int32   // (N, T+1)
	Weights []float32 // (N, T), or nil for all ones
}

// Len is the number of rows.
func (r *Rows) Len() int {
	if r == nil || r.T == 0 {
		return 0
	}
	return len(r.Tokens) / (r.T + 1)
}

// NumTargets is the number of target tokens with a non-zero weight.
func (r *Rows) NumTargets() int {
	if r.Weights == nil {
		return r.Len() * r.T
	}
	n := 0
	for _, w := range r.Weights {
		if w > 0 {
			n++
		}
	}
	return n
}

// fill copies row i into the inputs, targets and weights of batch slot b.
func (r *Rows) fill(i, b int, inputs, targets []int32, weights []float32) {
	T := r.T
	src := r.Tokens[i*(T+1) : (i+1)*(T+1)]
	copy(inputs[b*T:(b+1)*T], src[:T])
	copy(targets[b*T:(b+1)*T], src[1:])
	w := weights[b*T : (b+1)*T]
	if r.Weights == nil {
		for j := range w {
			w[j] = 1
		}
	} else {
		copy(w, r.Weights[i*T:(i+1)*T])
	}
}

// PackStream cuts one token stream into rows of T+1 tokens that overlap by
// one (row k starts at token k·T), so every token but the first is a target
// exactly once. A tail too short for a whole row is dropped. weights, if not
// nil, is one weight per token of stream: the weight of predicting that
// token.
func PackStream(stream []int32, weights []float32, T int) *Rows {
	r := &Rows{T: T}
	if weights != nil {
		r.Weights = []float32{}
	}
	for start := 0; start+T+1 <= len(stream); start += T {
		r.Tokens = append(r.Tokens, stream[start:start+T+1]...)
		if weights != nil {
			r.Weights = append(r.Weights, weights[start+1:start+T+1]...)
		}
	}
	return r
}

// PackDocuments joins documents into one stream with eos after each and
// packs it into rows of T+1 tokens (see PackStream): the pretraining layout.
func PackDocuments(docs [][]int32, eos int32, T int) *Rows {
	var stream []int32
	for _, d := range docs {
		stream = append(stream, d...)
		stream = append(stream, eos)
	}
	return PackStream(stream, nil, T)
}

// Example is one rendered SFT conversation: its token ids and, per token,
// whether it is trained on (an assistant reply or its end-of-turn token).
type Example struct {
	IDs  []int32
	Mask []bool
}

// PackExamples lays SFT examples out as rows. With pack, the examples are
// concatenated into one stream and cut into full rows (see PackStream), so
// no compute goes to padding; a reply may then start in one row and end in
// the next. Without pack, each example gets a row of its own, cut to its
// last T+1 tokens (the start of a long prompt goes, as SampleResponses does
// at inference) and padded with pad tokens of weight 0. A target's weight is 1
// where the mask marks it, else 0; rows without any weighted target are
// dropped.
func PackExamples(exs []Example, T int, pack bool, pad int32) *Rows {
	var r *Rows
	if pack {
		var stream []int32
		var weights []float32
		for _, e := range exs {
			for i, id := range e.IDs {
				stream = append(stream, id)
				weights = append(weights, b2f(e.Mask[i]))
			}
		}
		r = PackStream(stream, weights, T)
	} else {
		r = &Rows{T: T, Weights: []float32{}}
		for _, e := range exs {
			ids, mask := e.IDs, e.Mask
			if len(ids) > T+1 { // keep the end: the reply and its EOS
				ids, mask = ids[len(ids)-T-1:], mask[len(mask)-T-1:]
			}
			n := len(ids)
			for i := range T + 1 {
				if i < n {
					r.Tokens = append(r.Tokens, ids[i])
				} else {
					r.Tokens = append(r.Tokens, pad)
				}
				if i > 0 {
					w := float32(0)
					if i < n {
						w = b2f(mask[i])
					}
					r.Weights = append(r.Weights, w)
				}
			}
		}
	}
	return r.dropUnweighted()
}

// dropUnweighted removes rows whose weights are all zero.
func (r *Rows) dropUnweighted() *Rows {
	if r.Weights == nil {
		return r
	}
	T := r.T
	out := &Rows{T: T, Weights: []float32{}}
	for i := range r.Len() {
		w := r.Weights[i*T : (i+1)*T]
		any := false
		for _, x := range w {
			if x > 0 {
				any = true
				break
			}
		}
		if any {
			out.Tokens = append(out.Tokens, r.Tokens[i*(T+1):(i+1)*(T+1)]...)
			out.Weights = append(out.Weights, w...)
		}
	}
	return out
}

// SplitTail moves the last fraction of rows (at least one when fraction >
// 0 and there are two or more rows) into a held-out set: the fallback split
// for a corpus that is one long document.
func (r *Rows) SplitTail(fraction float64) (train, heldOut *Rows) {
	n := r.Len()
	k := int(float64(n) * fraction)
	if fraction > 0 && k == 0 && n > 1 {
		k = 1
	}
	return r.slice(0, n-k), r.slice(n-k, n)
}

func (r *Rows) slice(lo, hi int) *Rows {
	T := r.T
	s := &Rows{T: T, Tokens: r.Tokens[lo*(T+1) : hi*(T+1)]}
	if r.Weights != nil {
		s.Weights = r.Weights[lo*T : hi*T]
	}
	return s
}

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

// sampler deals rows in a fresh random order every epoch. The order of
// epoch e depends only on the seed and e, so the position (rows dealt so
// far) is all a checkpoint needs to continue the same sequence.
type sampler struct {
	n     int
	seed  uint64
	pos   int64 // rows dealt so far, over all epochs
	epoch int64 // epoch of perm, or -1
	perm  []int
}

func newSampler(n int, seed uint64, pos int64) (*sampler, error) {
	if n == 0 {
		return nil, errors.New("no training rows: the data is shorter than one context window")
	}
	if pos < 0 {
		return nil, fmt.Errorf("data position %d is negative", pos)
	}
	return &sampler{n: n, seed: seed, pos: pos, epoch: -1}, nil
}

// next returns the index of the next row.
func (s *sampler) next() int {
	e, i := s.pos/int64(s.n), int(s.pos%int64(s.n))
	if e != s.epoch {
		rng := rand.New(rand.NewPCG(s.seed, 0x747261696e^uint64(e))) // "train"
		s.perm = rng.Perm(s.n)
		s.epoch = e
	}
	s.pos++
	return s.perm[i]
}

// epochs is the fractional number of passes over the data so far.
func (s *sampler) epochs() float64 { return float64(s.pos) / float64(s.n) }
