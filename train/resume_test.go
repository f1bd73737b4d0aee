package train

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/align-project/align/model"
)

// resumeConfig saves a checkpoint every 10 steps and evaluates every 10.
func resumeConfig() Config {
	c := tinyConfig()
	c.Steps, c.SaveEvery, c.EvalEvery, c.LogEvery = 40, 10, 10, 5
	return c
}

// reference runs resumeConfig without interruption and returns the final
// parameters and metrics.
func reference(t *testing.T) ([]float32, []Metrics) { return referenceOf(t, resumeConfig()) }

func referenceOf(t *testing.T, c Config) ([]float32, []Metrics) {
	t.Helper()
	tr := tinyTrainer(t, c, t.TempDir())
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	ms, err := ReadMetrics(filepath.Join(tr.Out, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	return slices.Clone(tr.Model.Params()), ms
}

// resume continues the run in out and returns the same as reference.
func resume(t *testing.T, out string) ([]float32, []Metrics) { return resumeOf(t, resumeConfig(), out) }

func resumeOf(t *testing.T, c Config, out string) ([]float32, []Metrics) {
	t.Helper()
	m, tok, err := ResumeModel(out)
	if err != nil {
		t.Fatal(err)
	}
	tr := tinyTrainer(t, c, out)
	tr.Model, tr.Tokenizer, tr.Resume = m, tok, true
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	ms, err := ReadMetrics(filepath.Join(out, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	return slices.Clone(tr.Model.Params()), ms
}

// sameRun compares parameters bitwise and metrics (losses, learning rates,
// gradient norms, steps) exactly; timings differ.
func sameRun(t *testing.T, wantP, gotP []float32, want, got []Metrics) {
	t.Helper()
	if i := firstDiffF32(wantP, gotP); i >= 0 {
		t.Errorf("final parameter %d differs: %v vs %v", i, wantP[i], gotP[i])
	}
	if len(want) != len(got) {
		t.Fatalf("%d metrics lines, want %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		w.TokensPerSec, g.TokensPerSec, w.Elapsed, g.Elapsed = 0, 0, 0, 0
		if !sameMetrics(w, g) {
			t.Errorf("metrics line %d:\n got %+v\nwant %+v", i+1, g, w)
		}
	}
}

func sameMetrics(a, b Metrics) bool {
	eq := func(x, y *float64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.Step == b.Step && a.Epoch == b.Epoch && a.TrainLoss == b.TrainLoss && a.LR == b.LR &&
		a.GradNorm == b.GradNorm && a.Tokens == b.Tokens && a.Warning == b.Warning &&
		eq(a.HeldOutLoss, b.HeldOutLoss) && eq(a.Gap, b.Gap) && eq(a.BestLoss, b.BestLoss)
}

// TestResumeAfterInterrupt cancels the context (Ctrl-C) at step 13, which
// checkpoints there, and resumes, for GPT-2 and for a Llama-shaped model.
func TestResumeAfterInterrupt(t *testing.T) {
	llama := resumeConfig()
	llama.Arch, llama.Heads, llama.KVHeads, llama.Tied = model.ArchLlama, 4, 2, true
	for _, c := range []Config{resumeConfig(), llama} {
		t.Run(c.ModelConfig(c.Vocab).Shape(), func(t *testing.T) {
			wantP, wantM := referenceOf(t, c)
			out := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			tr := tinyTrainer(t, c, out)
			tr.AfterStep = func(step int) {
				if step == 13 {
					cancel()
				}
			}
			res, err := tr.Run(ctx)
			if !errors.Is(err, ErrInterrupted) || res.Steps != 13 {
				t.Fatalf("interrupted run: %d steps, err %v", res.Steps, err)
			}
			gotP, gotM := resumeOf(t, c, out)
			sameRun(t, wantP, gotP, wantM, gotM)
		})
	}
}

// TestResumeAfterKill simulates a kill at step 17: the directory as it is
// then (checkpoint of step 10, metrics up to step 15) is copied away and the
// run resumed from the copy.
func TestResumeAfterKill(t *testing.T) {
	wantP, wantM := reference(t)
	out, killed := t.TempDir(), t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := tinyTrainer(t, resumeConfig(), out)
	tr.AfterStep = func(step int) {
		if step == 17 {
			if err := os.CopyFS(killed, os.DirFS(out)); err != nil {
				t.Error(err)
			}
			cancel()
		}
	}
	if _, err := tr.Run(ctx); !errors.Is(err, ErrInterrupted) {
		t.Fatal(err)
	}
	ms, err := ReadMetrics(filepath.Join(killed, MetricsFile))
	if err != nil || ms[len(ms)-1].Step != 15 {
		t.Fatalf("the killed run's metrics should end at step 15: %v, %v", ms, err)
	}
	gotP, gotM := resume(t, killed)
	sameRun(t, wantP, gotP, wantM, gotM)
}

const killChildEnv = "ALIGN_TRAIN_KILL_CHILD"

// killChild is the subprocess of TestResumeAfterSIGKILL: the reference run,
// slowed down so that the parent can kill it mid-way.
func killChild() {
	out := os.Getenv(killChildEnv)
	tr := tinyTrainer(&testing.T{}, resumeConfig(), out)
	tr.AfterStep = func(int) { time.Sleep(20 * time.Millisecond) }
	if _, err := tr.Run(context.Background()); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

// TestResumeAfterSIGKILL kills a real training process with SIGKILL after
// its second checkpoint and resumes its directory.
func TestResumeAfterSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	wantP, wantM := reference(t)
	out := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), killChildEnv+"="+out)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ms, _ := ReadMetrics(filepath.Join(out, MetricsFile))
		if len(ms) > 0 && ms[len(ms)-1].Step >= 25 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the child made no progress")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	ms, err := ReadMetrics(filepath.Join(out, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	if last := ms[len(ms)-1].Step; last >= resumeConfig().Steps {
		t.Fatalf("the child finished (step %d) before it was killed", last)
	}
	t.Logf("killed after step %d", ms[len(ms)-1].Step)
	gotP, gotM := resume(t, out)
	sameRun(t, wantP, gotP, wantM, gotM)
}
