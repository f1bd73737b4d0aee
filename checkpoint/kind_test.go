package checkpoint

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/model"
)

// kindDir saves a tiny model with heads scalar heads and the align section
// a to <tmp>/name, and returns the directory.
func kindDir(t *testing.T, name string, heads int, a AlignConfig) string {
	t.Helper()
	cfg := tinyConfig
	cfg.ScalarHeads = heads
	dir := filepath.Join(t.TempDir(), name)
	if err := SaveHF(dir, testModel(t, cfg, 5), testTokenizer(t, true), HFOptions{Align: a}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// editConfig rewrites the config.json of dir with edit applied to its
// decoded form.
func editConfig(t *testing.T, dir string, edit func(c map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, HFConfigFile)
	var c map[string]any
	if err := json.Unmarshal(must(os.ReadFile(path)), &c); err != nil {
		t.Fatal(err)
	}
	edit(c)
	if err := os.WriteFile(path, must(json.Marshal(c)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// wantKindError checks that err is a *KindError of dir, found and want,
// whose text says what dir is, what was wanted and what to give.
func wantKindError(t *testing.T, err error, dir string, found, want Kind) {
	t.Helper()
	ke, ok := errors.AsType[*KindError](err)
	if !ok || ke.Dir != dir || ke.Found != found || ke.Want != want {
		t.Errorf("load %s as %s: error %v, want a *KindError: it is %s", dir, want, err, found)
		return
	}
	msg := err.Error()
	for _, s := range []string{dir + " is " + found.noun(), "not " + want.noun(), "give "} {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q lacks %q", msg, s)
		}
	}
	if !IsRefused(err) {
		t.Errorf("IsRefused(%v) is false", err)
	}
}

// TestKindRecorded: the kind a writer gives is in config.json, and each
// kind loads as itself and only as itself.
func TestKindRecorded(t *testing.T) {
	dirs := map[Kind]string{
		KindPolicy: kindDir(t, "sft", 0, AlignConfig{Kind: KindPolicy, Stage: "sft"}),
		KindReward: kindDir(t, "rm", 4, AlignConfig{Kind: KindReward, Stage: "reward"}),
		KindValue:  kindDir(t, "value", 1, AlignConfig{Kind: KindValue, Stage: "ppo-value"}),
	}
	for kind, dir := range dirs {
		if b := must(os.ReadFile(filepath.Join(dir, HFConfigFile))); !strings.Contains(string(b), `"kind": "`+string(kind)+`"`) {
			t.Errorf("%s: config.json does not record the kind %s:\n%s", dir, kind, b)
		}
		for _, want := range []Kind{KindPolicy, KindReward, KindValue} {
			hm, err := LoadKind(dir, want)
			if want != kind {
				wantKindError(t, err, dir, kind, want)
				if !strings.Contains(err.Error(), "as its config.json records") {
					t.Errorf("error %q does not say the kind is recorded", err)
				}
				continue
			}
			if err != nil || hm.Align.Kind != kind {
				t.Errorf("load %s as %s: %v", dir, want, err)
			}
		}
		hm, err := LoadHF(dir)
		if err != nil || hm.Align.Kind != kind {
			t.Errorf("LoadHF(%s): kind %q, %v", dir, hm.Align.Kind, err)
		}
	}
	_, _, err := LoadPolicy(dirs[KindReward])
	wantKindError(t, err, dirs[KindReward], KindReward, KindPolicy)
	// A ppo run's value/ is next to its policy: say so.
	_, _, err = LoadPolicy(dirs[KindValue])
	if err == nil || !strings.Contains(err.Error(), "value/ holds its value model") {
		t.Errorf("value model as a policy: %v", err)
	}
}

// TestKindInferred: checkpoints written before kinds were recorded, and
// GPT-2 directories from elsewhere, load as what their heads say.
func TestKindInferred(t *testing.T) {
	for _, tc := range []struct {
		name  string
		heads int
		align AlignConfig
		plain bool // no align section at all, as transformers writes
		want  Kind
	}{
		{"pretrain", 0, AlignConfig{Stage: "pretrain"}, false, KindPolicy},
		{"sft", 0, AlignConfig{Stage: "sft"}, false, KindPolicy},
		{"ppo", 0, AlignConfig{Stage: "ppo"}, false, KindPolicy},
		{"reward", 4, AlignConfig{Stage: "reward", HeadNames: []string{"preference", "coherence", "relevance", "safety"}}, false, KindReward},
		{"ppo-value", 1, AlignConfig{Stage: "ppo-value", HeadNames: []string{"value"}}, false, KindValue},
		{"gpt2", 0, AlignConfig{}, true, KindPolicy},
		{"sequence-classification", 2, AlignConfig{}, true, KindReward},
	} {
		dir := kindDir(t, tc.name, tc.heads, tc.align)
		if tc.plain {
			editConfig(t, dir, func(c map[string]any) { delete(c, "align") })
		}
		if b := must(os.ReadFile(filepath.Join(dir, HFConfigFile))); strings.Contains(string(b), `"kind"`) {
			t.Fatalf("%s: config.json records a kind:\n%s", tc.name, b)
		}
		hm, err := LoadKind(dir, tc.want)
		if err != nil || hm.Align.Kind != tc.want {
			t.Errorf("%s: loads as %q (%v), want %s", tc.name, hm.Align.Kind, err, tc.want)
			continue
		}
		other := KindPolicy
		if tc.want == KindPolicy {
			other = KindReward
		}
		_, err = LoadKind(dir, other)
		wantKindError(t, err, dir, tc.want, other)
		if err != nil && !strings.Contains(err.Error(), "scalar head") {
			t.Errorf("%s: error %q does not say how the kind was told", tc.name, err)
		}
	}
}

// TestKindContradicted: a recorded kind that align does not know or that
// the heads contradict is an error on save and on load.
func TestKindContradicted(t *testing.T) {
	cfg := tinyConfig
	cfg.ScalarHeads = 2
	rm := testModel(t, cfg, 1)
	policy := testModel(t, tinyConfig, 1)
	for _, tc := range []struct {
		m    *model.Model
		kind Kind
	}{{rm, KindPolicy}, {policy, KindReward}, {policy, KindValue}, {policy, "critic"}} {
		dir := filepath.Join(t.TempDir(), "x")
		err := SaveHF(dir, tc.m, nil, HFOptions{Align: AlignConfig{Kind: tc.kind}})
		if err == nil || !strings.Contains(err.Error(), "align.kind") {
			t.Errorf("save %d heads as %s: %v", tc.m.Config.ScalarHeads, tc.kind, err)
		}
	}
	for _, tc := range []struct {
		heads int
		kind  string
	}{{2, "policy"}, {0, "reward"}, {0, "value"}, {0, "critic"}} {
		dir := kindDir(t, "x", tc.heads, AlignConfig{})
		editConfig(t, dir, func(c map[string]any) {
			c["align"] = map[string]any{"scalar_heads": tc.heads, "kind": tc.kind}
		})
		_, err := LoadHF(dir)
		if err == nil || !strings.Contains(err.Error(), "align.kind") || !strings.Contains(err.Error(), HFConfigFile) {
			t.Errorf("load %d heads recorded as %s: %v", tc.heads, tc.kind, err)
		}
	}
}

// TestKindCheckedBeforeWeights: a checkpoint of the wrong kind is refused
// from its header, before its weights are read.
func TestKindCheckedBeforeWeights(t *testing.T) {
	dir := kindDir(t, "rm", 4, AlignConfig{Kind: KindReward})
	poke(t, filepath.Join(dir, HFWeightsFile), "transformer.wte.weight", 0, nan32)
	_, err := LoadKind(dir, KindPolicy)
	wantKindError(t, err, dir, KindReward, KindPolicy)
}
