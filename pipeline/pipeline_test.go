package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/align-project/align/eval"
)

// fakeAlign stands in for the align commands: it records each command line
// and writes the files the next stages read.
type fakeAlign struct {
	calls  [][]string
	failAt string // command that returns an error
	cancel context.CancelFunc
	stopAt string // command during which the context is cancelled
}

func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

func (f *fakeAlign) exec(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f.calls = append(f.calls, args)
	cmd := args[0]
	if cmd == "reward" {
		cmd = "reward " + args[1]
	}
	if cmd == f.failAt {
		return errors.New("boom")
	}
	out := flagValue(args, "--out")
	switch cmd {
	case "pretrain", "sft", "ppo":
		if err := os.MkdirAll(filepath.Join(out, "last"), 0o755); err != nil {
			return err
		}
	case "label":
		line := `{"prompt":"p","chosen":"a","rejected":"b","source":"ai:builtin@1"}` + "\n"
		if err := os.WriteFile(out, []byte(line), 0o644); err != nil {
			return err
		}
	case "eval":
		kl, ref, over := 1.5, 0.95, 0.05
		res := eval.Result{Policy: "ppo", Baseline: "sft",
			Table:          eval.Table{Columns: []eval.Metrics{{Name: "sft"}, {Name: "ppo", KL: &kl, Refusal: &ref, Over: &over}}},
			HeldOutWinRate: &eval.WinRate{Prompts: 10, Rate: 0.7}}
		b, _ := json.Marshal(res)
		if err := os.WriteFile(out, b, 0o644); err != nil {
			return err
		}
	}
	if cmd == f.stopAt {
		f.cancel()
		return context.Canceled
	}
	fmt.Fprintf(stdout, "%s done\n", cmd)
	return nil
}

func (f *fakeAlign) commands() []string {
	var out []string
	for _, c := range f.calls {
		name := c[0]
		if name == "reward" {
			name += " " + c[1]
		}
		if slices.Contains(c, "--resume") {
			name += " --resume"
		}
		out = append(out, name)
	}
	return out
}

func run(t *testing.T, dir string, cfg Config, f *fakeAlign) (Result, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.cancel = cancel
	f.calls = nil
	var out, errw bytes.Buffer
	return Run(ctx, Options{Dir: dir, Config: cfg, Exec: f.exec, Stdout: &out, Stderr: &errw})
}

func TestRunSkipsFinishedStagesAndRerunsChangedOnes(t *testing.T) {
	dir := t.TempDir()
	cfg := Quick()
	f := &fakeAlign{}
	res, err := run(t, dir, cfg, f)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pretrain", "sft", "generate", "label", "reward train", "ppo", "eval"}
	if got := f.commands(); !slices.Equal(got, want) {
		t.Fatalf("first run: commands %v, want %v", got, want)
	}
	if len(res.Ran) != 8 || len(res.Checks) != 4 {
		t.Fatalf("first run: ran %v, checks %v", res.Ran, res.Checks)
	}
	for _, c := range res.Checks {
		if !c.Pass {
			t.Errorf("check %s failed on passing numbers: %+v", c.Name, c)
		}
	}
	// The summary carries the checks.
	var sum eval.Summary
	b, err := os.ReadFile(res.Summary)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil || len(sum.Checks) != 4 {
		t.Fatalf("summary checks %v (%v)", sum.Checks, err)
	}
	// Every setting of a stage is in its --config file, and the global
	// flags reach every command.
	for _, c := range f.calls {
		if flagValue(c, "--seed") != "1" {
			t.Errorf("%v: no --seed 1", c)
		}
	}

	// Nothing changed: only the report is made again.
	res, err = run(t, dir, cfg, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 0 || !slices.Equal(res.Ran, []string{StageReport}) {
		t.Fatalf("second run: commands %v, ran %v", f.commands(), res.Ran)
	}

	// A PPO setting changed: PPO and everything after it run again.
	cfg.PPO.Iterations++
	res, err = run(t, dir, cfg, f)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.commands(), []string{"ppo", "eval"}; !slices.Equal(got, want) {
		t.Fatalf("after a PPO change: commands %v, want %v", got, want)
	}

	// A pretraining change invalidates every stage.
	cfg.Pretrain.Steps++
	if _, err = run(t, dir, cfg, f); err != nil {
		t.Fatal(err)
	}
	if got := f.commands(); len(got) != 7 {
		t.Fatalf("after a pretraining change: commands %v", got)
	}

	// A finished stage done again by hand (its marker removed) makes the
	// later ones run again too.
	if err := os.Remove(filepath.Join(dir, StagesDir, StageSFT, DoneFile)); err != nil {
		t.Fatal(err)
	}
	if _, err = run(t, dir, cfg, f); err != nil {
		t.Fatal(err)
	}
	if got := f.commands(); len(got) != 6 || got[0] != "sft --resume" {
		t.Fatalf("after removing sft's marker: commands %v", got)
	}
}

func TestRunResumesAnInterruptedStage(t *testing.T) {
	dir := t.TempDir()
	cfg := Quick()
	f := &fakeAlign{stopAt: "ppo"}
	_, err := run(t, dir, cfg, f)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted run: err %v, want ErrInterrupted", err)
	}
	if _, err := os.Stat(filepath.Join(dir, StagesDir, StagePPO, DoneFile)); err == nil {
		t.Fatal("an interrupted stage has a done marker")
	}
	f.stopAt = ""
	res, err := run(t, dir, cfg, f)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.commands(), []string{"ppo --resume", "eval"}; !slices.Equal(got, want) {
		t.Fatalf("rerun: commands %v, want %v", got, want)
	}
	if !slices.Equal(res.Resumed, []string{StagePPO}) {
		t.Fatalf("resumed %v", res.Resumed)
	}

	// A stage interrupted under other settings starts over.
	f.stopAt = "ppo"
	cfg.PPO.Iterations++
	if _, err := run(t, dir, cfg, f); !errors.Is(err, ErrInterrupted) {
		t.Fatal(err)
	}
	f.stopAt = ""
	cfg.PPO.Iterations++
	if _, err := run(t, dir, cfg, f); err != nil {
		t.Fatal(err)
	}
	if got := f.commands(); got[0] != "ppo" {
		t.Fatalf("rerun with other settings: commands %v, want a fresh ppo", got)
	}
}

