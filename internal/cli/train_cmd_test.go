package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/train"
)

// tinyTrain are training flags for a model that trains in a blink.
var tinyTrain = []string{"--layers", "1", "--dim", "32", "--heads", "2", "--ctx", "16", "--vocab", "300",
	"--batch", "2", "--steps", "20", "--warmup", "2", "--eval-every", "10", "--save-every", "10", "--eval-batches", "4"}

// writeCorpus writes a small text JSONL file.
func writeCorpus(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for i := range 80 {
		fmt.Fprintf(&b, `{"text": "Document %d: the cat sat on the mat and the dog barked %d times."}`+"\n", i, i%7)
	}
	path := filepath.Join(t.TempDir(), "corpus.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPretrainThenSFT(t *testing.T) {
	dir := t.TempDir()
	base, sft := filepath.Join(dir, "base"), filepath.Join(dir, "sft")
	args := append([]string{"pretrain", "--data", writeCorpus(t), "--out", base, "--heldout", "0.2"}, tinyTrain...)
	code, out, errOut := run(t, args...)
	if code != exitOK {
		t.Fatalf("pretrain: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "pretrain: 20 steps") || !strings.Contains(out, "held-out loss") {
		t.Errorf("pretrain summary:\n%s", out)
	}
	for _, f := range []string{checkpoint.HFConfigFile, checkpoint.HFTokenizerFile, train.ConfigFile, train.MetricsFile,
		filepath.Join(train.LastDir, checkpoint.TrainStateManifest)} {
		if !exists(filepath.Join(base, f)) {
			t.Errorf("pretrain wrote no %s", f)
		}
	}
	// Resuming a finished run has nothing left to do and succeeds.
	if code, out, errOut := run(t, "pretrain", "--data", writeCorpus(t), "--out", base, "--resume"); code != exitOK {
		t.Errorf("pretrain --resume of a finished run: exit %d\n%s%s", code, out, errOut)
	}

	args = []string{"sft", "--base", base, "--out", sft, "--batch", "2", "--steps", "10", "--warmup", "2",
		"--eval-every", "5", "--eval-batches", "2", "--eval-samples", "6", "--max-new-tokens", "4"}
	code, out, errOut = run(t, args...)
	if code != exitOK {
		t.Fatalf("sft: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "sft eval on 6 held-out prompts: EOS") {
		t.Errorf("sft summary:\n%s", out)
	}
	b, err := os.ReadFile(filepath.Join(sft, train.EvalFile))
	if err != nil {
		t.Fatal(err)
	}
	var ev train.SFTEval
	if err := json.Unmarshal(b, &ev); err != nil || ev.Prompts != 6 || len(ev.Samples) != 6 {
		t.Errorf("eval.json: %v, %+v", err, ev)
	}
	hm, err := checkpoint.LoadHF(sft)
	if err != nil {
		t.Fatal(err)
	}
	if hm.Align.Stage != "sft" || hm.Model.Config.Context != 16 {
		t.Errorf("sft model: stage %q, context %d", hm.Align.Stage, hm.Model.Config.Context)
	}
}

func TestTrainConfigFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("steps: 3\nlr: 0.01\ngrad_accum: 2\n"), 0o644)
	out := filepath.Join(dir, "out")
	// The file sets steps and lr; the flag --steps wins over the file.
	args := append([]string{"pretrain", "--data", writeCorpus(t), "--out", out, "--config", cfg}, tinyTrain...)
	code, stdout, errOut := run(t, append(args, "--steps", "4")...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, errOut)
	}
	var got train.Config = train.DefaultPretrain()
	if err := got.LoadYAML(filepath.Join(out, train.ConfigFile)); err != nil {
		t.Fatal(err)
	}
	if got.Steps != 4 || got.LR != 0.01 || got.GradAccum != 2 || got.Layers != 1 {
		t.Errorf("effective config: steps %d lr %v grad_accum %d layers %d; want 4, 0.01, 2, 1", got.Steps, got.LR, got.GradAccum, got.Layers)
	}

	os.WriteFile(cfg, []byte("stepz: 3\n"), 0o644)
	code, _, errOut = run(t, "pretrain", "--out", out, "--config", cfg)
	if code != exitUsage || !strings.Contains(errOut, "stepz") {
		t.Errorf("unknown key: exit %d, stderr %q; want 2 naming the key", code, errOut)
	}
}

func TestTrainUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"pretrain"}, "--out DIR is required"},
		{[]string{"pretrain", "--out", "x", "--lr", "-1"}, "--lr: -1: must be positive"},
		{[]string{"pretrain", "--out", "x", "--grad-accum", "0"}, "--grad-accum: 0: must be at least 1"},
		{[]string{"sft", "--out", "x"}, "--base DIR is required"},
		{[]string{"data"}, "data needs a subcommand"},
		{[]string{"data", "stats"}, "stats takes one FILE"},
	} {
		code, _, errOut := run(t, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("align %s: exit %d, stderr %q; want 2 and %q", strings.Join(tc.args, " "), code, errOut, tc.want)
		}
	}
}

func TestDataStats(t *testing.T) {
	code, out, errOut := run(t, "data", "stats", writeCorpus(t))
	if code != exitOK || !strings.Contains(out, "format      text") || !strings.Contains(out, "records     80") {
		t.Errorf("data stats: exit %d\n%s%s", code, out, errOut)
	}
}

// exists reports whether path exists.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
