package judge

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/align-project/align/chat/chattest"
	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/reward"
)

// TestReferenceModelIsAPolicy: the builtin judge's perplexity comes from a
// language model; a reward model is refused under reference_model.
func TestReferenceModelIsAPolicy(t *testing.T) {
	policy := chattest.PolicyDir(t, "sft", 1, 0)
	s := DefaultSpec()
	s.ReferenceModel = policy
	if _, err := New(s); err != nil {
		t.Fatalf("a policy as the reference model: %v", err)
	}
	m, tok, err := checkpoint.LoadPolicy(policy)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := reward.New(m, tok, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	s.ReferenceModel = filepath.Join(t.TempDir(), "rm")
	if err := rm.Save(s.ReferenceModel); err != nil {
		t.Fatal(err)
	}
	_, err = New(s)
	ke, ok := errors.AsType[*yamlconf.KeyError](err)
	if kind, isKind := errors.AsType[*checkpoint.KindError](err); !ok || ke.Key != "reference_model" || !isKind || kind.Found != checkpoint.KindReward {
		t.Errorf("a reward model as the reference model: %v, want a *checkpoint.KindError under reference_model", err)
	}
}
