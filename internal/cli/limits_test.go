package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/chat/chattest"
)

// failingServers are judge servers that never give a verdict: nothing
// listening, only 5xx, only bodies that are not chat completions.
func failingServers(t *testing.T) map[string]string {
	t.Helper()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	fail := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	}))
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html>502 Bad Gateway</html>"))
	}))
	t.Cleanup(fail.Close)
	t.Cleanup(garbage.Close)
	return map[string]string{"down": down.URL + "/v1", "5xx": fail.URL + "/v1", "garbage": garbage.URL + "/v1"}
}

// label --judge openai used to exit 0 ("8 labelled now") with nothing
// written when every request failed.
func TestLabelOpenAIFailsWhenNothingIsJudged(t *testing.T) {
	for name, url := range failingServers(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			in, out := judgePairs(t, dir), filepath.Join(dir, "prefs.jsonl")
			code, stdout, stderr := run(t, "label", "--judge", "openai", "--base-url", url, "--model", "m",
				"--retries", "1", "--backoff", "1ms", "--in", in, "--out", out, "--no-progress")
			if code != exitFailure {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, exitFailure, stdout, stderr)
			}
			if !strings.Contains(stdout, "0 labelled now, 8 incomplete") {
				t.Errorf("stdout:\n%s", stdout)
			}
			for _, want := range []string{"align: error: label: judge openai:m at " + url + " could not judge any of the 8 comparisons",
				"the last failure: request failed", "then run the same command again"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if b, _ := os.ReadFile(out); len(b) != 0 {
				t.Errorf("preferences written:\n%s", b)
			}
		})
	}
}

// eval --judge openai likewise exited 0 with no verdicts.
func TestEvalOpenAIFailsWhenNothingIsJudged(t *testing.T) {
	dir := t.TempDir()
	prompts := filepath.Join(dir, "prompts.jsonl")
	writeLines(t, prompts, strings.Split(strings.TrimSpace(testPrompts), "\n"))
	sft, ppo := tinyPolicyDir(t, "sft", 1, false), tinyPolicyDir(t, "ppo", 2, false)
	for name, url := range failingServers(t) {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "eval.json")
			code, stdout, stderr := run(t, "eval", "--policy", ppo, "--baseline", sft, "--prompts", prompts, "--max-new-tokens", "4",
				"--judge", "openai", "--base-url", url, "--model", "m", "--retries", "1", "--backoff", "1ms", "--heldout-judge", "none",
				"--out", out, "--no-progress")
			if code != exitFailure || !strings.Contains(stderr, "align: error: eval: win rate: judge openai:m at "+url+" could not judge any of the 8 comparisons") {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("eval wrote a result without verdicts")
			}
		})
	}
}

// generate --n 100000 used to be accepted.
func TestGenerateRefusesAHugeN(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run(t, "generate", "--model", tinyPolicyDir(t, "sft", 1, false), "--prompts", "embedded",
		"--n", "100000", "--out", filepath.Join(dir, "pairs.jsonl"))
	if code != exitUsage || !strings.Contains(stderr, "--n: 100000: at most 16") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "pairs.jsonl")); err == nil {
		t.Error("pairs written")
	}
}

// reward train on a margin of 1e308 ended with "json: unsupported value:
// +Inf"; now the file, line and field are named before training.
func TestRewardTrainRefusesAnAbsurdMargin(t *testing.T) {
	base := chattest.PolicyDir(t, "sft", 1, 0)
	dir := t.TempDir()
	prefs := filepath.Join(dir, "prefs.jsonl")
	writeLines(t, prefs, []string{`{"prompt":"say a word","chosen":"good","rejected":"bad"}`,
		`{"prompt":"say a word","chosen":"good one","rejected":"bad one","margin":1e308}`})
	code, stdout, stderr := run(t, "reward", "train", "--base", base, "--data", prefs, "--heldout-frac", "0", "--out", filepath.Join(dir, "rm"), "--steps", "2")
	if code == exitOK || !strings.Contains(stderr, `prefs.jsonl:2: field "margin": 1e+308 is outside [0, 10]`) || strings.Contains(stderr, "json:") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, _, stderr = run(t, "reward", "train", "--base", base, "--data", prefs, "--out", filepath.Join(dir, "rm"), "--margin-scale", "1e308")
	if code != exitUsage || !strings.Contains(stderr, "--margin-scale: 1e+308: must be in [0, 10]") {
		t.Errorf("--margin-scale 1e308: exit %d\n%s", code, stderr)
	}
}
