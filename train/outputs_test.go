package train

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/outguard"
	"github.com/align-project/align/internal/testkit"
)

// TestForgottenResumeKeepsTheRun is issue 17's failure 3: a pretraining
// run interrupted at step 2, started again without Resume, used to replace
// last/ and truncate metrics.jsonl. Now the fresh start is refused and the
// run is untouched; Overwrite starts afresh; a finished run (which writes
// finished.json) is refused too, and resuming it still works.
func TestForgottenResumeKeepsTheRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "base")
	ctx, after := interruptAt(2)
	spec := PretrainSpec{Config: stageConfig(), Data: data.Embedded, Out: out, AfterStep: after}
	if _, err := Pretrain(ctx, spec); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted run: %v", err)
	}
	before := testkit.Snapshot(t, out)
	spec.AfterStep = nil
	_, err := Pretrain(context.Background(), spec)
	testkit.WantKeyError(t, err, "out", out+" holds an unfinished run", filepath.Join(out, LastDir), "resume", "overwrite")
	testkit.Unchanged(t, "the refused run", before, testkit.Snapshot(t, out))

	spec.Overwrite = true
	res, err := Pretrain(context.Background(), spec)
	if err != nil || res.Steps != 6 {
		t.Fatalf("overwrite: %d steps, %v", res.Steps, err)
	}
	ms, err := ReadMetrics(filepath.Join(out, MetricsFile))
	if err != nil || len(ms) == 0 || ms[len(ms)-1].Step != 6 {
		t.Fatalf("the overwriting run's metrics: %v, %v", ms, err)
	}
	for i := 1; i < len(ms); i++ {
		if ms[i].Step <= ms[i-1].Step {
			t.Errorf("metrics of two runs: step %d after %d", ms[i].Step, ms[i-1].Step)
		}
	}
	if !fileExists(filepath.Join(out, outguard.FinishedFile)) {
		t.Errorf("a finished run wrote no %s", outguard.FinishedFile)
	}

	spec.Overwrite = false
	before = testkit.Snapshot(t, out)
	_, err = Pretrain(context.Background(), spec)
	testkit.WantKeyError(t, err, "out", out+" holds a finished run", "overwrite")
	testkit.Unchanged(t, "the finished run", before, testkit.Snapshot(t, out))

	// A resume its checkpoint refuses (other data) leaves it finished.
	other := filepath.Join(t.TempDir(), "other.jsonl")
	var lines []string
	for _, d := range corpus(40) {
		lines = append(lines, `{"text": "`+d+`"}`)
	}
	if err := os.WriteFile(other, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := spec
	bad.Data, bad.Resume = other, true
	if _, err := Pretrain(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "training data differs") {
		t.Fatalf("resume on other data: %v", err)
	}
	testkit.Unchanged(t, "the finished run after a refused resume", before, testkit.Snapshot(t, out))

	spec.Resume = true
	if res, err := Pretrain(context.Background(), spec); err != nil || res.Steps != 6 {
		t.Errorf("resuming the finished run: %d steps, %v", res.Steps, err)
	}
	spec.Overwrite = true
	_, err = Pretrain(context.Background(), spec)
	testkit.WantKeyError(t, err, "overwrite", "give only one")
}

// TestResumeKeepsFixedSettings is issue 17's failure 4: resuming with
// another model shape trained the old one and recorded the new in
// config.yaml. Now a fixed setting that differs from the saved config is
// an error naming it, its saved value and the fix, and nothing changes.
func TestResumeKeepsFixedSettings(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "base")
	ctx, after := interruptAt(2)
	if _, err := Pretrain(ctx, PretrainSpec{Config: stageConfig(), Data: data.Embedded, Out: out, AfterStep: after}); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted run: %v", err)
	}
	before := testkit.Snapshot(t, out)
	for _, tc := range []struct {
		key, was string
		set      func(*Config)
	}{
		{"dim", "32", func(c *Config) { c.Dim = 64 }},
		{"layers", "1", func(c *Config) { c.Layers = 2 }},
		{"vocab", "300", func(c *Config) { c.Vocab = 512 }},
		{"seed", "1", func(c *Config) { c.Seed = 9 }},
		{"heldout", "0.05", func(c *Config) { c.HeldOut = 0.2 }},
		{"weight_decay", "0.1", func(c *Config) { c.WeightDecay = 0 }},
	} {
		cfg := stageConfig()
		tc.set(&cfg)
		_, err := Pretrain(context.Background(), PretrainSpec{Config: cfg, Data: data.Embedded, Out: out, Resume: true})
		testkit.WantKeyError(t, err, tc.key, "differs from "+tc.was, filepath.Join(out, ConfigFile), "resume without changing it")
	}
	testkit.Unchanged(t, "the refused resumes", before, testkit.Snapshot(t, out))

	// Free settings may change: more steps and another learning rate.
	cfg := stageConfig()
	cfg.Steps, cfg.LR = 8, cfg.LR/2
	if res, err := Pretrain(context.Background(), PretrainSpec{Config: cfg, Data: data.Embedded, Out: out, Resume: true}); err != nil || res.Steps != 8 {
		t.Errorf("resume with more steps: %d steps, %v", res.Steps, err)
	}
}

