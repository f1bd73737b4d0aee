package model

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/align-project/align/tensor"
)

func TestSamplerGreedyIsArgmax(t *testing.T) {
	s := &Sampler{probs: make([]float64, 5), idx: make([]int32, 5)}
	logits := []float32{0.1, 2, -1, 2, 0.5} // a tie goes to the first
	for _, o := range []SampleOptions{{}, {Temperature: 0, TopK: 3}} {
		tok, lp, err := s.Sample(logits, o, nil)
		if err != nil || tok != 1 {
			t.Fatalf("greedy: token %d, err %v; want 1", tok, err)
		}
		lse := 0.0
		for _, z := range logits {
			lse += math.Exp(float64(z))
		}
		if want := 2 - math.Log(lse); math.Abs(float64(lp)-want) > 1e-6 {
			t.Errorf("greedy log-prob %v, want %v", lp, want)
		}
	}
	if _, _, err := s.Sample([]float32{0, float32(math.NaN()), 1, 0, 0}, SampleOptions{}, nil); err == nil {
		t.Error("NaN logit: want an error")
	}
}

// counts draws n tokens from logits and returns their frequencies.
func counts(t *testing.T, logits []float32, o SampleOptions, n int) []float64 {
	t.Helper()
	s := &Sampler{probs: make([]float64, len(logits)), idx: make([]int32, len(logits))}
	rng := rand.New(rand.NewPCG(3, 4))
	freq := make([]float64, len(logits))
	for i := 0; i < n; i++ {
		tok, _, err := s.Sample(logits, o, rng)
		if err != nil {
			t.Fatal(err)
		}
		freq[tok] += 1 / float64(n)
	}
	return freq
}

func TestSamplerDistribution(t *testing.T) {
	// probabilities 0.5, 0.3, 0.15, 0.05 at temperature 1
	p := []float64{0.5, 0.3, 0.15, 0.05}
	logits := make([]float32, len(p))
	for i, v := range p {
		logits[i] = float32(math.Log(v))
	}
	n := 20000
	if testing.Short() {
		n = 5000
	}
	near := func(name string, got, want []float64) {
		t.Helper()
		for i := range got {
			if math.Abs(got[i]-want[i]) > 0.03 {
				t.Errorf("%s: frequencies %.3f, want %.3f", name, got, want)
				return
			}
		}
	}
	near("full", counts(t, logits, SampleOptions{Temperature: 1}, n), p)
	near("top-k 2", counts(t, logits, SampleOptions{Temperature: 1, TopK: 2}, n), []float64{0.625, 0.375, 0, 0})
	near("top-p 0.7", counts(t, logits, SampleOptions{Temperature: 1, TopP: 0.7}, n), []float64{0.625, 0.375, 0, 0})
	near("top-p 0.9", counts(t, logits, SampleOptions{Temperature: 1, TopP: 0.9}, n), []float64{0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0})
	// temperature 2 flattens: p ∝ sqrt(p)
	sq, z := make([]float64, len(p)), 0.0
	for i, v := range p {
		sq[i] = math.Sqrt(v)
		z += sq[i]
	}
	for i := range sq {
		sq[i] /= z
	}
	near("temperature 2", counts(t, logits, SampleOptions{Temperature: 2}, n), sq)
}

