package model

import (
	"math"
	"slices"
	"testing"
)

// refLogProbEntropy is log softmax(z/tau)[tok] and the entropy −Σ p·log p of
// softmax(z/tau), in float64 from the definitions.
func refLogProbEntropy(z []float64, tok int, tau float64) (logp, ent float64) {
	lse := math.Inf(-1)
	for _, v := range z {
		lse = math.Max(lse, v/tau)
	}
	var sum float64
	for _, v := range z {
		sum += math.Exp(v/tau - lse)
	}
	lse += math.Log(sum)
	for _, v := range z {
		lp := v/tau - lse
		ent -= math.Exp(lp) * lp
	}
	return z[tok]/tau - lse, ent
}

// TestLogProbEntropyGrad checks one row's gradient of a·log p(tok) + b·H
// against central differences of the float64 definitions, on an odd
// vocabulary at several temperatures, and that the log-prob and entropy it
// returns are LogProbEntropy's to the bit.
func TestLogProbEntropyGrad(t *testing.T) {
	rng := newRNG(21)
	const V = 13
	for _, tau := range []float64{1, 0.7, 1.9} {
		z32 := randSlice(rng, V, 2)
		z := to64(z32)
		tok := rng.IntN(V)
		a, b := rng.NormFloat64(), rng.NormFloat64()
		dz := make([]float32, V)
		lp, ent := logProbEntropyGrad(dz, z32, tok, tau, a, b)
		if wantLp, wantEnt := LogProbEntropy(z32, tok, tau); lp != wantLp || ent != wantEnt {
			t.Errorf("τ %v: log p %v entropy %v, LogProbEntropy gives %v %v", tau, lp, ent, wantLp, wantEnt)
		}
		if refLp, refEnt := refLogProbEntropy(z, tok, tau); math.Abs(lp-refLp) > 1e-6 || math.Abs(ent-refEnt) > 1e-6 {
			t.Errorf("τ %v: log p %v entropy %v, float64 reference %v %v", tau, lp, ent, refLp, refEnt)
		}
		f := func() float64 {
			lp, ent := refLogProbEntropy(z, tok, tau)
			return a*lp + b*ent
		}
		checkRel(t, "dz", gradCheck(f, z, dz), 1e-5)
	}
}

// logProbCfg has odd sizes everywhere: vocabulary, context, heads, channels
// and a head size of 3.
var logProbCfg = Config{VocabSize: 13, Context: 7, Layers: 2, Heads: 3, Channels: 9}

// TestLogProbGrads checks LogProbGrads followed by Backward against central
// differences, in every parameter, of J = Σ dlogp·log p + dent·H computed by
// the float64 reference model, on ragged sequences with prompts of different
// lengths (one with a single response token) and random weights.
func TestLogProbGrads(t *testing.T) {
	seeds := []uint64{31, 32}
	if testing.Short() {
		seeds = seeds[:1]
	}
	cfg := logProbCfg
	V := cfg.VocabSize
	for _, seed := range seeds {
		for _, withEntropy := range []bool{true, false} {
			rng := newRNG(seed)
			m := newRough(t, cfg, seed)
			lens, plens := []int{7, 4, 6}, []int{2, 1, 5}
			seqs := make([][]int32, len(lens))
			dlogp, dent := make([][]float64, len(lens)), make([][]float64, len(lens))
			for i, n := range lens {
				seqs[i] = make([]int32, n)
				for j := range seqs[i] {
					seqs[i][j] = int32(rng.IntN(V))
				}
				dlogp[i], dent[i] = make([]float64, n-plens[i]), make([]float64, n-plens[i])
				for j := range dlogp[i] {
					dlogp[i][j], dent[i][j] = rng.NormFloat64(), rng.NormFloat64()
				}
			}
			if !withEntropy {
				dent = nil
			}
			const tau = 0.8
			lp, ent, err := m.LogProbs(seqs, plens, tau)
			if err != nil {
				t.Fatal(err)
			}
			// Fill DLogits with junk: LogProbGrads must replace all of it.
			for i := range m.DLogits() {
				m.DLogits()[i] = 1
			}
			if err := m.LogProbGrads(seqs, plens, tau, dlogp, dent); err != nil {
				t.Fatal(err)
			}
			_, T := m.Shape()
			for i, s := range seqs {
				for pos := range T {
					predicts := pos >= plens[i]-1 && pos < len(s)-1
					row := m.DLogits()[(i*T+pos)*V:][:V]
					if nonzero := slices.ContainsFunc(row, func(x float32) bool { return x != 0 }); nonzero != predicts {
						t.Errorf("seed %d: sequence %d position %d: gradient present %v, want %v", seed, i, pos, nonzero, predicts)
					}
				}
			}
			m.ZeroGrad()
			if err := m.Backward(); err != nil {
				t.Fatal(err)
			}

			inputs := slices.Clone(m.inputs[:len(seqs)*T])
			p64 := to64(m.Params())
			objective := func() float64 {
				logits, _ := refForward(cfg, p64, inputs, len(seqs), T)
				var j float64
				for i, s := range seqs {
					for k, g := range dlogp[i] {
						pos := i*T + plens[i] + k - 1
						lp, ent := refLogProbEntropy(logits[pos*V:(pos+1)*V], int(s[plens[i]+k]), tau)
						j += g * lp
						if dent != nil {
							j += dent[i][k] * ent
						}
					}
				}
				return j
			}
			// The log-probs and entropies being differentiated are LogProbs's.
			logits, _ := refForward(cfg, p64, inputs, len(seqs), T)
			for i, s := range seqs {
				for k := range lp[i] {
					pos := i*T + plens[i] + k - 1
					wantLp, wantEnt := refLogProbEntropy(logits[pos*V:(pos+1)*V], int(s[plens[i]+k]), tau)
					if math.Abs(float64(lp[i][k])-wantLp) > 1e-4 || math.Abs(float64(ent[i][k])-wantEnt) > 1e-4 {
						t.Errorf("seed %d: sequence %d token %d: log p %v entropy %v, reference %v %v", seed, i, k, lp[i][k], ent[i][k], wantLp, wantEnt)
					}
				}
			}
			off := 0
			for g, n := range cfg.groupSizes() {
				lo, hi := off, off+int(n)
				off = hi
				if n == 0 {
					continue
				}
				checkRel(t, groupNames[g], gradCheck(objective, p64[lo:hi], m.Grads()[lo:hi]), 1e-4)
			}
		}
	}
}

