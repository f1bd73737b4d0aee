package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/chat/chattest"
	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/checkpoint/checkpointtest"
	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/reward/rewardtest"
)

// TestSFTRefusesABaseThatIsNotAPolicy: fine-tuning a reward model as if it
// were a policy used to run and write a checkpoint nothing could use.
func TestSFTRefusesABaseThatIsNotAPolicy(t *testing.T) {
	base := chattest.PolicyDir(t, "sft", 1, 0)
	rmDir := rewardtest.FromPolicy(t, base, 1)
	out := filepath.Join(t.TempDir(), "sft")
	_, err := SFT(context.Background(), SFTSpec{Config: sftStageConfig(), Base: rmDir, Data: data.Embedded, Out: out})
	ke, isKey := errors.AsType[*yamlconf.KeyError](err)
	kind, isKind := errors.AsType[*checkpoint.KindError](err)
	if !isKey || ke.Key != "base" || !isKind || kind.Found != checkpoint.KindReward || kind.Want != checkpoint.KindPolicy {
		t.Fatalf("sft on a reward model: %v, want a *checkpoint.KindError under the key base", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the refused run wrote %s: %v", out, err)
	}
}

// TestSFTOnBrokenWeights: a base whose weights hold a NaN is refused when
// loaded, naming the file and the tensor, instead of training and blaming
// the learning rate.
func TestSFTOnBrokenWeights(t *testing.T) {
	base := chattest.PolicyDir(t, "pretrain", 1, 0)
	checkpointtest.Poison(t, base, "transformer.h.0.ln_1.weight", checkpointtest.NaN)
	out := filepath.Join(t.TempDir(), "sft")
	_, err := SFT(context.Background(), SFTSpec{Config: sftStageConfig(), Base: base, Data: data.Embedded, Out: out})
	if _, ok := errors.AsType[*checkpoint.NonFiniteError](err); !ok || errors.Is(err, ErrDiverged) {
		t.Fatalf("sft on NaN weights: %v, want a *checkpoint.NonFiniteError", err)
	}
	for _, s := range []string{"transformer.h.0.ln_1.weight", filepath.Join(base, checkpoint.HFWeightsFile), "broken"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
	if strings.Contains(err.Error(), "learning rate") {
		t.Errorf("error %q blames the learning rate", err)
	}
}

// TestTrainersRecordAPolicy: pretrain and sft write config.json with the
// kind policy.
func TestTrainersRecordAPolicy(t *testing.T) {
	dir := t.TempDir()
	base, sft := filepath.Join(dir, "base"), filepath.Join(dir, "sft")
	if _, err := Pretrain(context.Background(), PretrainSpec{Config: stageConfig(), Data: data.Embedded, Out: base}); err != nil {
		t.Fatal(err)
	}
	c := sftStageConfig()
	c.EvalSamples = 0
	if _, err := SFT(context.Background(), SFTSpec{Config: c, Base: base, Data: data.Embedded, Out: sft}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{base, sft} {
		b, err := os.ReadFile(filepath.Join(d, checkpoint.HFConfigFile))
		if err != nil || !strings.Contains(string(b), `"kind": "policy"`) {
			t.Errorf("%s/config.json does not record the kind policy (%v):\n%s", d, err, b)
		}
	}
}
