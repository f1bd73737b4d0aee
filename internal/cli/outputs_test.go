package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/internal/outguard"
	"github.com/align-project/align/internal/testkit"
	"github.com/align-project/align/ppo/ppotest"
	"github.com/align-project/align/train"
)

// TestHugeThreads is issue 17's failure 1: the value went to
// runtime.GOMAXPROCS unchecked and the process died out of memory.
func TestHugeThreads(t *testing.T) {
	code, _, stderr := run(t, "--threads", "1000000000", "pretrain", "--out", filepath.Join(t.TempDir(), "base"))
	if code != exitUsage || !strings.Contains(stderr, "--threads must be at most 1024, got 1000000000") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestOutputOverInput is issue 17's failure 2: each command whose --out
// named its own input destroyed it with exit 0. Now each is refused, naming
// --out and the input's setting, and the input is unchanged.
func TestOutputOverInput(t *testing.T) {
	policy, prompts := ppotest.Fixture(t)
	pairs := filepath.Join(t.TempDir(), "pairs.jsonl")
	if err := os.WriteFile(pairs, []byte(`{"prompt":"p","responses":["a","b"]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := testkit.Snapshot(t, policy)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sft", "--base", policy, "--out", policy}, "--out: " + policy + " is the same path as base (" + policy + ")"},
		{[]string{"ppo", "--policy", policy, "--prompts", prompts, "--judge", "builtin", "--out", policy}, "as policy (" + policy + ")"},
		{[]string{"reward", "train", "--base", policy, "--data", prompts, "--out", policy}, "as base (" + policy + ")"},
		{[]string{"export", "--model", policy, "--format", "hf", "--dtype", "bf16", "--out", policy}, "as model (" + policy + ")"},
		{[]string{"export", "--model", policy, "--format", "gguf", "--out", filepath.Join(policy, "model.safetensors")}, "is inside model"},
		{[]string{"label", "--in", pairs, "--out", pairs}, "as in (" + pairs + ")"},
		{[]string{"label", "--in", pairs, "--out", pairs + ".prefs", "--stats", pairs}, "--stats: " + pairs + " is the same path as in"},
		{[]string{"generate", "--model", policy, "--out", filepath.Join(policy, "tokenizer.json")}, "is inside model"},
		{[]string{"eval", "--policy", policy, "--baseline", policy, "--judge", "none", "--out", filepath.Join(policy, "config.json")}, "is inside policy"},
		{[]string{"reward", "eval", "--model", policy, "--data", pairs, "--out", pairs}, "as data (" + pairs + ")"},
		{[]string{"critique", "--base-url", "http://127.0.0.1:1/v1", "--model", "m", "--in", pairs, "--out", pairs}, "as in (" + pairs + ")"},
		{[]string{"critique", "--base-url", "http://127.0.0.1:1/v1", "--model", "m", "--in", pairs, "--out", pairs + ".sft", "--trace", pairs}, "--trace: " + pairs + " is the same path as in"},
	} {
		code, _, stderr := run(t, tc.args...)
		if code == exitOK || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "destroy the input") {
			t.Errorf("align %s: exit %d, stderr %q; want %q", strings.Join(tc.args, " "), code, stderr, tc.want)
		}
	}
	testkit.Unchanged(t, "the policy", before, testkit.Snapshot(t, policy))
	if b, _ := os.ReadFile(pairs); !strings.HasPrefix(string(b), `{"prompt":"p"`) {
		t.Errorf("the pairs file changed: %q", b)
	}
}

// TestRunInOutIsKept is issue 17's failures 3 and 4 on the command line:
// pretraining again into a run's directory without --resume used to wipe
// it; --resume with another --dim trained the old shape and recorded the
// new one. Both are refused now with the run untouched; --overwrite
// replaces it.
func TestRunInOutIsKept(t *testing.T) {
	base := filepath.Join(t.TempDir(), "base")
	corpus := writeCorpus(t)
	args := append([]string{"pretrain", "--data", corpus, "--out", base}, tinyTrain...)
	if code, out, errOut := run(t, args...); code != exitOK {
		t.Fatalf("pretrain: exit %d\n%s%s", code, out, errOut)
	}
	// An unfinished run: the finished marker gone, as after Ctrl-C.
	if err := os.Remove(filepath.Join(base, outguard.FinishedFile)); err != nil {
		t.Fatal(err)
	}
	before := testkit.Snapshot(t, base)
	code, _, stderr := run(t, args...)
	if code != exitFailure || !strings.Contains(stderr, "--out: "+base+" holds an unfinished run") || !strings.Contains(stderr, "continue it with resume, or discard it with overwrite") {
		t.Errorf("fresh run over an unfinished one: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run(t, "pretrain", "--data", corpus, "--out", base, "--resume", "--dim", "64")
	if code != exitFailure || !strings.Contains(stderr, "--dim: 64 differs from 32, its value in the run being resumed ("+filepath.Join(base, train.ConfigFile)+")") {
		t.Errorf("resume with another --dim: exit %d, stderr %q", code, stderr)
	}
	testkit.Unchanged(t, "the run", before, testkit.Snapshot(t, base))

	if code, out, errOut := run(t, append(args, "--overwrite")...); code != exitOK {
		t.Fatalf("pretrain --overwrite: exit %d\n%s%s", code, out, errOut)
	}
	code, _, stderr = run(t, args...)
	if code != exitFailure || !strings.Contains(stderr, "holds a finished run: replace it with overwrite") {
		t.Errorf("fresh run over a finished one: exit %d, stderr %q", code, stderr)
	}
}