// A temperature ≤ 0 means 1, as in LogProbs.
func TestLogProbGradsDefaultTemperature(t *testing.T) {
	m := newRough(t, logProbCfg, 41)
	seqs, plens := [][]int32{{1, 2, 3, 4}, {5, 6}}, []int{2, 1}
	dlogp := [][]float64{{0.5, -1}, {2}}
	grads := make([][]float32, 0, 2)
	for _, tau := range []float64{1, 0} {
		if _, _, err := m.LogProbs(seqs, plens, 1); err != nil {
			t.Fatal(err)
		}
		if err := m.LogProbGrads(seqs, plens, tau, dlogp, nil); err != nil {
			t.Fatal(err)
		}
		grads = append(grads, slices.Clone(m.DLogits()))
	}
	if !slices.Equal(grads[0], grads[1]) {
		t.Error("temperature 0 gives another gradient than temperature 1")
	}
}

func TestLogProbGradsErrors(t *testing.T) {
	m := newRough(t, logProbCfg, 42)
	seqs, plens := [][]int32{{1, 2, 3, 4}, {5, 6}}, []int{2, 1}
	dlogp := [][]float64{{0.5, -1}, {2}}
	if err := m.LogProbGrads(seqs, plens, 1, dlogp, nil); err == nil {
		t.Error("before any forward: want an error")
	}
	if _, _, err := m.LogProbs(seqs, plens, 1); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		seqs  [][]int32
		plens []int
		dlogp [][]float64
		dent  [][]float64
	}{
		{"other tokens", [][]int32{{1, 2, 3, 5}, {5, 6}}, plens, dlogp, nil},
		{"shorter batch", seqs[:1], plens[:1], dlogp[:1], nil},
		{"shorter longest", [][]int32{{1, 2, 3}, {5, 6}}, plens, [][]float64{{0.5}, {2}}, nil},
		{"missing prompt length", seqs, plens[:1], dlogp, nil},
		{"prompt length 0", seqs, []int{0, 1}, [][]float64{{0, 0.5, -1}, {2}}, nil},
		{"too few log-prob gradients", seqs, plens, [][]float64{{0.5}, {2}}, nil},
		{"too few entropy gradients", seqs, plens, dlogp, [][]float64{{1, 1}, {}}},
		{"missing entropy row", seqs, plens, dlogp, [][]float64{{1, 1}}},
	} {
		if err := m.LogProbGrads(tc.seqs, tc.plens, 1, tc.dlogp, tc.dent); err == nil {
			t.Errorf("%s: want an error", tc.name)
		}
	}
	m.SetComputeLogits(false)
	if err := m.Forward([]int32{1, 2, 3, 4, 5, 6, 0, 0}, 2, 4); err != nil {
		t.Fatal(err)
	}
	if err := m.LogProbGrads(seqs, plens, 1, dlogp, nil); err == nil {
		t.Error("logits turned off: want an error")
	}
}