func TestRunReportsAFailingStage(t *testing.T) {
	dir := t.TempDir()
	f := &fakeAlign{failAt: "reward train"}
	_, err := run(t, dir, Quick(), f)
	if err == nil || !strings.Contains(err.Error(), "stage reward: boom") || !strings.Contains(err.Error(), LogFile) {
		t.Fatalf("err %v, want the stage, its error and its log", err)
	}
	if _, err := os.Stat(filepath.Join(dir, StagesDir, StageReward, DoneFile)); err == nil {
		t.Fatal("a failed stage has a done marker")
	}
}

func TestHumanLabelsAreMixedWithAILabels(t *testing.T) {
	dir := t.TempDir()
	human := filepath.Join(dir, "human.jsonl")
	if err := os.WriteFile(human, []byte(`{"prompt":"q","chosen":"x","rejected":"y"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := Quick()
	cfg.Label.HumanFile = human
	if _, err := run(t, filepath.Join(dir, "run"), cfg, &fakeAlign{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "run", DataDir, PreferencesFile))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if strings.Count(s, "\n") != 2 || !strings.Contains(s, `"source":"ai:builtin@1"`) || !strings.Contains(s, `"source":"human:human.jsonl"`) {
		t.Fatalf("preferences:\n%s", s)
	}

	// A bad human file is an error naming its line.
	if err := os.WriteFile(human, []byte(`{"prompt":"q","chosen":"x","rejected":"y"}`+"\n{\"prompt\": 3}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = run(t, filepath.Join(dir, "run2"), cfg, &fakeAlign{})
	if err == nil || !strings.Contains(err.Error(), "human.jsonl:2:") {
		t.Fatalf("err %v, want one naming human.jsonl:2", err)
	}
}

func TestConfigDecode(t *testing.T) {
	c := Default()
	if err := c.Decode(strings.NewReader("seed: 7\nppo:\n  iterations: 3\n  seed: 7\n"), "x.yaml"); err != nil {
		t.Fatal(err)
	}
	if c.PPO.Iterations != 3 || c.Seed != 7 || c.Pretrain.Seed != 7 || c.PPO.Seed != 7 || c.Pretrain.Steps != Default().Pretrain.Steps {
		t.Fatalf("decoded %+v", c)
	}
	// A map replaces the profile's.
	w := Default()
	if err := w.Decode(strings.NewReader("reward:\n  weights:\n    safety: 0.5\n"), "w.yaml"); err != nil {
		t.Fatal(err)
	}
	if len(w.Reward.Weights) != 1 || w.Reward.Weights["safety"] != 0.5 {
		t.Fatalf("weights %v, want only safety", w.Reward.Weights)
	}
	for _, bad := range []struct{ doc, want string }{
		{"ppo:\n  iteration: 3\n", "iteration"},
		{"sft:\n  seed: 2\n", "sft.seed"},
		{"nonsense: 1\n", "nonsense"},
		{"ppo: [1\n", "x.yaml"},
	} {
		c := Default()
		err := c.Decode(strings.NewReader(bad.doc), "x.yaml")
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: err %v, want one naming %s", bad.doc, err, bad.want)
		}
	}
	// config.yaml reads back as the same config.
	q := Quick()
	q.SetSeed(5)
	back := Default()
	if err := back.Decode(bytes.NewReader(q.YAML()), "config.yaml"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.YAML(), q.YAML()) {
		t.Fatalf("round trip changed the config:\n%s\nvs\n%s", back.YAML(), q.YAML())
	}
}

func TestConfigValidateNamesTheKey(t *testing.T) {
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.PPO.MiniBatch = 7 }, "ppo.mini_batch"},
		{func(c *Config) { c.SFT.LR = -1 }, "sft.lr"},
		{func(c *Config) { c.Generate.N = 1 }, "generate.n"},
		{func(c *Config) { c.Label.Judge = "gpt" }, "label.judge"},
		{func(c *Config) { c.Label.Judge = "none" }, "label.human_file"},
		{func(c *Config) { c.Eval.HeldOutJudge = "x" }, "eval.heldout_judge"},
	} {
		c := Quick()
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err %v, want one naming %s", err, tc.want)
		}
	}
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
}
