package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/chat/chattest"
)

func writeLines(t *testing.T, path string, lines []string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRewardTrainScoreEval(t *testing.T) {
	base := chattest.PolicyDir(t, "sft", 1, 0)
	dir := t.TempDir()
	prefs, held := filepath.Join(dir, "prefs.jsonl"), filepath.Join(dir, "held.jsonl")
	var lines []string
	for _, w := range []string{"answer", "word", "is", "a", "say"} {
		lines = append(lines, `{"prompt":"say a word","chosen":"good `+w+`","rejected":"bad `+w+`","source":"human:t"}`)
	}
	writeLines(t, prefs, lines)
	writeLines(t, held, []string{`{"prompt":"say a word","chosen":"good good","rejected":"bad bad","source":"ai:j@1","tags":["x"]}`})
	out := filepath.Join(dir, "rm")
	code, stdout, stderr := run(t, "reward", "train", "--base", base, "--data", prefs, "--heldout", held, "--out", out,
		"--steps", "20", "--batch", "4", "--lr", "3e-3", "--eval-every", "10", "--norm-samples", "4", "--norm-max-new", "6")
	if code != 0 {
		t.Fatalf("reward train: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "held-out accuracy") {
		t.Errorf("reward train output:\n%s", stdout)
	}

	in, scored := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "scored.jsonl")
	writeLines(t, in, []string{`{"prompt":"say a word","response":"good word","id":7}`})
	if code, stdout, stderr = run(t, "reward", "score", "--model", out, "--in", in, "--out", scored); code != 0 {
		t.Fatalf("reward score: exit %d\n%s\n%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(scored)
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	if _, ok := rec["score"].(float64); !ok || rec["id"] != 7.0 || rec["scores"] == nil {
		t.Errorf("scored line: %s", b)
	}

	if code, stdout, stderr = run(t, "reward", "eval", "--model", out, "--data", held); code != 0 || !strings.Contains(stdout, "source ai") {
		t.Fatalf("reward eval: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// Bad input: line-numbered errors, exit 1; bad usage: exit 2.
	bad := filepath.Join(dir, "bad.jsonl")
	writeLines(t, bad, []string{lines[0], `{"prompt":"q","chosen":"a","rejected":"b","p_chosen":2}`})
	code, _, stderr = run(t, "reward", "train", "--base", base, "--data", bad, "--out", filepath.Join(dir, "x"))
	if code != 1 || !strings.Contains(stderr, "bad.jsonl:2:") {
		t.Errorf("corrupt data: exit %d\n%s", code, stderr)
	}
	writeLines(t, in, []string{`{"prompt":"say a word"}`})
	if code, _, stderr = run(t, "reward", "score", "--model", out, "--in", in, "--out", scored); code != 1 || !strings.Contains(stderr, "in.jsonl:1:") {
		t.Errorf("score without response: exit %d\n%s", code, stderr)
	}
	if code, _, _ = run(t, "reward", "train", "--data", prefs); code != 2 {
		t.Errorf("missing --base: exit %d, want 2", code)
	}
	if code, _, stderr = run(t, "reward", "train", "--base", base, "--data", prefs, "--out", out, "--weights", "nonsense=1"); code != 2 || !strings.Contains(stderr, "--weights: unknown head") {
		t.Errorf("unknown head weight: exit %d, want 2 naming --weights\n%s", code, stderr)
	}
	if code, _, stderr = run(t, "reward", "train", "--base", base, "--data", prefs, "--out", out, "--heldout-frac", "1"); code != 2 || !strings.Contains(stderr, "--heldout-frac: 1: must be in [0, 1)") {
		t.Errorf("--heldout-frac 1: exit %d, want 2 naming it\n%s", code, stderr)
	}
}
