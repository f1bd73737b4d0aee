package ppo

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/model"
	"github.com/align-project/align/reward"
	"github.com/align-project/align/tokenizer"
)

// TestRewardModelPipeline runs PPO on text end to end: chat-rendered
// prompts, a reward model checkpoint as the source (saved and loaded), the
// value model initialised from it, a constraint on its safety cost, and the
// final policy saved and loaded back.
func TestRewardModelPipeline(t *testing.T) {
	tok, err := tokenizer.Train(tokenizer.TrainConfig{VocabSize: 300},
		"a good answer is good. a bad answer is bad. write something nice.")
	if err != nil {
		t.Fatal(err)
	}
	policy, err := model.New(model.Config{VocabSize: tok.VocabSize(), Context: 48, Layers: 1, Heads: 2, Channels: 16}, 3)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := reward.New(policy, tok, 0, 7)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := rm.Save(filepath.Join(dir, "rm")); err != nil {
		t.Fatal(err)
	}
	src, err := reward.NewModelSource(filepath.Join(dir, "rm"))
	if err != nil {
		t.Fatal(err)
	}

	value, err := NewValueModel(src.Model.Net, reward.HeadPreference)
	if err != nil {
		t.Fatal(err)
	}
	if value.Config.ScalarHeads != 1 || value.W.Headb[0] != src.Model.Net.W.Headb[reward.HeadPreference] {
		t.Errorf("value head not initialised from the reward model's preference head")
	}
	prompts, stop, err := ChatPrompts(tok, []string{"write something nice", "a bad answer", "good"}, policy.Config.Context)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Iterations, cfg.BatchSize, cfg.MiniBatch, cfg.MaxNewTokens = 2, 4, 2, 8
	cfg.Constraint, cfg.CostLimit, cfg.LambdaLR = true, -10, 1 // always violated: λ must rise
	var last Stats
	tr := &Trainer{
		Config: cfg, Policy: policy, Value: value, Reward: src,
		Prompts: prompts, StopTokens: stop, Tokenizer: tok,
		Out:      filepath.Join(dir, "ppo"),
		Progress: func(s Stats) { last = s },
	}
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if last.Lambda <= 0 || last.Steps != 4*2 {
		t.Errorf("last iteration: λ %v (want > 0), %d steps (want 8)", last.Lambda, last.Steps)
	}
	hf, err := checkpoint.LoadHF(tr.Out)
	if err != nil {
		t.Fatal(err)
	}
	if hf.Tokenizer == nil || hf.Align.Stage != "ppo" {
		t.Errorf("saved policy: tokenizer %v, stage %q", hf.Tokenizer != nil, hf.Align.Stage)
	}
}
