package pipeline

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/align-project/align/dpo"
	"github.com/align-project/align/eval"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/ppo"
	"github.com/align-project/align/reward"
	"github.com/align-project/align/rundir"
)

// TestMethodDPOReplacesPPO: method: dpo trains the SFT model on the run's
// preferences (the reward model's held-out share held out) in place of
// PPO, and the evaluation and report take the DPO policy.
func TestMethodDPOReplacesPPO(t *testing.T) {
	dir := t.TempDir()
	cfg := Quick()
	cfg.Method = MethodDPO
	f := &fakeSteps{}
	res, err := run(t, dir, cfg, f)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pretrain", "sft", "generate", "label", "reward", "dpo", "eval", "report"}
	if !slices.Equal(res.Ran, want) || !slices.Equal(rundir.MethodStages([]string{MethodDPO}), want) {
		t.Fatalf("ran %v, want %v", res.Ran, want)
	}
	if p := specsOf[ppo.TrainSpec](f); len(p) != 0 {
		t.Errorf("PPO ran: %+v", p)
	}
	d := specsOf[dpo.TrainSpec](f)
	if len(d) != 1 || d[0].Policy != rundir.Stage(dir, rundir.SFT) || d[0].Data != rundir.Data(dir, rundir.PreferencesFile) ||
		d[0].HeldOutFrac != reward.DefaultHeldOutFrac || d[0].Config != cfg.DPO.Config || d[0].Out != rundir.Stage(dir, rundir.DPO) {
		t.Errorf("dpo spec %+v", d)
	}
	e := specsOf[eval.Spec](f)
	if len(e) != 1 || e[0].Policy != rundir.Stage(dir, rundir.DPO) || e[0].Baseline != rundir.Stage(dir, rundir.SFT) {
		t.Errorf("eval spec %+v", e)
	}
	for _, c := range res.Checks {
		if strings.Contains(c.Name, "PPO") {
			t.Errorf("check %q names PPO in a DPO run", c.Name)
		}
	}
}

// TestCompareMethods: --compare ppo,dpo,grpo trains each method from the
// same SFT model (PPO and GRPO with their own sections, DPO on the
// preferences), evaluates each against SFT (only the first with the
// pretrained column), and the summary holds a row per method and split
// with its times.
func TestCompareMethods(t *testing.T) {
	dir := t.TempDir()
	cfg := Quick()
	cfg.Compare = []string{MethodPPO, MethodDPO, MethodGRPO}
	f := &fakeSteps{}
	res, err := run(t, dir, cfg, f)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pretrain", "sft", "generate", "label", "reward", "ppo", "dpo", "grpo", "eval", "eval-dpo", "eval-grpo", "report"}
	if !slices.Equal(res.Ran, want) || !slices.Equal(rundir.MethodStages(cfg.Compare), want) {
		t.Fatalf("ran %v, want %v", res.Ran, want)
	}
	p := specsOf[ppo.TrainSpec](f)
	if len(p) != 2 || p[0].Config != cfg.PPO.Config || p[1].Config != cfg.GRPO.Config ||
		p[1].Policy != rundir.Stage(dir, rundir.SFT) || p[1].Out != rundir.Stage(dir, rundir.GRPO) ||
		p[1].Prompts != rundir.Data(dir, rundir.GRPOPromptsFile) {
		t.Errorf("ppo/grpo specs %+v", p)
	}
	e := specsOf[eval.Spec](f)
	if len(e) != 3 {
		t.Fatalf("%d evaluations", len(e))
	}
	for i, m := range cfg.Compare {
		if e[i].Policy != rundir.Stage(dir, m) || e[i].Baseline != rundir.Stage(dir, rundir.SFT) || (e[i].Base != "") != (i == 0) {
			t.Errorf("eval %d spec: policy %s, baseline %s, base %q", i, e[i].Policy, e[i].Baseline, e[i].Base)
		}
	}
	var sum eval.Summary
	b, err := os.ReadFile(res.Summary)
	if err != nil || json.Unmarshal(b, &sum) != nil {
		t.Fatalf("summary: %v", err)
	}
	if len(sum.Methods) != 6 { // 3 methods × 2 splits
		t.Fatalf("%d method rows, want 6: %+v", len(sum.Methods), sum.Methods)
	}
	for i, v := range sum.Methods {
		if v.Method != cfg.Compare[i/2] || v.WinRate == nil || v.CILow == nil || v.Seconds < v.TrainSeconds {
			t.Errorf("row %d: %+v", i, v)
		}
	}
	if !slices.Contains(sum.Plots, "methods.png") {
		t.Errorf("plots %v lack methods.png", sum.Plots)
	}
}

func TestMethodSettingsAreChecked(t *testing.T) {
	for _, tc := range []struct {
		edit func(*Config)
		key  string
	}{
		{func(c *Config) { c.Method = "a2c" }, "method"},
		{func(c *Config) { c.Compare = []string{"ppo", "dpo", "ppo"} }, "compare"},
		{func(c *Config) { c.Compare = []string{"ppo", "kto"} }, "compare"},
		{func(c *Config) { c.Method, c.Rounds, c.PPO.Reward = MethodDPO, 2, RewardModel }, "rounds"},
		{func(c *Config) { c.GRPO.Reward = "oracle" }, "grpo.reward"},
	} {
		cfg := Quick()
		tc.edit(&cfg)
		err := cfg.Validate()
		ke, ok := errors.AsType[*yamlconf.KeyError](err)
		if !ok || ke.Key != tc.key {
			t.Errorf("%s: got %v, want an error naming it", tc.key, err)
		}
	}
}
