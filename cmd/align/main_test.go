package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain lets the test binary stand in for align: with ALIGN_TEST_MAIN=1
// set it runs main, so the tests below see real exit codes and streams.
func TestMain(m *testing.M) {
	if os.Getenv("ALIGN_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		code       int
		stdout     string
		stderrHead string
	}{
		{[]string{"version"}, 0, "align ", ""},
		{[]string{"bench", "--help"}, 0, "matmul", ""},
		{[]string{"bench", "matmul", "--m", "8", "--n", "8", "--k", "8", "--iters", "1"}, 0, "GFLOP/s", ""},
		{[]string{"bench", "--bogus"}, 2, "", "align: error: unknown flag: --bogus"},
		{[]string{"bench", "train", "--heads", "3", "--dim", "256"}, 2, "", "align: error: --heads: 3 does not divide dim 256"},
	} {
		cmd := exec.Command(os.Args[0], tc.args...)
		cmd.Env = append(os.Environ(), "ALIGN_TEST_MAIN=1")
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := errors.AsType[*exec.ExitError](err); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		name := strings.Join(tc.args, " ")
		if code != tc.code {
			t.Errorf("align %s: exit %d, want %d; stderr:\n%s", name, code, tc.code, stderr.String())
		}
		if !strings.Contains(stdout.String(), tc.stdout) {
			t.Errorf("align %s: stdout lacks %q:\n%s", name, tc.stdout, stdout.String())
		}
		if !strings.HasPrefix(stderr.String(), tc.stderrHead) || (tc.stderrHead == "" && stderr.Len() > 0) {
			t.Errorf("align %s: stderr %q, want it to start with %q", name, stderr.String(), tc.stderrHead)
		}
	}
}
