package chat_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/align-project/align/chat"
	"github.com/align-project/align/chat/chattest"
	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/reward"
)

// TestGeneratePairsRefusesARewardModel: generate samples from a policy; a
// reward model is refused before anything is written.
func TestGeneratePairsRefusesARewardModel(t *testing.T) {
	m, tok, err := checkpoint.LoadPolicy(chattest.PolicyDir(t, "sft", 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	rm, err := reward.New(m, tok, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	rmDir := filepath.Join(t.TempDir(), "rm")
	if err := rm.Save(rmDir); err != nil {
		t.Fatal(err)
	}
	s := generateSpec(t, rmDir, promptsFile(t))
	_, err = chat.GeneratePairs(context.Background(), s)
	if ke, ok := errors.AsType[*checkpoint.KindError](err); !ok || ke.Found != checkpoint.KindReward || ke.Want != checkpoint.KindPolicy {
		t.Errorf("generate from a reward model: %v, want a *checkpoint.KindError", err)
	}
	if _, err := os.Stat(s.Out); !os.IsNotExist(err) {
		t.Errorf("the refused run wrote %s: %v", s.Out, err)
	}
}
