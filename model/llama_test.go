package model

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// llamaInputs returns B·T token ids drawn from seed.
func llamaInputs(cfg Config, b, t int, seed uint64) []int32 {
	rng := newRNG(seed)
	in := make([]int32, b*t)
	for i := range in {
		in[i] = int32(rng.IntN(cfg.VocabSize))
	}
	return in
}

func TestLlamaForwardMatchesReference(t *testing.T) {
	const B, T = 2, 11
	for _, tc := range llamaCases {
		t.Run(tc.name, func(t *testing.T) {
			m := roughLlama(t, tc.cfg, 1)
			in := llamaInputs(tc.cfg, B, T, 2)
			if err := m.Forward(in, B, T); err != nil {
				t.Fatal(err)
			}
			logits, scalars := refLlamaForward(tc.cfg, llamaParams64(m), in, B, T)
			if e := maxRelDiff(m.Logits(), logits); e > 1e-4 {
				t.Errorf("logits differ from the float64 reference by %.3g", e)
			}
			if tc.cfg.ScalarHeads > 0 {
				if e := maxRelDiff(m.Scalars(), scalars); e > 1e-4 {
					t.Errorf("scalars differ from the float64 reference by %.3g", e)
				}
			}
		})
	}
}

// TestLlamaGrad checks a few entries of every tensor kind (first and last
// layer) against central differences of the reference, for the objective
// J = Σ r·logits + Σ s·scalars.
func TestLlamaGrad(t *testing.T) {
	const B, T = 2, 7
	for _, tc := range llamaCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			m := roughLlama(t, cfg, 3)
			in := llamaInputs(cfg, B, T, 4)
			if err := m.Forward(in, B, T); err != nil {
				t.Fatal(err)
			}
			r := randSlice(newRNG(5), len(m.DLogits()), 1)
			s := randSlice(newRNG(6), len(m.DScalars()), 1)
			copy(m.DLogits(), r)
			copy(m.DScalars(), s)
			m.ZeroGrad()
			if err := m.Backward(); err != nil {
				t.Fatal(err)
			}
			p := llamaParams64(m)
			objective := func() float64 {
				logits, scalars := refLlamaForward(cfg, p, in, B, T)
				return dot64(logits, r) + dot64(scalars, s)
			}
			rng := newRNG(7)
			for _, tn := range m.Tensors() {
				if !(isLayer(tn.Name, 0) || isLayer(tn.Name, cfg.Layers-1) || !isLayer(tn.Name, -1)) {
					continue
				}
				// Fused tensors are perturbed through their parts.
				width := len(tn.Data) / tn.Shape[0]
				var diff, norm float64
				for k := 0; k < 4; k++ {
					i := rng.IntN(len(tn.Data))
					x, j := partOf(p, tn, i, width)
					const h = 1e-5
					orig := x[j]
					x[j] = orig + h
					fp := objective()
					x[j] = orig - h
					fm := objective()
					x[j] = orig
					num := (fp - fm) / (2 * h)
					diff += math.Pow(float64(tn.Grad[i])-num, 2)
					norm += num * num
				}
				if rel := math.Sqrt(diff / math.Max(norm, 1e-12)); rel > 1e-3 && math.Sqrt(diff) > 1e-5 {
					t.Errorf("%s: gradient differs from finite differences by %.3g (relative)", tn.Name, rel)
				}
			}
		})
	}
}

// isLayer reports whether name belongs to layer l (any layer for l = −1).
func isLayer(name string, l int) bool {
	if l < 0 {
		return strings.HasPrefix(name, "model.layers.")
	}
	return strings.HasPrefix(name, "model.layers."+strconv.Itoa(l)+".")
}

// partOf returns the float64 slice of p holding element i of tn, and the
// index within it.
func partOf(p map[string][]float64, tn Tensor, i, width int) ([]float64, int) {
	if tn.Parts == nil {
		return p[tn.Name], i
	}
	row := i / width
	for _, part := range tn.Parts {
		if row < part.Rows {
			return p[part.Name], row*width + i%width
		}
		row -= part.Rows
	}
	panic("index outside the parts")
}

