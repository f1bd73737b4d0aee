package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/align-project/align/model"
	"github.com/align-project/align/tensor"
)

// run executes align in-process and returns its exit code and output.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCtx(t, context.Background(), args...)
}

func runCtx(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// decodeOne parses stdout as exactly one JSON object into v.
func decodeOne(t *testing.T, stdout string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("stdout is not the expected JSON: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON value:\n%s", stdout)
	}
}

// tiny is a model small enough for tests to train in milliseconds.
var tiny = []string{"--layers", "1", "--dim", "32", "--heads", "2", "--ctx", "16", "--vocab", "64", "--batch", "2"}

func TestHelpForEveryCommand(t *testing.T) {
	code, out, errOut := run(t, "--help")
	if code != exitOK || errOut != "" {
		t.Fatalf("align --help: exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"bench", "version", "--threads", "--seed"} {
		if !strings.Contains(out, want) {
			t.Errorf("align --help does not mention %s:\n%s", want, out)
		}
	}
	if code, out, _ := run(t); code != exitOK || !strings.Contains(out, "Usage:") {
		t.Errorf("align with no arguments: exit %d, want help:\n%s", code, out)
	}
	// Every command explains itself at length.
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		path := strings.Fields(c.CommandPath())[1:]
		t.Run(strings.Join(append([]string{"align"}, path...), "_"), func(t *testing.T) {
			if c.Short == "" || len(c.Long) < 80 {
				t.Errorf("%s: Short %q, Long of %d characters; want both, Long ≥ 80", c.CommandPath(), c.Short, len(c.Long))
			}
			code, out, errOut := run(t, append(path, "--help")...)
			if code != exitOK || errOut != "" || !strings.Contains(out, "Usage:") {
				t.Errorf("%s --help: exit %d, stderr %q, stdout:\n%s", c.CommandPath(), code, errOut, out)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot(&globals{}))
}

func TestVersion(t *testing.T) {
	code, out, errOut := run(t, "version", "--threads", "1")
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"align ", runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH,
		"kernels: " + tensor.Implementation(), "threads: 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("version output lacks %q:\n%s", want, out)
		}
	}
	tensor.SetThreads(runtime.GOMAXPROCS(0))
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // in the error line
	}{
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"bench", "trian"}, `unknown command "trian"`},
		{[]string{"bench"}, "needs a benchmark name"},
		{[]string{"version", "extra"}, "unknown command"},
		{[]string{"--nope"}, "unknown flag: --nope"},
		{[]string{"bench", "train", "--steps", "x"}, "invalid argument"},
		{[]string{"bench", "train", "--steps", "0"}, "--steps must be at least 1"},
		{[]string{"bench", "train", "--threads", "0"}, "--threads must be at least 1"},
		{[]string{"bench", "train", "--heads", "3", "--dim", "256"}, "--dim 256 is not divisible by --heads 3"},
		{[]string{"bench", "generate", "--heads", "3", "--dim", "256"}, "--dim 256 is not divisible by --heads 3"},
		{[]string{"bench", "train", "--layers", "0"}, "layers must be positive"},
		{[]string{"bench", "generate", "--ctx", "16", "--new-tokens", "16"}, "does not fit"},
		{[]string{"bench", "matmul", "--layout", "xx"}, "--layout must be nn, nt or tn"},
		{[]string{"bench", "matmul", "--m", "0"}, "must be positive"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := run(t, tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if out != "" {
				t.Errorf("stdout should be empty, got:\n%s", out)
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if !strings.HasPrefix(lines[0], "align: error: ") || !strings.Contains(lines[0], tc.want) {
				t.Errorf("stderr first line %q, want align: error: …%s…", lines[0], tc.want)
			}
			if len(lines) != 2 || !strings.HasPrefix(lines[1], "align: hint: ") {
				t.Errorf("stderr should end with one hint line:\n%s", errOut)
			}
		})
	}
}

func TestSuggestion(t *testing.T) {
	_, _, errOut := run(t, "bench", "trian")
	if !strings.Contains(errOut, "did you mean 'align bench train'?") {
		t.Errorf("no suggestion for a misspelt subcommand:\n%s", errOut)
	}
}

func TestCanceledIsFailure(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, _, errOut := runCtx(t, ctx, append([]string{"bench", "train", "--steps", "1"}, tiny...)...)
	if code != exitFailure || !strings.Contains(errOut, "align: error: bench train: context canceled") {
		t.Errorf("exit %d, stderr %q; want 1 and a cancellation error", code, errOut)
	}
}

