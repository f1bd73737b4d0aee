package model

import (
	"math/rand/v2"
	"testing"
	"time"
)

// llamaRefCfg is the reference config's Llama counterpart: the same width,
// depth and vocabulary, two kv heads per four query heads, an MLP of about
// 8C/3 as Llama sizes it, tied embeddings.
var llamaRefCfg = Config{Arch: ArchLlama, VocabSize: 256, Context: 128, Layers: 4, Heads: 4, KVHeads: 2,
	Channels: 256, Hidden: 688, TiedEmbeddings: true}

// BenchmarkLlamaTrainStep: forward, loss, backward and AdamW on B=8 × T=128
// tokens, as BenchmarkTrainStep for GPT-2.
func BenchmarkLlamaTrainStep(b *testing.B) {
	m, err := New(llamaRefCfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	opt, err := NewOptimizer(m, DefaultAdamW())
	if err != nil {
		b.Fatal(err)
	}
	inputs, targets := fixedBatch(llamaRefCfg, refB, llamaRefCfg.Context, 1)
	s := &refStep{m, opt, inputs, targets}
	s.run(b)
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		s.run(b)
	}
	b.ReportMetric(float64(b.N*refB*llamaRefCfg.Context)/time.Since(start).Seconds(), "tokens/s")
}

// BenchmarkLlamaGenerate: 8 prompts of 16 tokens, 64 new tokens each.
func BenchmarkLlamaGenerate(b *testing.B) {
	m, err := New(llamaRefCfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	prompts := make([][]int32, refB)
	for i := range prompts {
		prompts[i], _ = fixedBatch(llamaRefCfg, 1, 16, uint64(i))
	}
	opts := SampleOptions{MaxNewTokens: 64, Temperature: 1, TopK: 50}
	rng := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := m.Generate(prompts, opts, rng); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*refB*opts.MaxNewTokens)/time.Since(start).Seconds(), "tokens/s")
}

// BenchmarkLlamaLoRATrainStep is BenchmarkLlamaTrainStep with rank-8
// adapters on every projection: the base frozen, no weight gradients for
// it, AdamW over the adapters only.
func BenchmarkLlamaLoRATrainStep(b *testing.B) {
	m, err := New(llamaRefCfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	lc := LoRAConfig{Rank: 8, Alpha: 16, Targets: LoRATargets(llamaRefCfg)}
	if err := m.AddLoRA(lc, 1); err != nil {
		b.Fatal(err)
	}
	opt, err := NewOptimizer(m, DefaultAdamW())
	if err != nil {
		b.Fatal(err)
	}
	inputs, targets := fixedBatch(llamaRefCfg, refB, llamaRefCfg.Context, 1)
	s := &refStep{m, opt, inputs, targets}
	s.run(b)
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		s.run(b)
	}
	b.ReportMetric(float64(b.N*refB*llamaRefCfg.Context)/time.Since(start).Seconds(), "tokens/s")
	b.ReportMetric(float64(len(m.TrainableParams())), "trainable")
}

// BenchmarkLlamaLoRAGenerate is BenchmarkLlamaGenerate with random rank-8
// adapters on every projection, unmerged: the decoder's adapter cost.
func BenchmarkLlamaLoRAGenerate(b *testing.B) {
	m, err := New(llamaRefCfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	if err := m.AddLoRA(LoRAConfig{Rank: 8, Alpha: 16, Targets: LoRATargets(llamaRefCfg)}, 1); err != nil {
		b.Fatal(err)
	}
	randomize(newRNG(1), m.TrainableParams(), 0.01)
	prompts := make([][]int32, refB)
	for i := range prompts {
		prompts[i], _ = fixedBatch(llamaRefCfg, 1, 16, uint64(i))
	}
	opts := SampleOptions{MaxNewTokens: 64, Temperature: 1, TopK: 50}
	rng := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := m.Generate(prompts, opts, rng); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*refB*opts.MaxNewTokens)/time.Since(start).Seconds(), "tokens/s")
}
