package model

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

var decodeCfg = Config{VocabSize: 37, Context: 24, Layers: 2, Heads: 4, Channels: 16}

func newRough(t testing.TB, cfg Config, seed uint64) *Model {
	t.Helper()
	m, err := New(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	roughen(m, seed+100)
	return m
}

// lastLogits runs a full Forward over one sequence and returns the logits
// predicting the token after it.
func lastLogits(t *testing.T, m *Model, seq []int32) []float32 {
	t.Helper()
	if err := m.Forward(seq, 1, len(seq)); err != nil {
		t.Fatal(err)
	}
	V := m.Config.VocabSize
	return slices.Clone(m.Logits()[(len(seq)-1)*V:])
}

func relErr(got, want []float32) float64 {
	var d, s float64
	for i := range got {
		d = math.Max(d, math.Abs(float64(got[i]-want[i])))
		s = math.Max(s, math.Abs(float64(want[i])))
	}
	return d / math.Max(s, 1e-6)
}

func TestDecoderMatchesForward(t *testing.T) {
	m := newRough(t, decodeCfg, 1)
	V := m.Config.VocabSize
	rng := newRNG(9)
	randSeq := func(n int) []int32 {
		s := make([]int32, n)
		for i := range s {
			s[i] = int32(rng.IntN(V))
		}
		return s
	}
	seqs := [][]int32{randSeq(3), randSeq(7), randSeq(1), randSeq(5)}
	d, err := m.NewDecoder(len(seqs), m.Config.Context)
	if err != nil {
		t.Fatal(err)
	}
	// Feed the prompts, then uneven chunks, including none for some rows.
	chunks := [][][]int32{
		seqs,
		{randSeq(1), randSeq(1), randSeq(1), randSeq(1)},
		{randSeq(2), nil, randSeq(1), randSeq(4)},
		{nil, randSeq(1), nil, randSeq(1)},
	}
	for step, chunk := range chunks {
		logits, err := d.Append(chunk)
		if err != nil {
			t.Fatal(err)
		}
		for i := range seqs {
			if step > 0 {
				seqs[i] = append(seqs[i], chunk[i]...)
			}
			if d.Len(i) != len(seqs[i]) {
				t.Fatalf("step %d: sequence %d has %d cached tokens, want %d", step, i, d.Len(i), len(seqs[i]))
			}
			want := lastLogits(t, m, seqs[i])
			if e := relErr(logits[i*V:(i+1)*V], want); e > 1e-4 {
				t.Errorf("step %d, sequence %d: cached logits differ from a full forward by %.3g", step, i, e)
			}
		}
	}
	if _, err := d.Append([][]int32{randSeq(30), nil, nil, nil}); err == nil {
		t.Error("growing past the decoder's length: want an error")
	}
	if _, err := d.Append([][]int32{{int32(V)}, nil, nil, nil}); err == nil {
		t.Error("token outside the vocabulary: want an error")
	}
	if _, err := d.Append([][]int32{nil}); err == nil {
		t.Error("wrong batch: want an error")
	}
}

// Greedy generation must equal argmax decoding with full forwards, prompts of
// different lengths in one batch.
func TestGenerateGreedyMatchesForward(t *testing.T) {
	m := newRough(t, decodeCfg, 2)
	prompts := [][]int32{{1, 2, 3}, {4}, {5, 6, 7, 8, 9, 10}}
	opts := SampleOptions{MaxNewTokens: 8}
	got, err := m.Generate(prompts, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range prompts {
		seq := slices.Clone(p)
		for j := 0; j < opts.MaxNewTokens; j++ {
			logits := lastLogits(t, m, seq)
			seq = append(seq, int32(argmax(logits)))
		}
		if want := seq[len(p):]; !slices.Equal(got[i].Tokens, want) {
			t.Errorf("prompt %d: generated %v, full-forward greedy gives %v", i, got[i].Tokens, want)
		}
	}
}

// The log-probs Generate reports must match the teacher-forced LogProbs.
func TestGenerateLogProbsMatchTeacherForcing(t *testing.T) {
	m := newRough(t, decodeCfg, 3)
	prompts := [][]int32{{1, 2, 3}, {4}, {5, 6, 7, 8}}
	opts := SampleOptions{MaxNewTokens: 10, Temperature: 0.7}
	got, err := m.Generate(prompts, opts, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	seqs, lens := make([][]int32, len(prompts)), make([]int, len(prompts))
	for i, p := range prompts {
		seqs[i] = append(slices.Clone(p), got[i].Tokens...)
		lens[i] = len(p)
	}
	lp, ent, err := m.LogProbs(seqs, lens, opts.Temperature)
	if err != nil {
		t.Fatal(err)
	}
	for i := range seqs {
		if len(lp[i]) != len(got[i].Tokens) || len(ent[i]) != len(lp[i]) {
			t.Fatalf("sequence %d: %d log-probs for %d tokens", i, len(lp[i]), len(got[i].Tokens))
		}
		for j := range lp[i] {
			if d := math.Abs(float64(lp[i][j] - got[i].LogProbs[j])); d > 1e-4*math.Max(1, math.Abs(float64(lp[i][j]))) {
				t.Errorf("sequence %d token %d: log-prob %v while sampling, %v teacher-forced", i, j, got[i].LogProbs[j], lp[i][j])
			}
			if !(ent[i][j] >= 0 && ent[i][j] <= float32(math.Log(float64(m.Config.VocabSize)))+1e-5) {
				t.Errorf("sequence %d token %d: entropy %v out of range", i, j, ent[i][j])
			}
		}
	}
}

func argmax(s []float32) int {
	best := 0
	for i, v := range s {
		if v > s[best] {
			best = i
		}
	}
	return best
}
