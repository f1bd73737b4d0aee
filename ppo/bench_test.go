package ppo

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/align-project/align/model"
	"github.com/align-project/align/reward"
)

// BenchmarkIteration times PPO iterations of the reference model (L4 C256
// NH4 T128 V256) on 64 random prompts × 48 new tokens, as 'align bench ppo'.
func BenchmarkIteration(b *testing.B) {
	policy, err := model.New(model.Config{VocabSize: 256, Context: 128, Layers: 4, Heads: 4, Channels: 256}, 1)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	prompts := make([]Prompt, 64)
	for i := range prompts {
		ids := make([]int32, 16)
		for j := range ids {
			ids[j] = int32(rng.IntN(256))
		}
		prompts[i] = Prompt{IDs: ids}
	}
	cfg := DefaultConfig()
	cfg.Iterations, cfg.Temperature, cfg.SampleEvery, cfg.SaveEvery = b.N, 1, 0, 0
	tr := &Trainer{
		Config: cfg, Policy: policy, Prompts: prompts,
		Reward: FuncSource(func(p, r string) reward.Score { return reward.Score{Reward: float64(len(r) % 3)} }),
		Decode: func(ids []int32) string { return string(make([]byte, len(ids))) },
	}
	b.ResetTimer()
	if _, err := tr.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
}
