package reward

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/align-project/align/chat/chattest"
	"github.com/align-project/align/internal/testkit"
)

// TestTrainOutputs: an out equal to the base (issue 17's failure 2) is
// refused with the base untouched; a reward model in out is not replaced
// without Overwrite; 'reward score' does not write over its input.
func TestTrainOutputs(t *testing.T) {
	base := chattest.PolicyDir(t, "sft", 1, 0)
	prefs, held := trainPrefs(t)
	weights, err := os.ReadFile(filepath.Join(base, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	spec := TrainSpec{Config: tinyTrainConfig(), Base: base, Data: prefs, HeldOut: held, Out: base}
	_, err = Train(context.Background(), spec)
	testkit.WantKeyError(t, err, "out", "is the same path as base", "destroy the input")
	spec.Out = filepath.Dir(prefs)
	_, err = Train(context.Background(), spec)
	testkit.WantKeyError(t, err, "out", "contains data")
	if b, err := os.ReadFile(filepath.Join(base, "model.safetensors")); err != nil || string(b) != string(weights) {
		t.Fatalf("the base changed: %v", err)
	}

	spec.Out = filepath.Join(t.TempDir(), "rm")
	if _, err := Train(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	_, err = Train(context.Background(), spec)
	testkit.WantKeyError(t, err, "out", "holds a finished run", "overwrite")
	spec.Overwrite = true
	if _, err := Train(context.Background(), spec); err != nil {
		t.Fatalf("overwrite: %v", err)
	}

	in := writeFile(t, filepath.Join(t.TempDir(), "in.jsonl"), `{"prompt":"p","response":"r"}`)
	m, err := Load(spec.Out)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ScoreFile(context.Background(), m, in, in, 1)
	testkit.WantKeyError(t, err, "out", "is the same path as in")
}
