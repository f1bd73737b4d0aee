package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
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

// TestServeCommand runs align serve in-process on a free port, asks it a chat
// completion, then cancels it as Ctrl-C would and expects a clean exit.
func TestServeCommand(t *testing.T) {
	dir := serveModelDir(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- Run(ctx, []string{"serve", "--model", dir, "--addr", "127.0.0.1:0", "--max-batch", "4"}, pw, &stderr)
		pw.Close()
	}()
	// Read stdout as it comes: the pipe blocks the writer otherwise.
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	first, ok := <-lines
	if !ok {
		t.Fatalf("no output; stderr: %s", stderr.String())
	}
	_, rest, ok := strings.Cut(first, "http://")
	if !ok || !strings.Contains(first, `"tinychat"`) {
		t.Fatalf("first line %q", first)
	}
	base := "http://" + strings.Fields(rest)[0]
	body := `{"model": "tinychat", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 5, "temperature": 0}`
	resp, err := http.Post(base+"/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Object  string `json:"object"`
		Choices []struct {
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
	}
	err = json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || r.Object != "chat.completion" || len(r.Choices) != 1 {
		t.Fatalf("status %d, %+v, %v", resp.StatusCode, r, err)
	}
	cancel()
	select {
	case c := <-code:
		if c != exitOK {
			t.Fatalf("exit %d; stderr: %s", c, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("align serve did not stop")
	}
	var out strings.Builder
	for l := range lines {
		out.WriteString(l + "\n")
	}
	if !strings.Contains(out.String(), "shut down") {
		t.Fatalf("output after cancel: %q", out.String())
	}
}

func TestServeUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"serve"},
		{"serve", "--model", "x", "--max-batch", "0"},
		{"serve", "--model", "x", "--max-n", "9", "--max-batch", "8"},
		{"serve", "--model", "x", "extra"},
	} {
		if code, _, stderr := run(t, args...); code != exitUsage || !strings.Contains(stderr, "align: error:") {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
		}
	}
	code, _, stderr := run(t, "serve", "--model", t.TempDir())
	if code != exitFailure || !strings.Contains(stderr, "align: hint:") {
		t.Errorf("missing checkpoint: exit %d, stderr %q", code, stderr)
	}
}
