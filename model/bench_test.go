package model

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RefConfig is the reference model of the performance and memory targets.
var refCfg = Config{VocabSize: 256, Context: 128, Layers: 4, Heads: 4, Channels: 256}

const refB = 8

// refStep is one full training step at the reference config.
type refStep struct {
	m               *Model
	opt             *Optimizer
	inputs, targets []int32
}

func newRefStep(t testing.TB) *refStep {
	m, err := New(refCfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	opt, err := NewOptimizer(m, DefaultAdamW())
	if err != nil {
		t.Fatal(err)
	}
	inputs, targets := fixedBatch(refCfg, refB, refCfg.Context, 1)
	return &refStep{m, opt, inputs, targets}
}

func (s *refStep) run(t testing.TB) float32 {
	if err := s.m.Forward(s.inputs, refB, refCfg.Context); err != nil {
		t.Fatal(err)
	}
	loss, err := s.m.LMLoss(s.targets, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.m.ZeroGrad()
	if err := s.m.Backward(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.opt.Step(3e-4); err != nil {
		t.Fatal(err)
	}
	return loss
}

// BenchmarkTrainStep: forward, loss, backward and AdamW on B=8 × T=128
// tokens of the reference config.
func BenchmarkTrainStep(b *testing.B) {
	s := newRefStep(b)
	s.run(b)
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		s.run(b)
	}
	tokens := float64(b.N * refB * refCfg.Context)
	b.ReportMetric(tokens/time.Since(start).Seconds(), "tokens/s")
}

// BenchmarkGenerate: 8 prompts of 16 tokens, 64 new tokens each, sampled.
func BenchmarkGenerate(b *testing.B) {
	m, err := New(refCfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	prompts := make([][]int32, refB)
	for i := range prompts {
		prompts[i], _ = fixedBatch(refCfg, 1, 16, uint64(i))
	}
	opts := SampleOptions{MaxNewTokens: 64, Temperature: 1, TopK: 50}
	rng := rand.New(rand.NewPCG(1, 2))
	if _, err := m.Generate(prompts, opts, rng); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := m.Generate(prompts, opts, rng); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*refB*opts.MaxNewTokens)/time.Since(start).Seconds(), "tokens/s")
}

// The reference config must train within 200 MB resident.
func TestReferenceMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the reference config")
	}
	s := newRefStep(t)
	first := s.run(t)
	last := s.run(t)
	if !(last < first) {
		t.Errorf("loss went from %v to %v in one step", first, last)
	}
	if _, err := s.m.Generate([][]int32{{1, 2}, {3}}, SampleOptions{MaxNewTokens: 8}, nil); err != nil {
		t.Fatal(err)
	}
	peak := peakRSS(t)
	t.Logf("peak resident memory %.1f MB", peak/1e6)
	if peak > 200e6 {
		t.Errorf("peak resident memory %.1f MB > 200 MB", peak/1e6)
	}
}

// peakRSS reads the process's high-water resident set size from /proc.
func peakRSS(t *testing.T) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb * 1024
		}
	}
	t.Skip("no VmHWM")
	return 0
}
