package model_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/align-project/align/model"
)

// Train a tiny GPT-2 to repeat a pattern, then continue a prompt greedily.
func Example() {
	cfg := model.Config{VocabSize: 8, Context: 16, Layers: 2, Heads: 2, Channels: 32}
	m, err := model.New(cfg, 1)
	if err != nil {
		panic(err)
	}
	opt, err := model.NewOptimizer(m, model.DefaultAdamW())
	if err != nil {
		panic(err)
	}
	// One sequence 0 1 2 3 4 5 6 7 0 1 …; each target is the next token.
	seq := make([]int32, cfg.Context+1)
	for i := range seq {
		seq[i] = int32(i % cfg.VocabSize)
	}
	inputs, targets := seq[:cfg.Context], seq[1:]
	var loss float32
	for step := 0; step < 100; step++ {
		if err := m.Forward(inputs, 1, cfg.Context); err != nil {
			panic(err)
		}
		if loss, err = m.LMLoss(targets, nil); err != nil {
			panic(err)
		}
		m.ZeroGrad()
		if err := m.Backward(); err != nil {
			panic(err)
		}
		if _, err := opt.Step(1e-2); err != nil {
			panic(err)
		}
	}
	fmt.Println("learned:", loss < 0.1)

	out, err := m.Generate([][]int32{{3, 4}}, model.SampleOptions{MaxNewTokens: 6}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		panic(err)
	}
	fmt.Println("continuation:", out[0].Tokens)
	// Output:
	// learned: true
	// continuation: [5 6 7 0 1 2]
}

// A Qwen3-style model: grouped-query attention with two kv heads, a head
// width other than C/NH, q/k RMSNorm and tied embeddings. Its tensors carry
// Hugging Face's names; the fused qkv lists the tensors it concatenates.
func ExampleConfig_llama() {
	cfg := model.Config{
		Arch: model.ArchLlama, VocabSize: 100, Context: 64, Layers: 2,
		Heads: 4, KVHeads: 2, HeadDim: 16, Channels: 48, Hidden: 128,
		RopeTheta: 1e6, QKNorm: true, TiedEmbeddings: true,
	}
	m, err := model.New(cfg, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.NumParams(), "parameters")
	for _, t := range m.Tensors()[:4] {
		fmt.Println(t.Name, t.Shape, len(t.Parts))
	}
	// Output:
	// 60400 parameters
	// model.embed_tokens.weight [100 48] 0
	// model.layers.0.input_layernorm.weight [48] 0
	// model.layers.0.self_attn.qkv_proj.weight [128 48] 3
	// model.layers.0.self_attn.q_norm.weight [16] 0
}
