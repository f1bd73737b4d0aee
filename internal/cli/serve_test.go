package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// serveModelDir saves a tiny random model with a tokenizer as <tmp>/tinychat.
func serveModelDir(t *testing.T) string {
	t.Helper()
	tok, err := tokenizer.Train(tokenizer.TrainConfig{VocabSize: 280}, "hello there, how are you? fine thanks, and you?")
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{VocabSize: tok.VocabSize(), Context: 64, Layers: 1, Heads: 2, Channels: 16}, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "tinychat")
	if err := checkpoint.SaveHF(dir, m, tok, checkpoint.HFOptions{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// serveRun is align serve running in-process.
type serveRun struct {
	base   string // http://host:port
	lines  chan string
	code   chan int
	stderr *bytes.Buffer
	cancel context.CancelFunc
}

// startServe runs align serve with args and waits for its first line.
func startServe(t *testing.T, args ...string) *serveRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pr, pw := io.Pipe()
	r := &serveRun{lines: make(chan string, 16), code: make(chan int, 1), stderr: &bytes.Buffer{}, cancel: cancel}
	go func() {
		r.code <- Run(ctx, append([]string{"serve"}, args...), pw, r.stderr)
		pw.Close()
	}()
	// Read stdout as it comes: the pipe blocks the writer otherwise.
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
		close(r.lines)
	}()
	first, ok := <-r.lines
	if !ok {
		<-r.code
		t.Fatalf("no output; stderr: %s", r.stderr.String())
	}
	_, rest, ok := strings.Cut(first, "http://")
	if !ok || !strings.Contains(first, `"tinychat"`) {
		t.Fatalf("first line %q", first)
	}
	r.base = "http://" + strings.TrimSuffix(strings.Fields(rest)[0], "/v1")
	return r
}

// stop cancels align serve as Ctrl-C would and returns the rest of its
// stdout and its stderr after a clean exit.
func (r *serveRun) stop(t *testing.T) (stdout, stderr string) {
	t.Helper()
	r.cancel()
	select {
	case c := <-r.code:
		if c != exitOK {
			t.Fatalf("exit %d; stderr: %s", c, r.stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("align serve did not stop")
	}
	var out strings.Builder
	for l := range r.lines {
		out.WriteString(l + "\n")
	}
	return out.String(), r.stderr.String()
}

// chatStatus posts a small chat completion with the given API key (none
// if empty) and returns the status.
func chatStatus(t *testing.T, base, key string) int {
	t.Helper()
	body := `{"model": "tinychat", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 2}`
	req, _ := http.NewRequest("POST", base+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestServeCommand runs align serve in-process on a free port, asks it a chat
// completion, then cancels it as Ctrl-C would and expects a clean exit.
func TestServeCommand(t *testing.T) {
	r := startServe(t, "--model", serveModelDir(t), "--addr", "127.0.0.1:0", "--max-batch", "4")
	body := `{"model": "tinychat", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 5, "temperature": 0}`
	resp, err := http.Post(r.base+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var cr struct {
		Object  string `json:"object"`
		Choices []struct {
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
	}
	err = json.NewDecoder(resp.Body).Decode(&cr)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || cr.Object != "chat.completion" || len(cr.Choices) != 1 {
		t.Fatalf("status %d, %+v, %v", resp.StatusCode, cr, err)
	}
	out, stderr := r.stop(t)
	if !strings.Contains(out, "shut down") {
		t.Fatalf("output after cancel: %q", out)
	}
	if stderr != "" {
		t.Fatalf("stderr on loopback: %q", stderr)
	}
}

// TestServeBindsLoopbackByDefault: without --addr align serve listens on
// 127.0.0.1 only.
func TestServeBindsLoopbackByDefault(t *testing.T) {
	_, stdout, _ := run(t, "serve", "--help")
	if !strings.Contains(stdout, `--addr string `) || !strings.Contains(stdout, `(default "127.0.0.1:8000")`) {
		t.Fatalf("--addr does not default to 127.0.0.1:8000:\n%s", stdout)
	}
}

// TestServeAllInterfaces: --addr 0.0.0.0 still works; without an API key it
// warns, with one from ALIGN_SERVE_API_KEY it does not, and requests
// without the key get 401.
func TestServeAllInterfaces(t *testing.T) {
	dir := serveModelDir(t)
	r := startServe(t, "--model", dir, "--addr", "0.0.0.0:0")
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(r.base, "http://"))
	if code := chatStatus(t, "http://127.0.0.1:"+port, ""); code != 200 {
		t.Fatalf("no key needed, status %d", code)
	}
	_, stderr := r.stop(t)
	if !strings.Contains(stderr, "align: warning:") || !strings.Contains(stderr, "--api-key") {
		t.Fatalf("no warning for all interfaces without a key: %q", stderr)
	}

	t.Setenv("ALIGN_SERVE_API_KEY", "s3cret")
	r = startServe(t, "--model", dir, "--addr", "0.0.0.0:0")
	_, port, _ = net.SplitHostPort(strings.TrimPrefix(r.base, "http://"))
	base := "http://127.0.0.1:" + port
	if code := chatStatus(t, base, ""); code != 401 {
		t.Errorf("without the key: status %d, want 401", code)
	}
	if code := chatStatus(t, base, "wrong"); code != 401 {
		t.Errorf("with a wrong key: status %d, want 401", code)
	}
	if code := chatStatus(t, base, "s3cret"); code != 200 {
		t.Errorf("with the key: status %d, want 200", code)
	}
	if _, stderr := r.stop(t); stderr != "" {
		t.Fatalf("stderr with a key: %q", stderr)
	}
}

func TestServeUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"serve"},
		{"serve", "--model", "x", "--max-batch", "0"},
		{"serve", "--model", "x", "--max-n", "9", "--max-batch", "8"},
		{"serve", "--model", "x", "extra"},
		{"serve", "--model", "x", "--read-timeout", "0s"},
		{"serve", "--model", "x", "--read-header-timeout", "-1s"},
		{"serve", "--model", "x", "--write-timeout", "0s"},
		{"serve", "--model", "x", "--idle-timeout", "-5m"},
	} {
		if code, _, stderr := run(t, args...); code != exitUsage || !strings.Contains(stderr, "align: error:") {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
		} else if flag := args[max(0, len(args)-2)]; strings.HasSuffix(flag, "-timeout") && !strings.Contains(stderr, "error: "+flag+": ") {
			t.Errorf("%q: the error does not name %s: %q", args, flag, stderr)
		}
	}
	code, _, stderr := run(t, "serve", "--model", t.TempDir())
	if code != exitFailure || !strings.Contains(stderr, "align: hint:") {
		t.Errorf("missing checkpoint: exit %d, stderr %q", code, stderr)
	}
}
