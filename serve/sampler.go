package serve

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/align-project/align/model"
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

// sampler draws tokens from rows of logits with the model's own sampler, and
// adds what the API reports: log-probabilities at temperature 1 and the most
// likely alternatives. The scheduler owns one.
type sampler struct {
	draw model.Sampler
}

// sample draws a token from logits (V) following o and rng, and returns it
// with its log-probability under softmax(logits) (temperature 1) and the o.topN
// most likely tokens, when o asks for log-probabilities. Greedy decoding
// picks the first maximum, as model.Generate does. Non-finite logits are an
// error.
func (s *sampler) sample(logits []float32, o sampling, rng *rand.Rand) (tok int32, lp float32, top []candidate, err error) {
	V := len(logits)
	arg, mx := 0, logits[0]
	for j, z := range logits {
		if z-z != 0 {
			return 0, 0, nil, fmt.Errorf("logit %d is %v", j, z)
		}
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
		opts := model.SampleOptions{Temperature: float32(o.temperature), TopK: o.topK, TopP: float32(o.topP)}
		if tok, _, err = s.draw.Sample(logits, opts, rng); err != nil {
			return 0, 0, nil, err
		}
	}
	if !o.logprobs {
		return tok, 0, nil, nil
	}
	if o.topN > 0 {
		top = topTokens(logits, min(o.topN, V))
		for i := range top {
			top[i].logprob = logp(top[i].id)
		}
	}
	return tok, logp(tok), top, nil
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
