package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/cobra"

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
		{[]string{"bench", "train", "--steps", "0"}, "--steps: must be at least 1"},
		{[]string{"bench", "train", "--threads", "0"}, "--threads must be at least 1"},
		{[]string{"bench", "train", "--heads", "3", "--dim", "256"}, "--heads: 3 does not divide dim 256"},
		{[]string{"bench", "generate", "--heads", "3", "--dim", "256"}, "--heads: 3 does not divide dim 256"},
		{[]string{"bench", "train", "--layers", "0"}, "layers must be positive"},
		{[]string{"bench", "generate", "--ctx", "16", "--new-tokens", "16"}, "does not fit"},
		{[]string{"bench", "matmul", "--layout", "xx"}, "--layout: must be nn, nt or tn"},
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
