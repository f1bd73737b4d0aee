package ppo

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/judge"
	"github.com/align-project/align/model"
	"github.com/align-project/align/ppo/ppotest"
	"github.com/align-project/align/reward"
)

// sftFixture saves a tiny SFT checkpoint with a context of 40 tokens and a
// prompts file whose last prompt is too long to leave room for a response.
func sftFixture(t *testing.T) (policy, prompts string) {
	return ppotest.Fixture(t, strings.Repeat("write something nice ", 20))
}

func tinyStageConfig() Config {
	c := DefaultConfig()
	c.Iterations, c.BatchSize, c.MiniBatch, c.MaxNewTokens = 2, 4, 2, 6
	c.SampleEvery, c.SampleRows = 1, 1
	return c
}

func TestTrainWithJudge(t *testing.T) {
	policy, prompts := sftFixture(t)
	out := filepath.Join(t.TempDir(), "rlaif")
	cfg := tinyStageConfig()
	cfg.Constraint, cfg.CostLimit = true, 0.1
	var log bytes.Buffer
	res, err := Train(context.Background(), TrainSpec{
		Config: cfg, Policy: policy, Prompts: prompts, Out: out, Log: &log,
		Reward: RewardSpec{Judge: judge.DefaultSpec()}, // the builtin judge
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Iterations != 2 || res.Out != out || !res.Config.Constraint || res.Last.Iteration != 2 {
		t.Errorf("result %+v", res)
	}
	// The judge's total maps onto [−1, 1] and its cost onto [0, 1].
	if r, c := res.Last.RewardRaw, res.Last.Cost; r < 1 || r > 10 || c < 0 || c > 1 || res.Last.Reward < -1 || res.Last.Reward > 1 {
		t.Errorf("last batch: raw %v, reward %v, cost %v", r, res.Last.Reward, c)
	}
	// The long prompt is cut to leave room for a response (chat.PromptTokens),
	// not skipped.
	if strings.Contains(log.String(), "leave no room") {
		t.Errorf("a prompt was skipped:\n%s", log.String())
	}
	for _, want := range []string{"[1] reward", "[2] reward"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	if lines := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(out, MetricsFile))), "\n"); len(lines) != 2 {
		t.Errorf("%d metrics lines, want 2", len(lines))
	}
	if _, _, err := checkpoint.LoadPolicy(out); err != nil {
		t.Errorf("final policy: %v", err)
	}
	var text bytes.Buffer
	res.WriteText(&text)
	for _, want := range []string{"ppo: 2 iterations in", "cost ", "(limit 0.100)", "policy: " + out, filepath.Join(out, ValueDir)} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, text.String())
		}
	}
}

