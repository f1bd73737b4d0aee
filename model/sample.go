package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// SampleOptions controls Generate.
type SampleOptions struct {
	MaxNewTokens int     // tokens to generate per prompt at most (> 0)
	Temperature  float32 // logits are divided by it; 0 means greedy (argmax)
	TopK         int     // sample among the K most likely tokens only; 0 = all
	TopP         float32 // sample from the smallest set holding this probability; 0 or 1 = all
	StopTokens   []int32 // a sequence ends after producing any of these
}

// Sample is what Generate produced for one prompt.
type Sample struct {
	Tokens []int32 // generated tokens without the prompt, ending with the stop token if one came
	// LogProbs[i] is the log-probability of Tokens[i] under softmax(logits /
	// Temperature) over the whole vocabulary, before top-k/top-p truncation
	// (temperature 1 when greedy): the quantity LogProbs recomputes for PPO.
	LogProbs []float32
	Stopped  bool // ended on a stop token (otherwise MaxNewTokens or the context ran out)
}

func (o SampleOptions) validate(v int) error {
	switch {
	case o.MaxNewTokens <= 0:
		return fmt.Errorf("max new tokens must be positive, got %d", o.MaxNewTokens)
	case !(o.Temperature >= 0) || math.IsInf(float64(o.Temperature), 0):
		return fmt.Errorf("temperature must be a finite number ≥ 0, got %v", o.Temperature)
	case o.TopK < 0:
		return fmt.Errorf("top-k must be ≥ 0, got %d", o.TopK)
	case !(o.TopP >= 0 && o.TopP <= 1):
		return fmt.Errorf("top-p must be in [0, 1], got %v", o.TopP)
	}
	if err := checkTokens(o.StopTokens, v); err != nil {
		return fmt.Errorf("stop tokens: %w", err)
	}
	return nil
}

// Generate continues each prompt by sampling, all prompts in one batch with
// a key/value cache (see Decoder: prompts may differ in length). Sampling
// draws from rng only, one number per token for each unfinished sequence in
// order, so the same model, prompts, options and rng state give the same
// samples. rng may be nil for greedy decoding.
func (m *Model) Generate(prompts [][]int32, opts SampleOptions, rng *rand.Rand) ([]Sample, error) {
	cfg := m.Config
	if err := m.checkGenerate(prompts, opts, rng); err != nil {
		return nil, fmt.Errorf("model generate: %w", err)
	}
	B, V := len(prompts), cfg.VocabSize
	longest := 0
	for _, p := range prompts {
		longest = max(longest, len(p))
	}
	limit := cfg.Context // longest prompt plus the new tokens, within the context
	if opts.MaxNewTokens < cfg.Context {
		limit = min(limit, longest+opts.MaxNewTokens)
	}
	d := m.decoder
	if d == nil || d.batch != B || d.maxLen < limit {
		m.decoder = nil // let the old cache go before allocating a new one
		var err error
		if d, err = m.NewDecoder(B, limit); err != nil {
			return nil, fmt.Errorf("model generate: %w", err)
		}
		m.decoder = d
	} else {
		d.w16 = m.bf16Copy() // the weights may have changed since the last call
	}
	d.Reset()
	logits, err := d.Append(prompts)
	if err != nil {
		return nil, fmt.Errorf("model generate: %w", err)
	}
	out := make([]Sample, B)
	active := make([]bool, B)
	next := make([][]int32, B)
	one := make([]int32, B)
	room := min(opts.MaxNewTokens, limit)
	for i := range out {
		out[i].Tokens = make([]int32, 0, room)
		out[i].LogProbs = make([]float32, 0, room)
		active[i] = true
	}
	s := &Sampler{probs: make([]float64, V), idx: make([]int32, V)}
	for {
		more := false
		for i := range out {
			next[i] = nil
			if !active[i] {
				continue
			}
			tok, lp, err := s.Sample(logits[i*V:(i+1)*V], opts, rng)
			if err != nil {
				return nil, fmt.Errorf("model generate: sequence %d: %w", i, err)
			}
			o := &out[i]
			o.Tokens = append(o.Tokens, tok)
			o.LogProbs = append(o.LogProbs, lp)
			switch {
			case slices.Contains(opts.StopTokens, tok):
				o.Stopped, active[i] = true, false
			case len(o.Tokens) == opts.MaxNewTokens || d.Len(i)+1 >= limit:
				active[i] = false
			default:
				one[i] = tok
				next[i] = one[i : i+1]
				more = true
			}
		}
		if !more {
			return out, nil
		}
		if logits, err = d.Append(next); err != nil {
			return nil, fmt.Errorf("model generate: %w", err)
		}
	}
}

