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
	if len(res.Splits) != 1 || res.Splits[0].Name != "prompts.jsonl" {
		t.Fatalf("splits %+v, want the one of prompts.jsonl", res.Splits)
	}
	sp := res.Splits[0]
	cols := sp.Table.Columns
	if len(cols) != 3 || cols[0].Name != "pretrain" || cols[1].Name != "sft" || cols[2].Name != "ppo" {
		t.Fatalf("columns %+v", cols)
	}
	if cols[1].KL == nil || *cols[1].KL != 0 || cols[2].KL == nil || cols[1].Harmful != 1 {
		t.Errorf("KL to the baseline: sft %v ppo %v", cols[1].KL, cols[2].KL)
	}
	if sp.WinRate == nil || sp.HeldOutWinRate == nil || res.Policy != "ppo" || res.Baseline != "sft" || len(sp.Samples) != 4 {
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
	if code != 0 || len(one.Splits) != 1 || one.Splits[0].WinRate == nil || one.Splits[0].HeldOutWinRate != nil {
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
	if len(js.Splits) != 1 || js.Splits[0].WinRate != nil || len(js.Splits[0].Table.Columns) != 2 {
		t.Errorf("--judge none --json: %+v", js)
	}
}

// --prompts embedded evaluates the default world's two held-out splits,
// --limit prompts of each.
func TestEvalEmbeddedSplits(t *testing.T) {
	sft, ppo := tinyPolicyDir(t, "sft", 1, false), tinyPolicyDir(t, "ppo", 2, false)
	code, stdout, stderr := run(t, "eval", "--policy", ppo, "--baseline", sft, "--prompts", "embedded", "--limit", "3",
		"--max-new-tokens", "4", "--resamples", "50", "--no-progress")
	if code != 0 {
		t.Fatalf("eval: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"6 prompts in 2 splits (unseen prompts 3, unseen phrasing 3)", "== unseen prompts: 3 prompts",
		"== unseen phrasing: 3 prompts"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if n := strings.Count(stdout, "win rate of ppo over sft"); n != 2 {
		t.Errorf("%d win rates, want one per split:\n%s", n, stdout)
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