func TestTrainWithRewardModel(t *testing.T) {
	policy, prompts := sftFixture(t)
	net, tok, err := checkpoint.LoadPolicy(policy)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := reward.New(net, tok, 0, 7)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rmDir := filepath.Join(dir, "rm")
	if err := rm.Save(rmDir); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "ppo")
	res, err := Train(context.Background(), TrainSpec{
		Config: tinyStageConfig(), Policy: policy, Prompts: prompts, Out: out,
		Reward: RewardSpec{Dir: rmDir, Batch: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Iterations != 2 || res.Last.Steps == 0 {
		t.Errorf("result %+v", res)
	}
	if _, err := os.Stat(filepath.Join(out, ValueDir)); err != nil {
		t.Errorf("value model not saved: %v", err)
	}
	// Each says what it is, and a later ppo run takes the policy only.
	for dir, kind := range map[string]checkpoint.Kind{out: checkpoint.KindPolicy, filepath.Join(out, ValueDir): checkpoint.KindValue} {
		if b := readFile(t, filepath.Join(dir, checkpoint.HFConfigFile)); !strings.Contains(b, `"kind": "`+string(kind)+`"`) {
			t.Errorf("%s/config.json does not record the kind %s:\n%s", dir, kind, b)
		}
	}
	_, err = Train(context.Background(), TrainSpec{Config: tinyStageConfig(), Policy: filepath.Join(out, ValueDir), Prompts: prompts,
		Reward: RewardSpec{Dir: rmDir}})
	if ke, ok := errors.AsType[*checkpoint.KindError](err); !ok || ke.Found != checkpoint.KindValue || ke.Want != checkpoint.KindPolicy {
		t.Errorf("ppo --policy of a value model: %v, want a *checkpoint.KindError", err)
	}
	// The value model starts from the reward model's preference head; the
	// reward source scores as the reward model does, in batches of Batch.
	src, value, err := RewardSpec{Dir: rmDir, Batch: 3}.source(net, nil, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	C, k := rm.Net.Config.Channels, reward.HeadPreference
	if value == nil || value.Config.ScalarHeads != 1 || !slices.Equal(value.W.Headw, rm.Net.W.Headw[k*C:(k+1)*C]) {
		t.Errorf("value model not started from the reward model's preference head")
	}
	if ms, ok := src.(*reward.ModelSource); !ok || ms.Batch != 3 {
		t.Errorf("source %T %+v, want a reward.ModelSource of batch 3", src, src)
	}
	if _, value, err := (RewardSpec{URL: "http://localhost:1/score"}).source(net, nil, true, nil); err != nil || value != nil {
		t.Errorf("a reward service gave a value model %v (%v)", value, err)
	}
	// A critic-free run (group advantage) gets no value model to throw away.
	if _, value, err := (RewardSpec{Dir: rmDir}).source(net, nil, false, nil); err != nil || value != nil {
		t.Errorf("a critic-free run was given a value model %v (%v)", value, err)
	}
	// In a LoRA run the value model shares the reward model's frozen base
	// (no copy) and starts as the copy with the same adapters does.
	lc := model.LoRAConfig{Rank: 2, Alpha: 4, Targets: []string{model.LoRAAllLinear}}
	lsrc, lvalue, err := RewardSpec{Dir: rmDir}.source(net, nil, true, &valueLoRA{cfg: lc, seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := value.AddLoRA(lc, 5); err != nil {
		t.Fatal(err)
	}
	rnet := lsrc.(*reward.ModelSource).Model.Net
	if _, ok := lvalue.LoRA(); !ok || &lvalue.Params()[0] != &rnet.Params()[0] || !slices.Equal(lvalue.TrainableParams(), value.TrainableParams()) {
		t.Errorf("the LoRA value model does not share the reward model's base or differs from the copy with adapters")
	}
	ids := []int32{1, 2, 3, 4, 5, 6}
	for _, m := range []*model.Model{value, lvalue} {
		if err := m.Forward(ids, 1, len(ids)); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(lvalue.Scalars(), value.Scalars()) {
		t.Errorf("LoRA value model values %v, the copy's %v", lvalue.Scalars(), value.Scalars())
	}
	// A LoRA run with the reward model: the value model it saves is whole.
	lcfg := tinyStageConfig()
	lcfg.LoRA.Rank = 2
	lout := filepath.Join(dir, "ppo-lora")
	if _, err := Train(context.Background(), TrainSpec{Config: lcfg, Policy: policy, Prompts: prompts, Out: lout,
		Reward: RewardSpec{Dir: rmDir, Batch: 3}}); err != nil {
		t.Fatal(err)
	}
	if hm, err := checkpoint.LoadHF(filepath.Join(lout, ValueDir)); err != nil || hm.Model.Config.ScalarHeads != 1 {
		t.Errorf("LoRA run's value model: %v", err)
	}

	// A reward model of another vocabulary cannot score this policy's text.
	otherNet, err := model.New(model.Config{VocabSize: tok.VocabSize() + 16, Context: 40, Layers: 1, Heads: 2, Channels: 16}, 3)
	if err != nil {
		t.Fatal(err)
	}
	orm, err := reward.New(otherNet, tok, 0, 7)
	if err != nil {
		t.Fatal(err)
	}
	if err := orm.Save(rmDir); err != nil {
		t.Fatal(err)
	}
	_, err = Train(context.Background(), TrainSpec{Config: tinyStageConfig(), Policy: policy, Prompts: prompts, Reward: RewardSpec{Dir: rmDir}})
	if err == nil || !strings.Contains(err.Error(), "vocabulary") {
		t.Errorf("mismatched reward model: %v", err)
	}
}

// TestTrainSettingErrors: a setting that cannot work, or a file named by
// one that cannot be read, comes back as a *yamlconf.KeyError of its key.
func TestTrainSettingErrors(t *testing.T) {
	policy, prompts := sftFixture(t)
	empty := filepath.Join(t.TempDir(), "empty.jsonl")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key  string
		edit func(*TrainSpec)
	}{
		{"mini_batch", func(s *TrainSpec) { s.Config.MiniBatch = 3 }},
		{"kl_estimator", func(s *TrainSpec) { s.Config.KLEstimator = "k9" }},
		{"reward", func(s *TrainSpec) { s.Reward.URL = "http://localhost:1/score" }},
		{"reward", func(s *TrainSpec) { s.Reward.Judge.Kind = judge.KindNone }},
		{"reward_batch", func(s *TrainSpec) { s.Reward.Batch = -1 }},
		{"judge", func(s *TrainSpec) { s.Reward.Judge.Kind = "gpt" }},
		{"concurrency", func(s *TrainSpec) { s.Reward.Judge.Concurrency = 0 }},
		{"resume", func(s *TrainSpec) { s.Resume, s.Out = true, "" }},
		{"prompts", func(s *TrainSpec) { s.Prompts = filepath.Join(t.TempDir(), "missing.jsonl") }},
		{"prompts", func(s *TrainSpec) { s.Prompts = empty }},
		{"lexicon", func(s *TrainSpec) { s.Reward.Judge.Lexicon = filepath.Join(t.TempDir(), "missing.json") }},
	} {
		s := TrainSpec{Config: tinyStageConfig(), Policy: policy, Prompts: prompts, Reward: RewardSpec{Judge: judge.DefaultSpec()}}
		tc.edit(&s)
		_, err := Train(context.Background(), s)
		if ke, ok := errors.AsType[*yamlconf.KeyError](err); !ok || ke.Key != tc.key {
			t.Errorf("%s: got %v, want a *yamlconf.KeyError of %q", tc.key, err, tc.key)
		}
	}
}

func TestTrainInterrupted(t *testing.T) {
	policy, prompts := sftFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(t.TempDir(), "ppo")
	res, err := Train(ctx, TrainSpec{Config: tinyStageConfig(), Policy: policy, Prompts: prompts, Out: out, Reward: RewardSpec{Judge: judge.DefaultSpec()}})
	if !errors.Is(err, ErrInterrupted) || res.Iterations != 0 {
		t.Fatalf("cancelled run: %v, %d iterations", err, res.Iterations)
	}
	if _, err := os.Stat(filepath.Join(out, LastDir)); err != nil {
		t.Errorf("no checkpoint to resume from: %v", err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
