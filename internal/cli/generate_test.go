package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/chat/chattest"
	"github.com/align-project/align/data"
)

// tinyPolicyDir saves a small random policy made by stage (see
// chattest.PolicyDir); with mute set it ends every answer at once.
func tinyPolicyDir(t *testing.T, stage string, seed uint64, mute bool) string {
	t.Helper()
	endAtOnce := 0.0
	if mute {
		endAtOnce = 1
	}
	return chattest.PolicyDir(t, stage, seed, endAtOnce)
}

const testPrompts = chattest.PromptsJSONL

// TestGenerate runs the command: its flags reach chat.GeneratePairs (whose
// own tests check the pairs) and the summary is printed.
func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	prompts := filepath.Join(dir, "prompts.jsonl")
	writeLines(t, prompts, strings.Split(strings.TrimSpace(testPrompts), "\n"))
	policy := tinyPolicyDir(t, "sft", 1, false)
	out := filepath.Join(dir, "pairs.jsonl")
	code, stdout, stderr := run(t, "generate", "--model", policy, "--prompts", prompts, "--n", "3", "--out", out,
		"--max-new-tokens", "6", "--top-p", "0.9", "--no-progress", "--seed", "5", "--contrast-prefix", "I can't")
	if code != 0 {
		t.Fatalf("generate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "4 pairs of 3 responses from 4 prompts") || stderr != "" {
		t.Errorf("stdout: %s\nstderr: %s", stdout, stderr)
	}
	pairs, _, err := data.ReadAll[data.Pair](out, data.ReadOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 4 || len(pairs[0].Responses) != 3 || !strings.HasPrefix(pairs[0].Responses[2], "I can't") {
		t.Fatalf("pairs %+v", pairs)
	}

	// The embedded prompts need no file.
	out3 := filepath.Join(dir, "embedded.jsonl")
	if code, stdout, stderr := run(t, "generate", "--model", policy, "--out", out3, "--limit", "3", "--max-new-tokens", "4", "--no-progress"); code != 0 || !strings.Contains(stdout, "3 pairs") {
		t.Fatalf("embedded: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestGenerateEmptyResponses(t *testing.T) {
	dir := t.TempDir()
	prompts := filepath.Join(dir, "prompts.jsonl")
	writeLines(t, prompts, strings.Split(strings.TrimSpace(testPrompts), "\n"))
	mute := tinyPolicyDir(t, "sft", 1, true)
	code, stdout, stderr := run(t, "generate", "--model", mute, "--prompts", prompts, "--out", filepath.Join(dir, "p.jsonl"),
		"--retries", "2", "--no-progress")
	if code != exitFailure || !strings.Contains(stderr, "no pairs: 8 responses stayed empty after 2 retries") || !strings.Contains(stderr, "hint:") {
		t.Fatalf("a model that only says EOS: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestGenerateUsage(t *testing.T) {
	policy := tinyPolicyDir(t, "sft", 1, false)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"generate", "--out", "x.jsonl"}, "--model"},
		{[]string{"generate", "--model", policy}, "--out"},
		{[]string{"generate", "--model", policy, "--out", "x.jsonl", "--n", "1"}, "--n: 1"},
		{[]string{"generate", "--model", policy, "--out", "x.jsonl", "--temperature", "0"}, "--temperature: 0"},
		{[]string{"generate", "--model", policy, "--out", "x.jsonl", "--top-p", "1.5"}, "--top-p: 1.5"},
		{[]string{"generate", "--model", policy, "--out", "x.jsonl", "--max-new-tokens", "0"}, "--max-new-tokens: 0"},
	} {
		if code, _, stderr := run(t, tc.args...); code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want 2 naming %s\n%s", tc.args, code, tc.want, stderr)
		}
	}
	// A prompts file that cannot be read is named by its flag, and is no usage error.
	code, _, stderr := run(t, "generate", "--model", policy, "--out", filepath.Join(t.TempDir(), "x.jsonl"), "--prompts", "missing.jsonl")
	if code != exitFailure || !strings.Contains(stderr, "--prompts: ") {
		t.Errorf("missing prompts: exit %d\n%s", code, stderr)
	}
}
