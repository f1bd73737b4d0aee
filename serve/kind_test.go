package serve_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/checkpoint/checkpointtest"
	"github.com/align-project/align/reward/rewardtest"
	"github.com/align-project/align/serve"
)

// TestLoadTakesAPolicy: serve answers chat requests with a policy; a
// reward model, or weights that hold a NaN, are refused at load.
func TestLoadTakesAPolicy(t *testing.T) {
	m, tok := tiny(t, 32, 1, 16)
	policy := filepath.Join(t.TempDir(), "sft")
	if err := checkpoint.SaveHF(policy, m, tok, checkpoint.HFOptions{Align: checkpoint.AlignConfig{Kind: checkpoint.KindPolicy}}); err != nil {
		t.Fatal(err)
	}
	s, err := serve.Load(policy, serve.Config{})
	if err != nil {
		t.Fatalf("serve a policy: %v", err)
	}
	s.Close()

	rmDir := rewardtest.FromPolicy(t, policy, 1)
	_, err = serve.Load(rmDir, serve.Config{})
	if ke, ok := errors.AsType[*checkpoint.KindError](err); !ok || ke.Found != checkpoint.KindReward || ke.Want != checkpoint.KindPolicy {
		t.Errorf("serve a reward model: %v, want a *checkpoint.KindError", err)
	}

	checkpointtest.Poison(t, policy, "transformer.wpe.weight", checkpointtest.NaN)
	_, err = serve.Load(policy, serve.Config{})
	if _, ok := errors.AsType[*checkpoint.NonFiniteError](err); !ok {
		t.Errorf("serve NaN weights: %v, want a *checkpoint.NonFiniteError", err)
	}
}
