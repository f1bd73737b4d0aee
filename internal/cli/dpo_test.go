package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/bench"
	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/dpo"
	"github.com/align-project/align/internal/outguard"
	"github.com/align-project/align/ppo/ppotest"
)

// dpoPrefs writes n preference lines in the words of ppotest's tokenizer,
// with line bad (1-based; 0 = none) replaced by a record without "rejected".
func dpoPrefs(t *testing.T, name string, n, bad int) string {
	t.Helper()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		rec := map[string]any{"prompt": fmt.Sprintf("%s %d", ppotest.Prompts[i%len(ppotest.Prompts)], i), "chosen": "a good answer is good.", "rejected": "a bad answer is bad."}
		if i%3 == 0 {
			rec["p_chosen"] = 0.8
		}
		if i == bad {
			delete(rec, "rejected")
		}
		line, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(append(line, '\n'))
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var dpoTiny = []string{"--steps", "4", "--batch-size", "3", "--eval-every", "2", "--kl-prompts", "2", "--kl-max-new-tokens", "4", "--lr", "1e-3"}

func TestDpoEndToEnd(t *testing.T) {
	policy, _ := ppotest.Fixture(t)
	data, held := dpoPrefs(t, "prefs.jsonl", 11, 0), dpoPrefs(t, "held.jsonl", 5, 0)
	out := filepath.Join(t.TempDir(), "dpo")
	args := append([]string{"dpo", "--policy", policy, "--data", data, "--heldout", held, "--out", out,
		"--loss", "conservative", "--label-flip-rate", "0.1", "--use-soft-labels"}, dpoTiny...)
	code, stdout, stderr := run(t, args...)
	if code != exitOK {
		t.Fatalf("align dpo: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "dpo: 4 steps") || !strings.Contains(stdout, "best held-out accuracy") {
		t.Errorf("summary:\n%s", stdout)
	}
	// The prompts of the longest records fill the tiny context: those
	// pairs are skipped with a warning, not cut into identical sequences.
	if !strings.Contains(stderr, "computing the reference log-probs of 12 pairs, once; cached in") || !strings.Contains(stderr, "3 of 11 training preferences are skipped") {
		t.Errorf("no note of the reference cache or of the skipped pairs in:\n%s", stderr)
	}
	if _, _, err := checkpoint.LoadPolicy(out); err != nil {
		t.Errorf("final policy: %v", err)
	}
	for _, name := range []string{dpo.ConfigFile, dpo.RefCacheFile, outguard.FinishedFile, dpo.LastDir} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("output %s: %v", name, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, dpo.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var last dpo.Stats
	if len(lines) != 4 || json.Unmarshal([]byte(lines[3]), &last) != nil || last.Eval == nil || last.KL == nil {
		t.Errorf("metrics.jsonl: want 4 lines, the last with an evaluation and a KL:\n%s", b)
	}

	// A finished run is not overwritten by accident; --resume on it
	// continues nothing and finishes again.
	if code, _, stderr := run(t, args...); code == exitOK || !strings.Contains(stderr, "finished run") {
		t.Errorf("second run into a finished --out: exit %d, stderr %q", code, stderr)
	}
	if code, stdout, stderr := run(t, append(args, "--resume")...); code != exitOK || !strings.Contains(stderr, "read from") {
		t.Errorf("--resume of a finished run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// The output may not be an input.
	if code, _, stderr := run(t, "dpo", "--policy", policy, "--data", data, "--out", policy); code == exitOK || !strings.Contains(stderr, "--out") {
		t.Errorf("--out on the policy: exit %d, stderr %q", code, stderr)
	}
}

func TestDpoBadInput(t *testing.T) {
	policy, _ := ppotest.Fixture(t)
	bad := dpoPrefs(t, "prefs.jsonl", 6, 4)
	out := filepath.Join(t.TempDir(), "dpo")
	code, _, stderr := run(t, append([]string{"dpo", "--policy", policy, "--data", bad, "--out", out}, dpoTiny...)...)
	if code != exitFailure || !strings.Contains(stderr, bad+":4") || !strings.Contains(stderr, "rejected") {
		t.Errorf("bad preference line: exit %d, stderr %q; want exit 1 naming %s:4 and the field", code, stderr, bad)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the failed run left %s behind: %v", out, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"dpo", "--policy", policy, "--out", out}, "--data"},
		{[]string{"dpo", "--policy", policy, "--data", bad, "--out", out, "--loss", "hinge"}, "--loss"},
		{[]string{"dpo", "--policy", policy, "--data", bad, "--out", out, "--loss", "robust", "--label-flip-rate", "0.5"}, "--label-flip-rate"},
		{[]string{"dpo", "--policy", policy, "--data", bad, "--out", out, "--use-soft-labels"}, "--use-soft-labels"},
	} {
		if code, _, stderr := run(t, tc.args...); code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 naming %s", tc.args, code, stderr, tc.want)
		}
	}
}

func TestDpoHelp(t *testing.T) {
	code, stdout, _ := run(t, "dpo", "--help")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, key := range dpo.Keys() {
		if key == "seed" {
			continue
		}
		if flag := "--" + strings.ReplaceAll(key, "_", "-"); !strings.Contains(stdout, flag) {
			t.Errorf("help lacks %s", flag)
		}
	}
	for _, want := range []string{"--policy", "--data", "--heldout", "--reference", "--resume", "--overwrite", "--config", "implicit reward"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestBenchDpoJSON(t *testing.T) {
	code, stdout, stderr := run(t, "bench", "dpo", "--layers", "1", "--dim", "32", "--heads", "2", "--ctx", "32", "--vocab", "64",
		"--pairs", "3", "--prompt-len", "4", "--response-len", "6", "--steps", "1", "--warmup", "0", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res bench.DPOResult
	decodeOne(t, stdout, &res)
	if res.DPO.Step <= 0 || res.SFT.Step <= 0 || res.Ratio <= 0 || res.Pairs != 3 {
		t.Errorf("result %+v", res)
	}
}
