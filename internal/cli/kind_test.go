package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/align-project/align/chat/chattest"
	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/checkpoint/checkpointtest"
	"github.com/align-project/align/reward/rewardtest"
)

// rewardModelDir saves a reward model made by reward's constructor from a
// tiny policy, as <tmp>/rm.
func rewardModelDir(t *testing.T) string {
	t.Helper()
	return rewardtest.FromPolicy(t, chattest.PolicyDir(t, "sft", 1, 0), 1)
}

// wantRefused checks a command that failed on its input: exit 1, the error
// naming what is wrong and the fix, no misleading hint, nothing written.
func wantRefused(t *testing.T, cmd string, code int, stderr string, out string, want ...string) {
	t.Helper()
	if code != exitFailure {
		t.Errorf("%s: exit %d, want 1\n%s", cmd, code, stderr)
	}
	for _, s := range want {
		if !strings.Contains(stderr, s) {
			t.Errorf("%s: stderr lacks %q:\n%s", cmd, s, stderr)
		}
	}
	if strings.Contains(stderr, "hint:") || strings.Contains(stderr, "learning rate") {
		t.Errorf("%s: a hint that misleads:\n%s", cmd, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s wrote %s: %v", cmd, out, err)
	}
}

// TestRewardModelWherePolicyBelongs: 'sft --base' and 'serve --model' of a
// reward model used to train and serve it as a policy.
func TestRewardModelWherePolicyBelongs(t *testing.T) {
	rm := rewardModelDir(t)
	out := filepath.Join(t.TempDir(), "sft")
	code, _, stderr := run(t, "sft", "--base", rm, "--out", out, "--steps", "2", "--eval-samples", "0")
	wantRefused(t, "sft --base RM", code, stderr, out, "--base: "+rm+" is a reward model", "not a policy", "give a policy")

	// Were it served, it would answer until the context ends, then exit 0.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	code, _, stderr = runCtx(t, ctx, "serve", "--model", rm, "--addr", "127.0.0.1:0")
	wantRefused(t, "serve --model RM", code, stderr, filepath.Join(t.TempDir(), "none"), rm+" is a reward model", "not a policy")

	// export takes any kind and says which it wrote.
	out = filepath.Join(t.TempDir(), "hf")
	code, stdout, stderr := run(t, "export", "--model", rm, "--format", "hf", "--out", out)
	if code != exitOK || !strings.Contains(stdout, "exported "+rm+", a reward model (") {
		t.Errorf("export of a reward model: exit %d\n%s%s", code, stdout, stderr)
	}
	if hm, err := checkpoint.LoadKind(out, checkpoint.KindReward); err != nil || hm.Align.Kind != checkpoint.KindReward {
		t.Errorf("the exported reward model: %v", err)
	}
}

// TestNaNWeights: weights holding a NaN used to export with exit 0, and
// 'sft --base' on them blamed the learning rate.
func TestNaNWeights(t *testing.T) {
	dir := chattest.PolicyDir(t, "sft", 1, 0)
	tensor := "transformer.h.0.mlp.c_fc.weight"
	checkpointtest.Poison(t, dir, tensor, checkpointtest.NaN)
	weights := filepath.Join(dir, checkpoint.HFWeightsFile)
	for _, format := range []string{"gguf", "hf"} {
		out := filepath.Join(t.TempDir(), "out."+format)
		code, _, stderr := run(t, "export", "--model", dir, "--format", format, "--out", out)
		wantRefused(t, "export --format "+format, code, stderr, out, "--model: ", weights, tensor, "NaN", "the checkpoint is broken")
	}
	out := filepath.Join(t.TempDir(), "sft")
	code, _, stderr := run(t, "sft", "--base", dir, "--out", out, "--steps", "2", "--eval-samples", "0")
	wantRefused(t, "sft --base NAN", code, stderr, out, "--base: ", weights, tensor, "the checkpoint is broken")
}
