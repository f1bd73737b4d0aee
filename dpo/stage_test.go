package dpo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/internal/outguard"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/ppo/ppotest"
)

// writePrefs writes n preference records over the words of ppotest's
// tokenizer, prompts short enough for its context of 40 tokens.
func writePrefs(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		line, _ := json.Marshal(map[string]any{"prompt": fmt.Sprintf("good %d", i), "chosen": "good.", "rejected": "a bad answer"})
		b.Write(append(line, '\n'))
	}
	path := filepath.Join(t.TempDir(), "prefs.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTrainHoldsOutByPrompt(t *testing.T) {
	policy, _ := ppotest.Fixture(t)
	cfg := DefaultConfig()
	cfg.Steps, cfg.BatchSize, cfg.EvalEvery, cfg.KLPrompts, cfg.KLMaxNewTokens = 3, 4, 0, 2, 3
	out := filepath.Join(t.TempDir(), "dpo")
	var log strings.Builder
	res, err := Train(context.Background(), TrainSpec{Config: cfg, Policy: policy, Data: writePrefs(t, 30), HeldOutFrac: 0.3, Out: out, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	var train, held int
	fmt.Sscanf(log.String()[strings.Index(log.String(), "; ")+2:], "%d training and %d held-out pairs", &train, &held)
	if train+held != 30 || held == 0 || train == 0 {
		t.Errorf("split %d training, %d held out of 30:\n%s", train, held, log.String())
	}
	if res.Steps != 3 || res.Last.Eval == nil || res.Last.KL == nil {
		t.Errorf("result %+v", res)
	}
	if _, _, err := checkpoint.LoadPolicy(out); err != nil {
		t.Errorf("the policy in Out: %v", err)
	}
	// Every file of a run is one outputs lists, so that overwrite clears it
	// and a failed run can take it back.
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	known := append(outputs(out).Files, outguard.FinishedFile)
	for _, e := range entries {
		if !slices.Contains(known, e.Name()) {
			t.Errorf("%s is not among the outputs of a run", e.Name())
		}
	}
	var sb strings.Builder
	res.WriteText(&sb)
	for _, want := range []string{"dpo: 3 steps", "best held-out accuracy", "KL", out} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, sb.String())
		}
	}

	// A finished run is refused without Overwrite; settings and inputs that
	// cannot work name their key.
	_, err = Train(context.Background(), TrainSpec{Config: cfg, Policy: policy, Data: writePrefs(t, 3), Out: out})
	if ke, ok := errors.AsType[*yamlconf.KeyError](err); !ok || ke.Key != "out" {
		t.Errorf("second run into a finished Out: %v", err)
	}
	bad := cfg
	bad.Loss = "hinge"
	for _, tc := range []struct {
		spec TrainSpec
		key  string
	}{
		{TrainSpec{Config: bad, Policy: policy, Data: "x"}, "loss"},
		{TrainSpec{Config: cfg, Data: "x"}, "policy"},
		{TrainSpec{Config: cfg, Policy: policy, Data: "x", HeldOutFrac: 1}, "heldout_frac"},
		{TrainSpec{Config: cfg, Policy: policy, Data: filepath.Join(out, "missing.jsonl")}, "data"},
		{TrainSpec{Config: cfg, Policy: policy, Data: writePrefs(t, 3), Reference: filepath.Join(out, "missing")}, "reference"},
	} {
		_, err := Train(context.Background(), tc.spec)
		if ke, ok := errors.AsType[*yamlconf.KeyError](err); !ok || ke.Key != tc.key {
			t.Errorf("%+v: error %v, want one naming %s", tc.spec, err, tc.key)
		}
	}
}

// TestDivergedRunLeavesOutAsFound makes a run blow up before its first
// checkpoint: it must say so with ErrDiverged and leave its directory as it
// was (here holding a file of someone else's).
func TestDivergedRunLeavesOutAsFound(t *testing.T) {
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := synthConfig()
	cfg.LR, cfg.MinLR, cfg.Steps, cfg.SaveEvery = 1e30, 0, 6, 0
	rng := rand.New(rand.NewPCG(5, 5))
	tr := &Trainer{Config: cfg, Policy: synthModel(t), Train: synthPairs(rng, 20), HeldOut: synthPairs(rng, 5), Out: out}
	_, err := tr.Run(context.Background())
	if !errors.Is(err, ErrDiverged) {
		t.Fatalf("error %v, want ErrDiverged", err)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 || entries[0].Name() != "notes.txt" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("Out holds %v after the failed run, want only notes.txt", names)
	}
	if _, err := os.Stat(filepath.Join(out, outguard.FinishedFile)); err == nil {
		t.Error("a failed run marked finished")
	}
}
