package ppo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/reward"
)

// TestTrainRefusesWrongKinds: --policy takes a policy and --reward a
// reward model; swapped, the run stops before writing anything.
func TestTrainRefusesWrongKinds(t *testing.T) {
	policy, prompts := sftFixture(t)
	net, tok, err := checkpoint.LoadPolicy(policy)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := reward.New(net, tok, 0, 7)
	if err != nil {
		t.Fatal(err)
	}
	rmDir := filepath.Join(t.TempDir(), "rm")
	if err := rm.Save(rmDir); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		policy, reward string
		found, want    checkpoint.Kind
	}{
		{rmDir, rmDir, checkpoint.KindReward, checkpoint.KindPolicy},
		{policy, policy, checkpoint.KindPolicy, checkpoint.KindReward},
	} {
		out := filepath.Join(t.TempDir(), "ppo")
		_, err := Train(context.Background(), TrainSpec{Config: tinyStageConfig(), Policy: tc.policy, Prompts: prompts,
			Reward: RewardSpec{Dir: tc.reward}, Out: out})
		if ke, ok := errors.AsType[*checkpoint.KindError](err); !ok || ke.Found != tc.found || ke.Want != tc.want {
			t.Errorf("policy %s, reward %s: %v, want a *checkpoint.KindError: %s, not %s", tc.policy, tc.reward, err, tc.found, tc.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("the refused run wrote %s: %v", out, err)
		}
	}
}
