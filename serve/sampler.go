package serve

import (
	"math"
	"math/rand/v2"
	"slices"
)

// sampling is how one sequence draws its tokens.
type sampling struct {
	temperature float64 // 0: greedy
	topK        int     // 0: all tokens
	topP        float64 // 1: all tokens; 0: the most likely token only
	logprobs    bool    // report the log-probability of each token
	topN        int     // and of the topN most likely tokens (0..20)
}

// candidate is a token with its log-probability.
type candidate struct {
	id      int32
	logprob float32
}

// sampler holds the scratch for drawing tokens from rows of logits. The
// scheduler owns one.
type sampler struct {
	probs []float64 // exp((z - max) / T) per token
	idx   []int32   // candidate ids
}

// sample draws a token from logits (V) following o and rng, and returns it
// with its log-probability under softmax(logits) (temperature 1) and the o.topN
// most likely tokens, when o asks for log-probabilities. Greedy decoding
// picks the first maximum, as model.Generate does.
func (s *sampler) sample(logits []float32, o sampling, rng *rand.Rand) (tok int32, lp float32, top []candidate) {
	V := len(logits)
	arg, mx := 0, logits[0]
	for j, z := range logits {
		if z > mx {
			arg, mx = j, z
		}
	}
	var logZ float64 // log Σ exp(z - max) at temperature 1
	if o.logprobs {
		var sum float64
		for _, z := range logits {
			sum += math.Exp(float64(z - mx))
		}
		logZ = math.Log(sum)
	}
	logp := func(j int32) float32 { return float32(float64(logits[j]-mx) - logZ) }
	tok = int32(arg)
	if o.temperature > 0 && o.topP > 0 && o.topK != 1 {
		tok = s.draw(logits, mx, arg, o, rng)
	}
	if !o.logprobs {
		return tok, 0, nil
	}
	if o.topN > 0 {
		top = topTokens(logits, min(o.topN, V))
		for i := range top {
			top[i].logprob = logp(top[i].id)
		}
	}
	return tok, logp(tok), top
}

// draw samples from softmax(logits / T) restricted to the top-k tokens and
// then to the top-p nucleus.
func (s *sampler) draw(logits []float32, mx float32, arg int, o sampling, rng *rand.Rand) int32 {
	V := len(logits)
	if len(s.probs) < V {
		s.probs, s.idx = make([]float64, V), make([]int32, V)
	}
	p := s.probs[:V]
	var sum float64
	for j, z := range logits {
		p[j] = math.Exp(float64(z-mx) / o.temperature)
		sum += p[j]
	}
	truncK := o.topK > 0 && o.topK < V
	truncP := o.topP < 1
	if !truncK && !truncP {
		u := rng.Float64() * sum
		for j, pj := range p {
			if u -= pj; u < 0 {
				return int32(j)
			}
		}
		return int32(arg)
	}
	// The nucleus lies among tokens above (1-topP)/V of the mass: tokens at or
	// below it hold at most 1-topP together. Sort only those above.
	floor := 0.0
	if truncP {
		floor = (1 - o.topP) / float64(V) * sum
	}
	cand := s.idx[:0]
	for j, pj := range p {
		if pj > floor || j == arg {
			cand = append(cand, int32(j))
		}
	}
	slices.SortFunc(cand, func(a, b int32) int {
		switch {
		case p[a] > p[b]:
			return -1
		case p[a] < p[b]:
			return 1
		}
		return int(a - b)
	})
	if truncK && len(cand) > o.topK {
		cand = cand[:o.topK]
	}
	mass := 0.0
	for n, j := range cand {
		mass += p[j]
		if truncP && mass >= o.topP*sum {
			cand = cand[:n+1]
			break
		}
	}
	u := rng.Float64() * mass
	for _, j := range cand {
		if u -= p[j]; u < 0 {
			return j
		}
	}
	return cand[len(cand)-1]
}

// topTokens returns the n tokens with the largest logits, largest first
// (ties: the smaller id first), by insertion into a short sorted list.
func topTokens(logits []float32, n int) []candidate {
	top := make([]candidate, 0, n+1)
	better := func(a int32, b candidate) bool { return logits[a] > logits[b.id] }
	for j := range logits {
		id := int32(j)
		if len(top) == n && !better(id, top[n-1]) {
			continue
		}
		i := len(top)
		for i > 0 && better(id, top[i-1]) {
			i--
		}
		top = slices.Insert(top, i, candidate{id: id})
		if len(top) > n {
			top = top[:n]
		}
	}
	return top
}