func TestGenerateTopK1IsGreedy(t *testing.T) {
	m := newRough(t, decodeCfg, 4)
	prompts := [][]int32{{1, 2}, {3, 4, 5, 6}}
	greedy, err := m.Generate(prompts, SampleOptions{MaxNewTokens: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	topk, err := m.Generate(prompts, SampleOptions{MaxNewTokens: 10, Temperature: 1.5, TopK: 1}, rand.New(rand.NewPCG(5, 6)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range prompts {
		if !slices.Equal(greedy[i].Tokens, topk[i].Tokens) {
			t.Errorf("prompt %d: top-k 1 gave %v, greedy %v", i, topk[i].Tokens, greedy[i].Tokens)
		}
	}
}

func TestGenerateStopTokens(t *testing.T) {
	m := newRough(t, decodeCfg, 5)
	prompts := [][]int32{{1, 2, 3}, {7}}
	free, err := m.Generate(prompts, SampleOptions{MaxNewTokens: 12}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := free[0].Tokens[3]
	got, err := m.Generate(prompts, SampleOptions{MaxNewTokens: 12, StopTokens: []int32{stop}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range prompts {
		want := free[i].Tokens
		if k := slices.Index(want, stop); k >= 0 {
			want = want[:k+1]
			if !got[i].Stopped {
				t.Errorf("prompt %d: not marked stopped", i)
			}
		} else if got[i].Stopped || len(got[i].Tokens) != 12 {
			t.Errorf("prompt %d: stopped %v after %d tokens without a stop token", i, got[i].Stopped, len(got[i].Tokens))
		}
		if !slices.Equal(got[i].Tokens, want) {
			t.Errorf("prompt %d: %v, want %v", i, got[i].Tokens, want)
		}
	}
}

func TestGenerateSeeded(t *testing.T) {
	m := newRough(t, decodeCfg, 6)
	prompts := [][]int32{{1, 2}, {3}, {4, 5, 6}}
	opts := SampleOptions{MaxNewTokens: 15, Temperature: 1, TopP: 0.95}
	run := func(seed uint64) []Sample {
		s, err := m.Generate(prompts, opts, rand.New(rand.NewPCG(seed, 0)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b, c := run(1), run(1), run(2)
	same := func(x, y []Sample) bool {
		for i := range x {
			if !slices.Equal(x[i].Tokens, y[i].Tokens) || !slices.Equal(x[i].LogProbs, y[i].LogProbs) {
				return false
			}
		}
		return true
	}
	if !same(a, b) {
		t.Error("same seed gave different samples")
	}
	if same(a, c) {
		t.Error("different seeds gave identical samples")
	}
}

func TestGenerateContextLimit(t *testing.T) {
	m := newRough(t, decodeCfg, 7)
	T := m.Config.Context
	prompt := make([]int32, T-3)
	got, err := m.Generate([][]int32{prompt, {1}}, SampleOptions{MaxNewTokens: 10}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if huge, err := m.Generate([][]int32{{1}}, SampleOptions{MaxNewTokens: math.MaxInt}, nil); err != nil || len(huge[0].Tokens) != T-1 {
		t.Errorf("unbounded generation: %v, err %v; want the context filled", huge, err)
	}
	if len(got[0].Tokens) != 3 || len(got[1].Tokens) != 10 {
		t.Errorf("generated %d and %d tokens, want 3 (context full) and 10", len(got[0].Tokens), len(got[1].Tokens))
	}
}

func TestGenerateErrors(t *testing.T) {
	m := newRough(t, decodeCfg, 8)
	rng := rand.New(rand.NewPCG(1, 1))
	ok := SampleOptions{MaxNewTokens: 4, Temperature: 1}
	for name, tc := range map[string]struct {
		prompts [][]int32
		opts    SampleOptions
		rng     *rand.Rand
	}{
		"no prompts":       {nil, ok, rng},
		"empty prompt":     {[][]int32{{1}, {}}, ok, rng},
		"token too large":  {[][]int32{{int32(m.Config.VocabSize)}}, ok, rng},
		"negative token":   {[][]int32{{-1}}, ok, rng},
		"prompt too long":  {[][]int32{make([]int32, m.Config.Context)}, ok, rng},
		"no new tokens":    {[][]int32{{1}}, SampleOptions{Temperature: 1}, rng},
		"bad temperature":  {[][]int32{{1}}, SampleOptions{MaxNewTokens: 1, Temperature: float32(math.NaN())}, rng},
		"bad top-p":        {[][]int32{{1}}, SampleOptions{MaxNewTokens: 1, Temperature: 1, TopP: 1.5}, rng},
		"bad stop token":   {[][]int32{{1}}, SampleOptions{MaxNewTokens: 1, StopTokens: []int32{99}}, rng},
		"sampling, no rng": {[][]int32{{1}}, ok, nil},
	} {
		if _, err := m.Generate(tc.prompts, tc.opts, tc.rng); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	m.W.Qkvw[5] = float32(math.NaN())
	if _, err := m.Generate([][]int32{{1}}, ok, rng); err == nil {
		t.Error("NaN weight: want an error")
	}
}

func TestSelectFirst(t *testing.T) {
	rng := newRNG(11)
	for trial := 0; trial < 200; trial++ {
		n := 1 + rng.IntN(60)
		s := make([]int32, n)
		for i := range s {
			s[i] = int32(rng.IntN(20)) // many ties
		}
		k := 1 + rng.IntN(n)
		sorted := slices.Clone(s)
		slices.Sort(sorted)
		cmp := func(a, b int32) int { return int(a - b) }
		selectFirst(s, k, cmp)
		first := slices.Clone(s[:k])
		slices.Sort(first)
		if !slices.Equal(first, sorted[:k]) {
			t.Fatalf("n=%d k=%d: first %v, want %v", n, k, first, sorted[:k])
		}
	}
}

// Samples do not depend on how many workers the kernels use.
func TestGenerateThreadIndependent(t *testing.T) {
	checkGenerateThreadIndependent(t, newRough(t, decodeCfg, 9), 12)
}

// checkGenerateThreadIndependent samples m with 1, 2 and 3 kernel workers
// from one random stream and fails unless the samples are the same.
func checkGenerateThreadIndependent(t *testing.T, m *Model, maxNew int) {
	t.Helper()
	prompts := [][]int32{{1, 2, 3, 4, 5}, {6}, {7, 8}}
	opts := SampleOptions{MaxNewTokens: maxNew, Temperature: 0.9, TopK: 10}
	defer tensor.SetThreads(tensor.Threads())
	var runs [][]Sample
	for _, threads := range []int{1, 2, 3} {
		tensor.SetThreads(threads)
		s, err := m.Generate(prompts, opts, rand.New(rand.NewPCG(8, 9)))
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, s)
	}
	for _, r := range runs[1:] {
		for i := range r {
			if !slices.Equal(r[i].Tokens, runs[0][i].Tokens) || !slices.Equal(r[i].LogProbs, runs[0][i].LogProbs) {
				t.Fatalf("prompt %d: samples depend on the thread count", i)
			}
		}
	}
}