// TestOutputIsNoInput is issue 17's failure 2 for SFT: an output equal to
// the base (or inside it, or holding it) is refused, the base untouched.
func TestOutputIsNoInput(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base")
	if _, err := Pretrain(context.Background(), PretrainSpec{Config: stageConfig(), Data: data.Embedded, Out: base}); err != nil {
		t.Fatal(err)
	}
	before := testkit.Snapshot(t, base)
	for _, out := range []string{base, base + "/", filepath.Join(base, "sft"), dir} {
		_, err := SFT(context.Background(), SFTSpec{Config: sftStageConfig(), Base: base, Data: data.Embedded, Out: out})
		testkit.WantKeyError(t, err, "out", out, "base ("+base+")", "destroy the input")
	}
	_, err := Pretrain(context.Background(), PretrainSpec{Config: stageConfig(), Data: data.Embedded, Tokenizer: base, Out: base, Overwrite: true})
	testkit.WantKeyError(t, err, "out", "tokenizer ("+base+")")
	testkit.Unchanged(t, "the base", before, testkit.Snapshot(t, base))
}

// TestFailedRunLeavesNothing: a run that fails before its first checkpoint
// (here it diverges at once) used to leave config.yaml, metrics.jsonl and
// an empty last/ behind; now its directory is as it was: gone when the run
// made it, without the run's files when it existed.
func TestFailedRunLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base")
	if _, err := Pretrain(context.Background(), PretrainSpec{Config: stageConfig(), Data: data.Embedded, Out: base}); err != nil {
		t.Fatal(err)
	}
	cfg := sftStageConfig()
	cfg.LR, cfg.MinLR, cfg.Warmup, cfg.Clip = 1e30, 1e30, 0, 0
	out := filepath.Join(dir, "new", "sft")
	_, err := SFT(context.Background(), SFTSpec{Config: cfg, Base: base, Data: data.Embedded, Out: out})
	if !errors.Is(err, ErrDiverged) {
		t.Fatalf("err %v, want ErrDiverged", err)
	}
	if fileExists(filepath.Join(dir, "new")) {
		t.Errorf("the failed run left %v", testkit.Snapshot(t, filepath.Join(dir, "new")))
	}

	// The trainer alone, in a directory that holds other files.
	out = t.TempDir()
	other := filepath.Join(out, "notes.txt")
	if err := os.WriteFile(other, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	tr := tinyTrainer(t, tinyConfig(), out)
	tr.Model.W.Lnfw[0] = float32(math.NaN())
	if _, err := tr.Run(context.Background()); !errors.Is(err, ErrDiverged) {
		t.Fatalf("err %v, want ErrDiverged", err)
	}
	if got := testkit.Snapshot(t, out); len(got) != 1 || got["notes.txt"] != "mine" {
		t.Errorf("the failed run left %v", got)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 1 {
		t.Errorf("the failed run left %d entries", len(entries))
	}

	// After its first checkpoint a failing run keeps everything: it can be
	// resumed from there.
	out = t.TempDir()
	c := tinyConfig()
	c.SaveEvery = 10
	tr = tinyTrainer(t, c, out)
	tr.AfterStep = func(step int) {
		if step == 10 { // checkpointed: now every logit becomes NaN
			tr.Model.W.Lnfw[0] = float32(math.NaN())
		}
	}
	if _, err := tr.Run(context.Background()); !errors.Is(err, ErrDiverged) {
		t.Fatalf("err %v, want ErrDiverged", err)
	}
	for _, name := range []string{filepath.Join(LastDir, checkpoint.TrainStateManifest), ConfigFile, MetricsFile} {
		if !fileExists(filepath.Join(out, name)) {
			t.Errorf("a run that failed after its checkpoint lost %s", name)
		}
	}
}
