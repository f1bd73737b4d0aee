package reward

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/chat/chattest"
	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/internal/yamlconf"
)

// TestKinds: a saved reward model says it is one; Load takes only reward
// models and LoadBase only policies; a reward model saved before kinds were
// recorded still loads.
func TestKinds(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rm")
	if err := tiny(t).Save(dir); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, checkpoint.HFConfigFile)
	b, err := os.ReadFile(cfgPath)
	if err != nil || !strings.Contains(string(b), `"kind": "reward"`) {
		t.Fatalf("config.json does not record the kind reward (%v):\n%s", err, b)
	}
	if _, err := Load(dir); err != nil {
		t.Fatal(err)
	}
	policy := chattest.PolicyDir(t, "sft", 1, 0)
	for _, tc := range []struct {
		what  string
		err   error
		found checkpoint.Kind
	}{
		{"Load of a policy", second(Load(policy)), checkpoint.KindPolicy},
		{"LoadBase of a reward model", second(LoadBase(dir, 0, 1)), checkpoint.KindReward},
		{"NewModelSource of a policy", second(NewModelSource(policy)), checkpoint.KindPolicy},
	} {
		if ke, ok := errors.AsType[*checkpoint.KindError](tc.err); !ok || ke.Found != tc.found {
			t.Errorf("%s: %v, want a *checkpoint.KindError: it is %s", tc.what, tc.err, tc.found)
		}
	}

	// Before kinds: the same file without "kind", as older runs wrote it.
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	delete(c["align"].(map[string]any), "kind")
	if b, err = json.Marshal(c); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err != nil {
		t.Errorf("a reward model without a recorded kind: %v", err)
	}
	if _, err := LoadBase(dir, 0, 1); !checkpoint.IsRefused(err) {
		t.Errorf("LoadBase of a reward model without a recorded kind: %v", err)
	}
}

// TestTrainRefusesARewardModelAsBase: 'reward train --base' takes a
// policy, and says so under its key.
func TestTrainRefusesARewardModelAsBase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rm")
	if err := tiny(t).Save(dir); err != nil {
		t.Fatal(err)
	}
	prefs, _ := trainPrefs(t)
	out := filepath.Join(t.TempDir(), "rm2")
	_, err := Train(context.Background(), TrainSpec{Config: tinyTrainConfig(), Base: dir, Data: prefs, HeldOutFrac: DefaultHeldOutFrac, Out: out})
	if ke, ok := errors.AsType[*yamlconf.KeyError](err); !ok || ke.Key != "base" || !checkpoint.IsRefused(err) {
		t.Errorf("reward train on a reward model: %v, want a *checkpoint.KindError under the key base", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the refused run wrote %s: %v", out, err)
	}
}

func second[T any](_ T, err error) error { return err }
