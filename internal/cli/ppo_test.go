package cli

import (
	"encoding/json"

	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/ppo"
	"github.com/align-project/align/ppo/ppotest"
)

var ppoTiny = []string{"--iterations", "2", "--batch-size", "4", "--mini-batch", "2", "--max-new-tokens", "6", "--sample-every", "1", "--sample-rows", "1"}

func TestPPOJudgeAndService(t *testing.T) {
	policy, prompts := ppotest.Fixture(t)
	out := filepath.Join(t.TempDir(), "rlaif")
	args := append([]string{"ppo", "--policy", policy, "--prompts", prompts, "--out", out, "--judge", "builtin", "--constraint", "--cost-limit", "0.1"}, ppoTiny...)
	code, stdout, stderr := run(t, args...)
	if code != exitOK {
		t.Fatalf("align ppo --judge builtin: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "ppo: 2 iterations") || !strings.Contains(stdout, "λ") {
		t.Errorf("summary:\n%s", stdout)
	}
	lines := strings.Split(strings.TrimSpace(ppoReadFile(t, filepath.Join(out, ppo.MetricsFile))), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d metrics lines, want 2", len(lines))
	}
	var st ppo.Stats
	if err := json.Unmarshal([]byte(lines[1]), &st); err != nil || st.Iteration != 2 || st.TimeIter <= 0 {
		t.Errorf("metrics line %q: %v", lines[1], err)
	}
	if _, err := checkpoint.LoadHF(out); err != nil {
		t.Errorf("final policy: %v", err)
	}

	// A run on from that policy keeps the SFT model as its KL reference; a
	// reference that is not there is an error naming its flag.
	more := filepath.Join(t.TempDir(), "more")
	args = append([]string{"ppo", "--policy", out, "--reference", policy, "--prompts", prompts, "--out", more, "--judge", "builtin"}, ppoTiny...)
	if code, stdout, stderr := run(t, args...); code != exitOK {
		t.Fatalf("align ppo --reference: exit %d\n%s\n%s", code, stdout, stderr)
	}
	args = append([]string{"ppo", "--policy", out, "--reference", filepath.Join(more, "missing"), "--prompts", prompts, "--out", more + "2", "--judge", "builtin"}, ppoTiny...)
	if code, _, stderr := run(t, args...); code == exitOK || !strings.Contains(stderr, "--reference") {
		t.Errorf("missing --reference: exit %d, stderr %q", code, stderr)
	}

	// The same with a reward service that favours short responses.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Responses []string }
		json.NewDecoder(r.Body).Decode(&req)
		scores := make([]float64, len(req.Responses))
		for i, s := range req.Responses {
			scores[i] = -float64(len(s)) / 10
		}
		json.NewEncoder(w).Encode(map[string]any{"scores": scores})
	}))
	defer srv.Close()
	out2 := filepath.Join(t.TempDir(), "svc")
	args = append([]string{"ppo", "--policy", policy, "--prompts", prompts, "--out", out2, "--reward-url", srv.URL}, ppoTiny...)
	if code, stdout, stderr := run(t, args...); code != exitOK {
		t.Fatalf("align ppo --reward-url: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// A dead service is a clear failure, and the run leaves nothing behind.
	out3 := filepath.Join(t.TempDir(), "dead")
	args = append([]string{"ppo", "--policy", policy, "--prompts", prompts, "--out", out3, "--reward-url", "http://127.0.0.1:1/score"}, ppoTiny...)
	if code, _, stderr := run(t, args...); code != exitFailure || !strings.Contains(stderr, "127.0.0.1:1") {
		t.Errorf("dead service: exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(out3); !os.IsNotExist(err) {
		t.Errorf("the failed run left %s behind: %v", out3, err)
	}
}

func TestPPOUsageErrors(t *testing.T) {
	policy, prompts := ppotest.Fixture(t)
	out := t.TempDir()
	for _, args := range [][]string{
		{"ppo", "--prompts", prompts, "--out", out, "--judge", "builtin"},
		{"ppo", "--policy", policy, "--prompts", prompts, "--out", out},
		{"ppo", "--policy", policy, "--prompts", prompts, "--out", out, "--judge", "builtin", "--reward-url", "http://x"},
		{"ppo", "--policy", policy, "--prompts", prompts, "--out", out, "--judge", "builtin", "--mini-batch", "5"},
		{"ppo", "--policy", policy, "--prompts", prompts, "--out", out, "--judge", "builtin", "--kl-estimator", "k9"},
	} {
		if code, _, stderr := run(t, args...); code != exitUsage || !strings.Contains(stderr, "align: error:") {
			t.Errorf("%v: exit %d, stderr %q; want %d", args, code, stderr, exitUsage)
		}
	}
	// A setting that cannot work is named by its flag.
	_, _, stderr := run(t, "ppo", "--policy", policy, "--prompts", prompts, "--out", out, "--judge", "builtin", "--mini-batch", "5")
	if !strings.Contains(stderr, "align: error: --mini-batch: 5: must divide batch_size") {
		t.Errorf("bad --mini-batch: %q", stderr)
	}
}

func ppoReadFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
