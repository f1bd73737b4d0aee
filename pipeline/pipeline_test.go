package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/align-project/align/chat"
	"github.com/align-project/align/dpo"
	"github.com/align-project/align/eval"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/judge"
	"github.com/align-project/align/ppo"
	"github.com/align-project/align/reward"
	"github.com/align-project/align/rundir"
	"github.com/align-project/align/train"
)

// fakeSteps stand in for the stages' library calls: they record each call
// (with " --resume" when resuming) and write the files the next stages read.
type fakeSteps struct {
	calls  []string
	specs  []any  // every spec, in call order
	failAt string // step that returns an error
	keyAt  string // step that returns an error about its setting "data"
	cancel context.CancelFunc
	stopAt string // step during which the context is cancelled
}

func (f *fakeSteps) call(name string, resume bool) error {
	if resume {
		f.calls = append(f.calls, name+" --resume")
	} else {
		f.calls = append(f.calls, name)
	}
	switch name {
	case f.failAt:
		return errors.New("boom")
	case f.keyAt:
		return fmt.Errorf("read: %w", yamlconf.Keyf("data", "open x.jsonl: no such file"))
	case f.stopAt:
		f.cancel()
		return context.Canceled
	}
	return nil
}

func mkLast(out string) error { return os.MkdirAll(filepath.Join(out, "last"), 0o755) }

func (f *fakeSteps) steps() Steps {
	return Steps{
		Pretrain: func(_ context.Context, s train.PretrainSpec) (train.Result, error) {
			if err := mkLast(s.Out); err != nil {
				return train.Result{}, err
			}
			return train.Result{}, f.call("pretrain", s.Resume)
		},
		SFT: func(_ context.Context, s train.SFTSpec) (train.SFTResult, error) {
			if err := mkLast(s.Out); err != nil {
				return train.SFTResult{}, err
			}
			return train.SFTResult{}, f.call("sft", s.Resume)
		},
		Generate: func(_ context.Context, s chat.GenerateSpec) (chat.GenerateResult, error) {
			f.specs = append(f.specs, s)
			return chat.GenerateResult{}, f.call("generate"+roundSuffix(s.Out), false)
		},
		Label: func(_ context.Context, s judge.LabelSpec) (judge.LabelResult, error) {
			f.specs = append(f.specs, s)
			// The chosen response names the file, so that a test can tell
			// the rounds' labels apart.
			line := `{"prompt":"p","chosen":"` + filepath.Base(s.Out) + `","rejected":"b","source":"ai:builtin@1"}` + "\n"
			if err := os.WriteFile(s.Out, []byte(line), 0o644); err != nil {
				return judge.LabelResult{}, err
			}
			return judge.LabelResult{}, f.call("label"+roundSuffix(s.Out), false)
		},
		Reward: func(_ context.Context, s reward.TrainSpec) (reward.Result, error) {
			f.specs = append(f.specs, s)
			return reward.Result{}, f.call(filepath.Base(s.Out), false)
		},
		PPO: func(_ context.Context, s ppo.TrainSpec) (ppo.Result, error) {
			f.specs = append(f.specs, s)
			if err := mkLast(s.Out); err != nil {
				return ppo.Result{}, err
			}
			return ppo.Result{}, f.call(filepath.Base(s.Out), s.Resume)
		},
		DPO: func(_ context.Context, s dpo.TrainSpec) (dpo.Result, error) {
			f.specs = append(f.specs, s)
			if err := mkLast(s.Out); err != nil {
				return dpo.Result{}, err
			}
			return dpo.Result{}, f.call(filepath.Base(s.Out), s.Resume)
		},
		Eval: func(_ context.Context, s eval.Spec) (*eval.Result, error) {
			f.specs = append(f.specs, s)
			kl, ref, over, acc, decided := 1.5, 0.95, 0.05, 0.8, 0.9
			split := func(name, kind string) eval.Split {
				return eval.Split{Name: name, Kind: kind, Table: eval.Table{Columns: []eval.Metrics{{Name: "sft", Accuracy: &acc},
					{Name: "ppo", KL: &kl, Refusal: &ref, Coherent: &ref, Over: &over, Accuracy: &acc}}},
					HeldOutWinRate: &eval.WinRate{Prompts: 10, Rate: 0.7, Decided: &decided}}
			}
			res := &eval.Result{Policy: "ppo", Baseline: "sft",
				Splits: []eval.Split{split(eval.NameTest, eval.SplitTest), split(eval.NameHeldOut, eval.SplitHeldOut)}}
			b, _ := json.Marshal(res)
			if err := os.WriteFile(s.Out, b, 0o644); err != nil {
				return nil, err
			}
			return res, f.call(filepath.Base(filepath.Dir(s.Out)), false)
		},
	}
}

func (f *fakeSteps) commands() []string { return f.calls }

// roundSuffix is "-k" for the data file of round k ≥ 2 (pairs-2.jsonl),
// "" for round 1's, as rundir.RoundFile names them.
func roundSuffix(file string) string {
	base := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	if i := strings.LastIndex(base, "-"); i >= 0 {
		return base[i:]
	}
	return ""
}

func run(t *testing.T, dir string, cfg Config, f *fakeSteps) (Result, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.cancel = cancel
	f.calls, f.specs = nil, nil
	var out, errw bytes.Buffer
	return Run(ctx, Options{Dir: dir, Config: cfg, Steps: f.steps(), Version: "test", Stdout: &out, Stderr: &errw})
}