func (m *Model) checkGenerate(prompts [][]int32, opts SampleOptions, rng *rand.Rand) error {
	cfg := m.Config
	if len(prompts) == 0 {
		return errors.New("no prompts")
	}
	if err := opts.validate(cfg.VocabSize); err != nil {
		return err
	}
	if rng == nil && opts.Temperature > 0 {
		return errors.New("sampling with temperature > 0 needs an rng")
	}
	for i, p := range prompts {
		if len(p) == 0 {
			return fmt.Errorf("prompt %d is empty: at least one token is needed", i)
		}
		if len(p) >= cfg.Context {
			return fmt.Errorf("prompt %d has %d tokens, leaving no room in the context of %d", i, len(p), cfg.Context)
		}
		if err := checkTokens(p, cfg.VocabSize); err != nil {
			return fmt.Errorf("prompt %d: %w", i, err)
		}
	}
	return m.CheckFinite()
}

// Sampler draws tokens from rows of logits with temperature, top-k and top-p
// (opts.MaxNewTokens and opts.StopTokens are not its business). Its zero
// value is ready; it keeps scratch between calls, so it is not safe for
// concurrent use. Generate and the server share it.
type Sampler struct {
	probs []float64 // unnormalised probabilities at the temperature
	idx   []int32   // candidate ids, most likely first
}

// Sample draws a token from logits (V) following opts and returns it with its
// log-probability under softmax(logits / temperature). A temperature of 0 is
// greedy (the first maximum); NaN or infinite logits are an error.
func (s *Sampler) Sample(logits []float32, opts SampleOptions, rng *rand.Rand) (int32, float32, error) {
	if len(s.probs) < len(logits) {
		s.probs, s.idx = make([]float64, len(logits)), make([]int32, len(logits))
	}
	temp := float64(opts.Temperature)
	greedy := temp <= 0
	if greedy {
		temp = 1
	}
	arg, mx := 0, logits[0]
	for j, z := range logits {
		if z-z != 0 {
			return 0, 0, fmt.Errorf("logit %d is %v", j, z)
		}
		if z > mx {
			arg, mx = j, z
		}
	}
	var sum float64
	p := s.probs[:len(logits)]
	for j, z := range logits {
		p[j] = math.Exp(float64(z-mx) / temp)
		sum += p[j]
	}
	logp := func(j int) float32 { return float32(float64(logits[j]-mx)/temp - math.Log(sum)) }
	if greedy {
		return int32(arg), logp(arg), nil
	}
	V := len(logits)
	truncK := opts.TopK > 0 && opts.TopK < V
	truncP := opts.TopP > 0 && opts.TopP < 1
	if !truncK && !truncP {
		u := rng.Float64() * sum
		last := arg
		for j, pj := range p {
			if pj > 0 {
				last = j
			}
			if u -= pj; u < 0 {
				return int32(j), logp(j), nil
			}
		}
		return int32(last), logp(last), nil
	}
	// Tokens whose probability is at most (1-TopP)/V hold at most 1-TopP in
	// total, so the nucleus lies among the others: sort only those.
	floor := 0.0
	if truncP {
		floor = (1 - float64(opts.TopP)) / float64(V) * sum
	}
	cand := s.idx[:0]
	for j, pj := range p {
		if pj > floor || j == arg {
			cand = append(cand, int32(j))
		}
	}
	byProb := func(a, b int32) int {
		switch {
		case p[a] > p[b]:
			return -1
		case p[a] < p[b]:
			return 1
		}
		return int(a - b)
	}
	if truncK && len(cand) > opts.TopK {
		selectFirst(cand, opts.TopK, byProb)
		cand = cand[:opts.TopK]
	}
	slices.SortFunc(cand, byProb)
	mass := 0.0
	for n, j := range cand {
		mass += p[j]
		if truncP && mass >= float64(opts.TopP)*sum {
			cand = cand[:n+1]
			break
		}
	}
	u := rng.Float64() * mass
	for _, j := range cand {
		if u -= p[j]; u < 0 {
			return j, logp(int(j)), nil
		}
	}
	j := cand[len(cand)-1]
	return j, logp(int(j)), nil
}

// selectFirst reorders s so that its k smallest elements under cmp (a total
// order) come first, in no particular order: Hoare's quickselect with a
// median-of-three pivot, deterministic and O(len(s)) on average.
func selectFirst(s []int32, k int, cmp func(a, b int32) int) {
	lo, hi := 0, len(s)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if cmp(s[mid], s[lo]) < 0 {
			s[mid], s[lo] = s[lo], s[mid]
		}
		if cmp(s[hi], s[lo]) < 0 {
			s[hi], s[lo] = s[lo], s[hi]
		}
		if cmp(s[hi], s[mid]) < 0 {
			s[hi], s[mid] = s[mid], s[hi]
		}
		pivot := s[mid]
		i, j := lo, hi
		for i <= j {
			for cmp(s[i], pivot) < 0 {
				i++
			}
			for cmp(s[j], pivot) > 0 {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			return
		}
	}
}
