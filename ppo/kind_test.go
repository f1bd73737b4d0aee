package ppo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/reward/rewardtest"
)

// TestTrainRefusesWrongKinds: --policy takes a policy and --reward a
// reward model; swapped, the run stops before writing anything.
func TestTrainRefusesWrongKinds(t *testing.T) {
	policy, prompts := sftFixture(t)
	rmDir := rewardtest.FromPolicy(t, policy, 7)
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