func TestLlamaDecoderMatchesForward(t *testing.T) {
	for _, tc := range llamaCases {
		t.Run(tc.name, func(t *testing.T) {
			m := roughLlama(t, tc.cfg, 8)
			V := tc.cfg.VocabSize
			rng := newRNG(9)
			randSeq := func(n int) []int32 {
				s := make([]int32, n)
				for i := range s {
					s[i] = int32(rng.IntN(V))
				}
				return s
			}
			seqs := [][]int32{randSeq(3), randSeq(7), randSeq(1)}
			d, err := m.NewDecoder(len(seqs), tc.cfg.Context)
			if err != nil {
				t.Fatal(err)
			}
			chunks := [][][]int32{seqs, {randSeq(1), randSeq(1), randSeq(1)}, {randSeq(2), nil, randSeq(4)}, {nil, randSeq(1), randSeq(3)}}
			for step, chunk := range chunks {
				logits, err := d.Append(chunk)
				if err != nil {
					t.Fatal(err)
				}
				for i := range seqs {
					if step > 0 {
						seqs[i] = append(seqs[i], chunk[i]...)
					}
					want := lastLogits(t, m, seqs[i])
					if e := relErr(logits[i*V:(i+1)*V], want); e > 1e-4 {
						t.Errorf("step %d, sequence %d: cached logits differ from a full forward by %.3g", step, i, e)
					}
				}
			}
		})
	}
}

// TestLlamaOverfit trains on one batch with AdamW: the loss must fall, which
// exercises the description's decay mask and the whole backward pass.
func TestLlamaOverfit(t *testing.T) {
	cfg := llamaCases[3].cfg
	m, err := New(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	const B, T = 2, 12
	in, tg := llamaInputs(cfg, B, T, 3), llamaInputs(cfg, B, T, 4)
	opt, err := NewOptimizer(m, DefaultAdamW())
	if err != nil {
		t.Fatal(err)
	}
	var first, last float32
	for step := 0; step < 30; step++ {
		if err := m.Forward(in, B, T); err != nil {
			t.Fatal(err)
		}
		loss, err := m.LMLoss(tg, nil)
		if err != nil {
			t.Fatal(err)
		}
		m.ZeroGrad()
		if err := m.Backward(); err != nil {
			t.Fatal(err)
		}
		if _, err := opt.Step(3e-3); err != nil {
			t.Fatal(err)
		}
		if step == 0 {
			first = loss
		}
		last = loss
	}
	if !(last < first*0.5) {
		t.Errorf("loss went from %v to %v in 30 steps", first, last)
	}
}

// LogProbs and the scalar-only path run unchanged on a Llama model.
func TestLlamaLogProbsAndScalarOnly(t *testing.T) {
	cfg := llamaCases[2].cfg // has scalar heads
	m := roughLlama(t, cfg, 21)
	seqs := [][]int32{llamaInputs(cfg, 1, 9, 22), llamaInputs(cfg, 1, 5, 23)}
	prompts := []int{3, 2}
	lps, _, err := m.LogProbs(seqs, prompts, 1)
	if err != nil {
		t.Fatal(err)
	}
	V := cfg.VocabSize
	for i, s := range seqs {
		padded := append(slices.Clone(s), make([]int32, 9-len(s))...)
		logits, _ := refLlamaForward(cfg, llamaParams64(m), padded, 1, 9)
		for j, lp := range lps[i] {
			p := prompts[i] + j // token p, predicted by the logits at p−1
			row := logits[(p-1)*V : p*V]
			want := row[s[p]]
			var sum float64
			for _, z := range row {
				sum += math.Exp(z)
			}
			want -= math.Log(sum)
			if math.Abs(float64(lp)-want) > 1e-4 {
				t.Errorf("sequence %d token %d: log-prob %v, reference %v", i, p, lp, want)
			}
		}
	}
	m.SetComputeLogits(false)
	in := llamaInputs(cfg, 2, 6, 24)
	if err := m.Forward(in, 2, 6); err != nil {
		t.Fatal(err)
	}
	copy(m.DScalars(), randSlice(newRNG(25), len(m.DScalars()), 1))
	m.ZeroGrad()
	if err := m.Backward(); err != nil {
		t.Fatal(err)
	}
	if allZero(m.G.Headw) || allZero(m.lg.qkvw) {
		t.Error("scalar-only backward left the head or the blocks without gradient")
	}
}

// Llama training is deterministic for a seed, and generation does not
// depend on the thread count, as for GPT-2.
func TestLlamaDeterministic(t *testing.T) {
	cfg := llamaCases[3].cfg
	run := func() ([]float32, []float32) {
		m, err := New(cfg, 42)
		if err != nil {
			t.Fatal(err)
		}
		inputs, targets := fixedBatch(cfg, 3, 8, 2)
		return trainSteps(t, m, inputs, targets, 3, 8, 5, 1e-3), m.Params()
	}
	l1, p1 := run()
	l2, p2 := run()
	if !slices.Equal(l1, l2) || !slices.Equal(p1, p2) {
		t.Error("two identical runs differ")
	}

	checkGenerateThreadIndependent(t, roughLlama(t, cfg, 9), 10)
}
