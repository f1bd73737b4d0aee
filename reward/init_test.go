package reward

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"

	"github.com/align-project/align/chat/chattest"
	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
)

// TestTrainGoesOnFromAnEarlierRewardModel: with Init the model starts from
// that reward model's weights, and its rewards are still normalised on
// samples of the SFT policy Base, not of the reward network.
func TestTrainGoesOnFromAnEarlierRewardModel(t *testing.T) {
	base := chattest.PolicyDir(t, "sft", 1, 0)
	prefs, held := trainPrefs(t)
	dir := t.TempDir()
	first := filepath.Join(dir, "rm1")
	cfg := tinyTrainConfig()
	r1, err := Train(context.Background(), TrainSpec{Config: cfg, Base: base, Data: prefs, HeldOut: held, Out: first})
	if err != nil {
		t.Fatal(err)
	}
	// One step too small to move anything: the model is the first one.
	still := cfg
	still.Steps, still.LR, still.MinLR, still.Warmup = 1, 1e-12, 0, 0
	r2, err := Train(context.Background(), TrainSpec{Config: still, Base: base, Init: first, Data: prefs, HeldOut: held, Out: filepath.Join(dir, "rm2")})
	if err != nil {
		t.Fatal(err)
	}
	if r2.TrainEval.Accuracy != r1.TrainEval.Accuracy || r2.TrainEval.Accuracy < 0.99 {
		t.Errorf("train accuracy %v after going on from a model at %v", r2.TrainEval.Accuracy, r1.TrainEval.Accuracy)
	}
	// The same SFT samples (same seed) scored by the same weights.
	for k := range NumHeads {
		if d := math.Abs(r2.Norm.Mean[k] - r1.Norm.Mean[k]); d > 1e-6 {
			t.Errorf("head %d: normalisation mean %v, the first model's %v: not the SFT samples", k, r2.Norm.Mean[k], r1.Norm.Mean[k])
		}
	}
	// From the base, the same step leaves an untrained model.
	r3, err := Train(context.Background(), TrainSpec{Config: still, Base: base, Data: prefs, HeldOut: held, Out: filepath.Join(dir, "rm3")})
	if err != nil {
		t.Fatal(err)
	}
	if r3.TrainEval.Accuracy >= r1.TrainEval.Accuracy && r3.TrainEval.Loss <= r1.TrainEval.Loss {
		t.Errorf("from the base: accuracy %v, loss %v; the control should be worse than %v, %v", r3.TrainEval.Accuracy, r3.TrainEval.Loss, r1.TrainEval.Accuracy, r1.TrainEval.Loss)
	}

	// Init must be a reward model of Base's shape.
	net, tok, err := checkpoint.LoadPolicy(base)
	if err != nil {
		t.Fatal(err)
	}
	cfgOther := net.Config
	cfgOther.Channels *= 2
	other, err := model.New(cfgOther, 1)
	if err != nil {
		t.Fatal(err)
	}
	om, err := New(other, tok, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	otherDir := filepath.Join(dir, "other")
	if err := om.Save(otherDir); err != nil {
		t.Fatal(err)
	}
	for _, init := range []string{otherDir, base, filepath.Join(dir, "missing")} {
		_, err := Train(context.Background(), TrainSpec{Config: still, Base: base, Init: init, Data: prefs, HeldOut: held})
		if ke, ok := errors.AsType[*yamlconf.KeyError](err); !ok || ke.Key != "init" {
			t.Errorf("init %s: %v, want an error of the setting init", init, err)
		}
	}
}
