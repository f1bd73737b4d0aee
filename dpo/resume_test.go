package dpo

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/align-project/align/checkpoint"
)

// resumeRun trains the synthetic task into out; interruptAt > 0 cancels
// the run after that step.
func resumeRun(t *testing.T, out string, resume bool, interruptAt int) (Result, error) {
	t.Helper()
	rng := rand.New(rand.NewPCG(31, 1))
	train, held := synthPairs(rng, 45), synthPairs(rng, 13)
	cfg := synthConfig()
	cfg.BatchSize, cfg.Steps, cfg.EvalEvery, cfg.SaveEvery, cfg.Patience = 7, 23, 5, 4, 3
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := &Trainer{Config: cfg, Policy: synthModel(t), Train: train, HeldOut: held, StopTokens: []int32{synEOS}, Out: out, Resume: resume}
	tr.AfterStep = func(step int) {
		if step == interruptAt {
			cancel()
		}
	}
	return tr.Run(ctx)
}

// TestResumeIsExact interrupts a run twice and resumes it, the second time
// with a stale reference cache, and requires the final policy and
// metrics.jsonl to be byte for byte those of a run that never stopped.
func TestResumeIsExact(t *testing.T) {
	dir := t.TempDir()
	whole, broken := filepath.Join(dir, "whole"), filepath.Join(dir, "broken")
	want, err := resumeRun(t, whole, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want.RefReused {
		t.Error("a fresh run reports reading the reference cache")
	}

	if _, err := resumeRun(t, broken, false, 7); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted run: %v, want ErrInterrupted", err)
	}
	cache := filepath.Join(broken, RefCacheFile)
	before, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	res, err := resumeRun(t, broken, true, 16)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("first resume: %v, want ErrInterrupted", err)
	}
	if !res.RefReused || res.Steps != 16 {
		t.Errorf("first resume: reference cache reused %v, %d steps; want true, 16", res.RefReused, res.Steps)
	}
	// A cache of another reference (its key changed) is stale: the resumed
	// run must compute the log-probs again, not trust it.
	stale := bytes.Clone(before)
	stale[len(refMagic)] ^= 1
	if err := os.WriteFile(cache, stale, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = resumeRun(t, broken, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.RefReused {
		t.Error("second resume reused a stale reference cache")
	}
	if after, err := os.ReadFile(cache); err != nil || !bytes.Equal(after, before) {
		t.Errorf("the recomputed cache differs from the first (err %v)", err)
	}
	if res.Steps != want.Steps || res.BestStep != want.BestStep || res.BestAccuracy != want.BestAccuracy {
		t.Errorf("resumed: %d steps, best %v at %d; uninterrupted: %d steps, best %v at %d",
			res.Steps, res.BestAccuracy, res.BestStep, want.Steps, want.BestAccuracy, want.BestStep)
	}
	for _, name := range []string{MetricsFile, checkpoint.HFWeightsFile} {
		a, errA := os.ReadFile(filepath.Join(whole, name))
		b, errB := os.ReadFile(filepath.Join(broken, name))
		if errA != nil || errB != nil {
			t.Fatalf("read %s: %v, %v", name, errA, errB)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s of the resumed run differs from the uninterrupted run's", name)
		}
	}
	wantLast, err := checkpoint.LoadTrainState(filepath.Join(whole, LastDir))
	if err != nil {
		t.Fatal(err)
	}
	gotLast, err := checkpoint.LoadTrainState(filepath.Join(broken, LastDir))
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range wantLast.Params {
		if gotLast.Params[i] != v {
			t.Fatalf("last weights differ at parameter %d: %v, want %v", i, gotLast.Params[i], v)
		}
	}
}

// TestBestPolicyKept checks that the output holds the policy of the best
// held-out accuracy as a Hugging Face directory.
func TestBestPolicyKept(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	res, err := resumeRun(t, out, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	hm, err := checkpoint.LoadHF(out)
	if err != nil {
		t.Fatal(err)
	}
	st, err := checkpoint.LoadTrainState(filepath.Join(out, LastDir))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("best held-out accuracy %.3f at step %d of %d (early stopped %v)", res.BestAccuracy, res.BestStep, res.Steps, res.EarlyStopped)
	same := slices.Equal(hm.Model.Params(), st.Params)
	if same != (res.BestStep == res.Steps) {
		t.Errorf("best step %d of %d, yet the saved policy equals the last weights: %v", res.BestStep, res.Steps, same)
	}
}
