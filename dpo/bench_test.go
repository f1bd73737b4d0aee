package dpo

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/align-project/align/model"
)

// BenchmarkStep times one DPO step (forward over chosen and rejected, pair
// losses against cached reference log-probs, backward, AdamW) on 8 pairs of
// 16 + 32 tokens with a small GPT; 'align bench dpo' compares it with an
// SFT step at the reference shape.
func BenchmarkStep(b *testing.B) {
	m, err := model.New(model.Config{VocabSize: 128, Context: 64, Layers: 2, Heads: 2, Channels: 64}, 1)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pairs := randomPairs(rng, 8, 128, 48)
	cfg := DefaultConfig()
	cfg.BatchSize, cfg.Steps, cfg.KLPrompts = len(pairs), 1<<30, 0
	r, err := (&Trainer{Config: cfg, Policy: m, Train: pairs}).setup(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := r.step(); err != nil {
			b.Fatal(err)
		}
	}
}
