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
	"github.com/align-project/align/model"
)

// loraRun trains the synthetic task into out with rank-4 adapters on a
// Llama-shaped policy; interruptAt > 0 cancels the run after that step.
func loraRun(t *testing.T, out string, resume bool, interruptAt int) (*Trainer, error) {
	t.Helper()
	rng := rand.New(rand.NewPCG(31, 1))
	train, held := synthPairs(rng, 45), synthPairs(rng, 13)
	cfg := synthConfig()
	cfg.BatchSize, cfg.Steps, cfg.EvalEvery, cfg.SaveEvery, cfg.Patience, cfg.LR = 7, 20, 5, 4, 0, 1e-2
	p, err := model.New(model.Config{Arch: model.ArchLlama, VocabSize: synVocab, Context: 16, Layers: 2, Heads: 2, KVHeads: 1,
		Channels: 32, Hidden: 64}, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AddLoRA(model.LoRAConfig{Rank: 4, Alpha: 8, Targets: []string{"q_proj", "v_proj", "up_proj"}}, 9); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := &Trainer{Config: cfg, Policy: p, Train: train, HeldOut: held, StopTokens: []int32{synEOS}, Out: out, Resume: resume}
	tr.AfterStep = func(step int) {
		if step == interruptAt {
			cancel()
		}
	}
	_, err = tr.Run(ctx)
	return tr, err
}

// TestLoRAResumeIsExact: DPO with adapters keeps the base (its reference)
// fixed, and a run interrupted and resumed ends with the adapters, merged
// model and PEFT adapter of a run that never stopped.
func TestLoRAResumeIsExact(t *testing.T) {
	dir := t.TempDir()
	whole, broken := filepath.Join(dir, "whole"), filepath.Join(dir, "broken")
	want, err := loraRun(t, whole, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(want.Policy.TrainableParams(), func(v float32) bool { return v != 0 }) {
		t.Error("no adapter trained")
	}
	if _, err := loraRun(t, broken, false, 9); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted run: %v, want ErrInterrupted", err)
	}
	got, err := loraRun(t, broken, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Policy.TrainableParams(), want.Policy.TrainableParams()) {
		t.Error("the resumed adapters differ from the uninterrupted ones")
	}
	for _, f := range []string{checkpoint.HFWeightsFile, MetricsFile,
		filepath.Join(checkpoint.AdapterDir, checkpoint.PEFTWeightsFile)} {
		sameFile(t, filepath.Join(whole, f), filepath.Join(broken, f))
	}
}

func sameFile(t *testing.T, a, b string) {
	t.Helper()
	x, errA := os.ReadFile(a)
	y, errB := os.ReadFile(b)
	if errA != nil || errB != nil {
		t.Fatalf("read: %v, %v", errA, errB)
	}
	if !bytes.Equal(x, y) {
		t.Errorf("%s differs from %s", b, a)
	}
}
