package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/eval"
)

func TestEval(t *testing.T) {
	dir := t.TempDir()
	prompts := filepath.Join(dir, "prompts.jsonl")
	writeLines(t, prompts, strings.Split(strings.TrimSpace(testPrompts), "\n"))
	sft, ppo, base := tinyPolicyDir(t, "sft", 1, false), tinyPolicyDir(t, "ppo", 2, false), tinyPolicyDir(t, "pretrain", 3, false)
	out, report := filepath.Join(dir, "eval.json"), filepath.Join(dir, "report")
	code, stdout, stderr := run(t, "eval", "--policy", ppo, "--baseline", sft, "--base", base, "--prompts", prompts,
		"--max-new-tokens", "6", "--resamples", "100", "--out", out, "--report", report, "--no-progress")
	if code != 0 {
		t.Fatalf("eval: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"4 held-out prompts", "pretrain", "sft", "ppo", "refusal (harmful)", "KL to reference",
		"win rate of ppo over sft", "held-out judge", "builtin@default-1"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res eval.Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	cols := res.Table.Columns
	if len(cols) != 3 || cols[0].Name != "pretrain" || cols[1].Name != "sft" || cols[2].Name != "ppo" {
		t.Fatalf("columns %+v", cols)
	}
	if cols[1].KL == nil || *cols[1].KL != 0 || cols[2].KL == nil || cols[1].Harmful != 1 {
		t.Errorf("KL to the baseline: sft %v ppo %v", cols[1].KL, cols[2].KL)
	}
	if res.WinRate == nil || res.HeldOutWinRate == nil || res.Policy != "ppo" || res.Baseline != "sft" || len(res.Samples) != 4 {
		t.Errorf("result %+v", res)
	}
	for _, f := range []string{"index.html", "summary.json"} {
		if _, err := os.Stat(filepath.Join(report, f)); err != nil {
			t.Error(err)
		}
	}

	// --heldout-judge none skips the held-out win rate.
	code, stdout, stderr = run(t, "eval", "--policy", ppo, "--baseline", sft, "--prompts", prompts, "--max-new-tokens", "4",
		"--heldout-judge", "none", "--json", "--no-progress")
	var one eval.Result
	decodeOne(t, stdout, &one)
	if code != 0 || one.WinRate == nil || one.HeldOutWinRate != nil {
		t.Errorf("--heldout-judge none: exit %d, %+v\n%s", code, one, stderr)
	}

	// --json prints the same structure; --judge none skips the win rates.
	code, stdout, stderr = run(t, "eval", "--policy", ppo, "--baseline", sft, "--prompts", prompts, "--max-new-tokens", "4",
		"--judge", "none", "--json", "--no-progress")
	if code != 0 {
		t.Fatalf("eval --json: exit %d\n%s", code, stderr)
	}
	var js eval.Result
	decodeOne(t, stdout, &js)
	if js.WinRate != nil || len(js.Table.Columns) != 2 {
		t.Errorf("--judge none --json: %+v", js)
	}
}

func TestEvalUsage(t *testing.T) {
	sft := tinyPolicyDir(t, "sft", 1, false)
	for _, args := range [][]string{
		{"eval", "--policy", sft},
		{"eval", "--baseline", sft},
		{"eval", "--policy", sft, "--baseline", sft, "--confidence", "1"},
		{"eval", "--policy", sft, "--baseline", sft, "--judge", "nonsense"},
		{"eval", "--policy", sft, "--baseline", sft, "--heldout-judge", "nonsense"},
		{"eval", "--policy", sft, "--baseline", sft, "--heldout-judge", "openai", "--base-url="}, // no server given
	} {
		if code, _, stderr := run(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, stderr)
		}
	}
}