func TestRunSkipsFinishedStagesAndRerunsChangedOnes(t *testing.T) {
	dir := t.TempDir()
	cfg := Quick()
	f := &fakeSteps{}
	res, err := run(t, dir, cfg, f)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pretrain", "sft", "generate", "label", "reward", "ppo", "eval"}
	if got := f.commands(); !slices.Equal(got, want) {
		t.Fatalf("first run: commands %v, want %v", got, want)
	}
	if len(res.Ran) != 8 || len(res.Checks) != 13 {
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
	if err := json.Unmarshal(b, &sum); err != nil || len(sum.Checks) != 13 {
		t.Fatalf("summary checks %v (%v)", sum.Checks, err)
	}

	// Nothing changed: only the report is made again.
	res, err = run(t, dir, cfg, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 0 || !slices.Equal(res.Ran, []string{rundir.Report}) {
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
	if err := os.Remove(filepath.Join(dir, rundir.StagesDir, rundir.SFT, rundir.DoneFile)); err != nil {
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
	f := &fakeSteps{stopAt: "ppo"}
	_, err := run(t, dir, cfg, f)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted run: err %v, want ErrInterrupted", err)
	}
	if _, err := os.Stat(filepath.Join(dir, rundir.StagesDir, rundir.PPO, rundir.DoneFile)); err == nil {
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
	if !slices.Equal(res.Resumed, []string{rundir.PPO}) {
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
	f := &fakeSteps{failAt: "reward"}
	_, err := run(t, dir, Quick(), f)
	if err == nil || !strings.Contains(err.Error(), "stage reward: boom") || !strings.Contains(err.Error(), rundir.LogFile) {
		t.Fatalf("err %v, want the stage, its error and its log", err)
	}
	if _, err := os.Stat(filepath.Join(dir, rundir.StagesDir, rundir.Reward, rundir.DoneFile)); err == nil {
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
	if _, err := run(t, filepath.Join(dir, "run"), cfg, &fakeSteps{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "run", rundir.DataDir, rundir.PreferencesFile))
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
	_, err = run(t, filepath.Join(dir, "run2"), cfg, &fakeSteps{})
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
		{func(c *Config) { c.Label.Kind = "gpt" }, "label.judge"},
		{func(c *Config) { c.Label.Kind = "none" }, "label.human_file"},
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

func TestAStageErrorNamesTheSetting(t *testing.T) {
	f := &fakeSteps{keyAt: "sft"}
	_, err := run(t, t.TempDir(), Quick(), f)
	if err == nil || !strings.Contains(err.Error(), "sft.data: open x.jsonl") {
		t.Fatalf("err %v, want one naming sft.data", err)
	}
	if _, ok := errors.AsType[*yamlconf.KeyError](err); !ok {
		t.Errorf("err %v does not wrap the setting's *yamlconf.KeyError", err)
	}
}

// TestEditedInputFilesRerunTheirStage edits the PPO prompts file in place
// (same path, other content): PPO and the stages after it run again, the
// others are skipped. A new program version reruns everything.
func TestEditedInputFilesRerunTheirStage(t *testing.T) {
	dir := t.TempDir()
	prompts := filepath.Join(dir, "prompts.jsonl")
	if err := os.WriteFile(prompts, []byte(`{"prompt":"Say hi."}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := Quick()
	cfg.PPO.Prompts = prompts
	f := &fakeSteps{}
	if _, err := run(t, filepath.Join(dir, "run"), cfg, f); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, filepath.Join(dir, "run"), cfg, f); err != nil || len(f.calls) != 0 {
		t.Fatalf("unchanged rerun: calls %v, err %v", f.calls, err)
	}
	if err := os.WriteFile(prompts, []byte(`{"prompt":"Say hello."}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, filepath.Join(dir, "run"), cfg, f); err != nil {
		t.Fatal(err)
	}
	if got, want := f.commands(), []string{"ppo", "eval"}; !slices.Equal(got, want) {
		t.Fatalf("after editing the prompts: calls %v, want %v", got, want)
	}
	b, err := os.ReadFile(filepath.Join(dir, "run", rundir.DataDir, rundir.PPOPromptsFile))
	if err != nil || !strings.Contains(string(b), "Say hello.") {
		t.Fatalf("the PPO prompts copy was not rewritten: %q, %v", b, err)
	}

	ctx := context.Background()
	var out bytes.Buffer
	f.calls = nil
	if _, err := Run(ctx, Options{Dir: filepath.Join(dir, "run"), Config: cfg, Steps: f.steps(), Version: "test2", Stdout: &out}); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 7 {
		t.Fatalf("after a version change: calls %v, want every stage", f.calls)
	}
}

// TestShippedBaseSettings checks that the default profile starts from the
// shipped base, and that settings the base was not made with are refused
// unless the run pretrains from scratch.
func TestShippedBaseSettings(t *testing.T) {
	c := Default()
	if c.Pretrain.FromScratch || !Quick().Pretrain.FromScratch {
		t.Fatal("the default profile must start from the shipped base and the quick one from scratch")
	}
	c.SetSeed(9) // the seed does not matter to a fixed base
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Pretrain.Layers = 6
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "pretrain.layers") || !strings.Contains(err.Error(), "from_scratch") {
		t.Errorf("changed base settings: %v", err)
	}
	c.Pretrain.FromScratch = true
	if err := c.Validate(); err != nil {
		t.Errorf("from scratch: %v", err)
	}
	c = Default()
	c.Pretrain.Data = "corpus.jsonl"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "pretrain.data") {
		t.Errorf("another corpus: %v", err)
	}
}
