package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/ppo"
	"github.com/align-project/align/ppo/ppotest"
)

var grpoTiny = []string{"--iterations", "2", "--batch-size", "2", "--group-size", "3", "--mini-batch", "3", "--max-new-tokens", "6", "--sample-every", "1", "--sample-rows", "1"}

// TestGrpoCommand runs 'align grpo' end to end with the answer checker on
// a tiny checkpoint, then with a judge and the checker combined.
func TestGrpoCommand(t *testing.T) {
	policy, _ := ppotest.Fixture(t)
	prompts := filepath.Join(t.TempDir(), "checkable.jsonl")
	var lines []string
	for _, p := range []map[string]string{
		{"prompt": "write something nice", "answer": "nice"},
		{"prompt": "a bad answer", "answer": "good"},
		{"prompt": "good"}, // no answer: skipped when the checker is the only source
	} {
		b, _ := json.Marshal(p)
		lines = append(lines, string(b))
	}
	if err := os.WriteFile(prompts, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(t.TempDir(), "rlvr")
	args := append([]string{"grpo", "--policy", policy, "--prompts", prompts, "--out", out, "--verify"}, grpoTiny...)
	code, stdout, stderr := run(t, args...)
	if code != exitOK {
		t.Fatalf("align grpo --verify: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "grpo: 2 iterations") || !strings.Contains(stdout, "groups of 3") || strings.Contains(stdout, "value:") {
		t.Errorf("summary:\n%s", stdout)
	}
	if !strings.Contains(stderr, "1 of 3 prompts have no answer") {
		t.Errorf("no warning about the prompt without an answer:\n%s", stderr)
	}
	var st ppo.Stats
	ml := strings.Split(strings.TrimSpace(ppoReadFile(t, filepath.Join(out, ppo.MetricsFile))), "\n")
	if len(ml) != 2 || json.Unmarshal([]byte(ml[1]), &st) != nil || st.Iteration != 2 || st.Steps != 2 {
		t.Errorf("metrics %q", ml)
	}
	cfg := ppoReadFile(t, filepath.Join(out, ppo.ConfigFile))
	for _, want := range []string{"advantage: grpo", "group_size: 3", "epochs: 1", "kl_in_loss: true", "loss_norm: sequence"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config.yaml lacks %q:\n%s", want, cfg)
		}
	}
	if _, err := checkpoint.LoadHF(out); err != nil {
		t.Errorf("final policy: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, ppo.ValueDir)); !os.IsNotExist(err) {
		t.Errorf("grpo saved a value model: %v", err)
	}

	// The judge and the checker, weighted; RLOO.
	mix := filepath.Join(t.TempDir(), "mix")
	args = append([]string{"grpo", "--policy", policy, "--prompts", prompts, "--out", mix, "--advantage", "rloo",
		"--judge", "builtin", "--judge-weight", "0.5", "--verify", "--verify-weight", "1"}, grpoTiny...)
	if code, stdout, stderr := run(t, args...); code != exitOK || !strings.Contains(stdout, "rloo: 2 iterations") {
		t.Fatalf("align grpo --judge --verify: exit %d\n%s\n%s", code, stdout, stderr)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--judge", "builtin", "--verify"}, "--reward: combining reward sources (judge, verify) needs the weight of each"},
		{[]string{"--verify", "--judge-weight", "1"}, "--judge-weight: 1: weighs a source that is not given (judge)"},
		{[]string{"--verify", "--group-size", "1"}, "--group-size: 1: must be at least 2 with a group advantage"},
		{[]string{"--verify", "--mini-batch", "5"}, "--mini-batch: 5: must divide batch_size × group_size"},
		{[]string{"--verify", "--advantage", "ppo2"}, "--advantage"},
		{nil, "give a reward source"},
	} {
		args := append([]string{"grpo", "--policy", policy, "--prompts", prompts, "--out", filepath.Join(t.TempDir(), "x")}, tc.args...)
		if code, _, stderr := run(t, args...); code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
}
