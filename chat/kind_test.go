package chat_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/align-project/align/chat"
	"github.com/align-project/align/chat/chattest"
	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/reward/rewardtest"
)

// TestGeneratePairsRefusesARewardModel: generate samples from a policy; a
// reward model is refused before anything is written.
func TestGeneratePairsRefusesARewardModel(t *testing.T) {
	rmDir := rewardtest.FromPolicy(t, chattest.PolicyDir(t, "sft", 1, 0), 1)
	s := generateSpec(t, rmDir, promptsFile(t))
	_, err := chat.GeneratePairs(context.Background(), s)
	if ke, ok := errors.AsType[*checkpoint.KindError](err); !ok || ke.Found != checkpoint.KindReward || ke.Want != checkpoint.KindPolicy {
		t.Errorf("generate from a reward model: %v, want a *checkpoint.KindError", err)
	}
	if _, err := os.Stat(s.Out); !os.IsNotExist(err) {
		t.Errorf("the refused run wrote %s: %v", s.Out, err)
	}
}
