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

// smolLM2Cfg is SmolLM2-135M's shape with room for 256 tokens.
var smolLM2Cfg = Config{Arch: ArchLlama, VocabSize: 49152, Context: 256, Layers: 30, Heads: 9, KVHeads: 3,
	Channels: 576, Hidden: 1536, RopeTheta: 100000, NormEps: 1e-5, TiedEmbeddings: true}

// BenchmarkLlamaSmolLM2TrainStep: forward, loss, backward and AdamW on
// B=4 × T=256 tokens of SmolLM2-135M's shape, as 'align bench llama'.
func BenchmarkLlamaSmolLM2TrainStep(b *testing.B) {
	const B, T = 4, 256
	m, err := New(smolLM2Cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	opt, err := NewOptimizer(m, DefaultAdamW())
	if err != nil {
		b.Fatal(err)
	}
	inputs, targets := fixedBatch(smolLM2Cfg, B, T, 1)
	step := func() {
		if err := m.Forward(inputs, B, T); err != nil {
			b.Fatal(err)
		}
		if _, err := m.LMLoss(targets, nil); err != nil {
			b.Fatal(err)
		}
		m.ZeroGrad()
		if err := m.Backward(); err != nil {
			b.Fatal(err)
		}
		if _, err := opt.Step(3e-4); err != nil {
			b.Fatal(err)
		}
	}
	step()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		step()
	}
	b.ReportMetric(float64(b.N*B*T)/time.Since(start).Seconds(), "tokens/s")
}

// BenchmarkLlamaSmolLM2Generate: greedy decoding of 128 tokens after a
// 32-token prompt, batch 1, on SmolLM2-135M's shape with weights rounded to
// bfloat16 (as its checkpoint ships them), as 'align bench llama': decoding
// from the bfloat16 copies and from the float32 weights.
func BenchmarkLlamaSmolLM2Generate(b *testing.B) {
	m, err := New(smolLM2Cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	roundToBF16(m)
	prompt, _ := fixedBatch(smolLM2Cfg, 1, 32, 2)
	opts := SampleOptions{MaxNewTokens: 128}
	for _, bf16 := range []bool{true, false} {
		b.Run(map[bool]string{true: "bf16", false: "f32"}[bf16], func(b *testing.B) {
			defer SetDecodeBF16(SetDecodeBF16(bf16))
			rng := rand.New(rand.NewPCG(1, 2))
			start := time.Now()
			for b.Loop() {
				if _, err := m.Generate([][]int32{prompt}, opts, rng); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*opts.MaxNewTokens)/time.Since(start).Seconds(), "tokens/s")
		})
	}
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