func TestBenchMatmul(t *testing.T) {
	for _, layout := range []string{"nn", "nt", "tn"} {
		code, out, errOut := run(t, "bench", "matmul", "--m", "33", "--n", "17", "--k", "9", "--layout", layout, "--iters", "2", "--json")
		if code != exitOK {
			t.Fatalf("%s: exit %d, stderr %s", layout, code, errOut)
		}
		var r matmulResult
		decodeOne(t, out, &r)
		if r.Layout != layout || r.M != 33 || r.N != 17 || r.K != 9 || r.Iters != 2 || !(r.GFLOPS > 0) || r.GFLOPS < r.GFLOPSMedian {
			t.Errorf("%s: unexpected result %+v", layout, r)
		}
	}
	code, out, _ := run(t, "bench", "matmul", "--m", "64", "--n", "64", "--k", "64", "--min-time", "1ms")
	if code != exitOK || !strings.Contains(out, "GFLOP/s") || !strings.Contains(out, "peak RSS") {
		t.Errorf("table output: exit %d\n%s", code, out)
	}
}

func TestBenchTrainJSON(t *testing.T) {
	args := append([]string{"bench", "train", "--steps", "2", "--warmup", "1", "--json", "--seed", "7"}, tiny...)
	code, out, errOut := run(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	var r trainResult
	decodeOne(t, out, &r)
	if !(r.TokensPerSec > 0) || !(r.MsPerStep > 0) || !(r.GFLOPS > 0) || !(r.PeakRSSMB > 0) {
		t.Errorf("throughput fields not positive: %+v", r)
	}
	if r.TokensPerStep != 2*16 || r.Steps != 2 || r.Warmup != 1 || r.Config.Dim != 32 || r.Batch != 2 {
		t.Errorf("echoed settings wrong: %+v", r)
	}
	// A fresh model predicts nearly uniformly over the vocabulary.
	if math.Abs(r.LossFirst-math.Log(64)) > 0.3 {
		t.Errorf("first loss %.3f, want about ln 64 = %.3f", r.LossFirst, math.Log(64))
	}
	// The same seed gives the same losses.
	_, out2, _ := run(t, args...)
	var r2 trainResult
	decodeOne(t, out2, &r2)
	if r2.LossFirst != r.LossFirst || r2.LossLast != r.LossLast {
		t.Errorf("losses differ between identical runs: %v/%v vs %v/%v", r.LossFirst, r.LossLast, r2.LossFirst, r2.LossLast)
	}
}

func TestBenchTrainLearns(t *testing.T) {
	code, out, errOut := run(t, append([]string{"bench", "train", "--steps", "15", "--warmup", "0", "--json"}, tiny...)...)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	var r trainResult
	decodeOne(t, out, &r)
	if !(r.LossLast < r.LossFirst-0.05) {
		t.Errorf("loss did not fall on a fixed batch: %.4f → %.4f", r.LossFirst, r.LossLast)
	}
}

func TestBenchTrainTable(t *testing.T) {
	code, out, errOut := run(t, append([]string{"bench", "train", "--steps", "1", "--warmup", "0"}, tiny...)...)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	for _, want := range []string{"bench train: L1 C32 NH2 T16 B2 V64", "tokens/s", "ms/step", "GFLOP/s", "loss", "peak RSS"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestBenchGenerateJSON(t *testing.T) {
	code, out, errOut := run(t, append([]string{"bench", "generate", "--new-tokens", "15", "--runs", "1", "--json"}, tiny...)...)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	var r generateResult
	decodeOne(t, out, &r)
	if !(r.TokensPerSec > 0) || !(r.MsPerToken > 0) || r.NewTokens != 15 || r.Batch != 2 || r.Generated != 2*15 {
		t.Errorf("unexpected result %+v", r)
	}
	code, out, _ = run(t, append([]string{"bench", "generate", "--new-tokens", "4", "--runs", "1"}, tiny...)...)
	if code != exitOK || !strings.Contains(out, "tokens/s") {
		t.Errorf("table output: exit %d\n%s", code, out)
	}
}

func TestTrainFLOPsPerToken(t *testing.T) {
	// The reference configuration counted by hand: per layer 12·C² weights
	// and 13·C biases and norms, the final norm 2·C, the tied head V·C.
	cfg := model.Config{VocabSize: 256, Context: 128, Layers: 4, Heads: 4, Channels: 256}
	L, C, V, T := 4.0, 256.0, 256.0, 128.0
	n := L*(12*C*C+13*C) + 2*C + V*C
	want := 6*n + 12*L*T*C
	if got := trainFLOPsPerToken(cfg, 128); got != want {
		t.Errorf("trainFLOPsPerToken = %.0f, want %.0f", got, want)
	}
}
