package ppo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/internal/outguard"
	"github.com/align-project/align/internal/testkit"
	"github.com/align-project/align/judge"
)

// TestOutputIsNoInput is issue 17's failure 2 for PPO: an out equal to the
// policy (also the frozen KL reference) or the reward model, or inside
// one, is refused before anything is written.
func TestOutputIsNoInput(t *testing.T) {
	policy, prompts := sftFixture(t)
	before := testkit.Snapshot(t, policy)
	for _, s := range []TrainSpec{
		{Out: policy, Reward: RewardSpec{Judge: judge.DefaultSpec()}},
		{Out: filepath.Join(policy, "ppo"), Reward: RewardSpec{Judge: judge.DefaultSpec()}},
		{Out: filepath.Dir(policy), Reward: RewardSpec{Judge: judge.DefaultSpec()}},
		{Out: policy + "/.", Reward: RewardSpec{Dir: policy}},
	} {
		s.Config, s.Policy, s.Prompts = tinyStageConfig(), policy, prompts
		_, err := Train(context.Background(), s)
		testkit.WantKeyError(t, err, "out", s.Out, "("+policy+")", "destroy the input")
	}
	testkit.Unchanged(t, "the policy", before, testkit.Snapshot(t, policy))
}

// TestRunInOutIsKept is issue 17's failure 3 for PPO: a fresh start in a
// directory with an interrupted or a finished run is refused unless
// Overwrite, and a resumed run refuses settings whose state its checkpoint
// carries.
func TestRunInOutIsKept(t *testing.T) {
	policy, prompts := sftFixture(t)
	out := filepath.Join(t.TempDir(), "ppo")
	spec := TrainSpec{Config: tinyStageConfig(), Policy: policy, Prompts: prompts, Out: out, Reward: RewardSpec{Judge: judge.DefaultSpec()}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, spec); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted run: %v", err)
	}
	before := testkit.Snapshot(t, out)
	_, err := Train(context.Background(), spec)
	testkit.WantKeyError(t, err, "out", "holds an unfinished run", filepath.Join(out, LastDir), "resume", "overwrite")
	for _, tc := range []struct {
		key string
		set func(*Config)
	}{
		{"kl_coef", func(c *Config) { c.KLCoef = 0.2 }},
		{"target_kl", func(c *Config) { c.TargetKL = 1 }},
		{"lambda_lr", func(c *Config) { c.LambdaLR = 1 }},
		{"adam_eps", func(c *Config) { c.AdamEps = 1e-3 }},
		{"seed", func(c *Config) { c.Seed = 5 }},
	} {
		s := spec
		s.Resume = true
		tc.set(&s.Config)
		_, err := Train(context.Background(), s)
		testkit.WantKeyError(t, err, tc.key, "differs from", filepath.Join(out, ConfigFile), "resume without changing it")
	}
	testkit.Unchanged(t, "the refused runs", before, testkit.Snapshot(t, out))

	s := spec
	s.Resume = true
	if res, err := Train(context.Background(), s); err != nil || res.Iterations != 2 {
		t.Fatalf("resume: %d iterations, %v", res.Iterations, err)
	}
	if _, err := os.Stat(filepath.Join(out, outguard.FinishedFile)); err != nil {
		t.Errorf("the finished run wrote no marker: %v", err)
	}
	_, err = Train(context.Background(), spec)
	testkit.WantKeyError(t, err, "out", "holds a finished run", "overwrite")
	s = spec
	s.Overwrite = true
	if res, err := Train(context.Background(), s); err != nil || res.Iterations != 2 {
		t.Fatalf("overwrite: %d iterations, %v", res.Iterations, err)
	}
}

// TestFailedRunLeavesNothing: a run whose reward service is down fails in
// its first iteration; it used to leave config.yaml, metrics.jsonl and
// samples.jsonl behind.
func TestFailedRunLeavesNothing(t *testing.T) {
	policy, prompts := sftFixture(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "ppo")
	_, err := Train(context.Background(), TrainSpec{Config: tinyStageConfig(), Policy: policy, Prompts: prompts, Out: out,
		Reward: RewardSpec{URL: "http://127.0.0.1:1/score"}})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("err %v, want the dead service", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the failed run left %s", entries[0].Name())
	}
}
