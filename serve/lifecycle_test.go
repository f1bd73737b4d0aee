package serve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/align-project/align/serve"
)

// gate blocks the scheduler before each decode step until released.
type gate struct {
	arrived chan struct{} // one value per step that reached the gate
	release chan struct{}
}

func newGate(s *serve.Server) *gate {
	g := &gate{arrived: make(chan struct{}, 1000), release: make(chan struct{})}
	serve.SetBeforeStep(s, func() {
		g.arrived <- struct{}{}
		<-g.release
	})
	return g
}

func (g *gate) open() { close(g.release) }

func metricsText(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestQueueFull fills one decoding slot and a queue of one: the next request
// gets 429 with a rate-limit error at once.
func TestQueueFull(t *testing.T) {
	s, hs, _, _ := start(t, serve.Config{MaxBatch: 1, MaxQueue: 1})
	g := newGate(s)
	req := map[string]any{"model": "tiny", "messages": hello, "max_tokens": 4}
	var wg sync.WaitGroup
	codes := make([]int, 2)
	wg.Go(func() { codes[0], _ = post(t, hs.URL+"/v1/chat/completions", req) })
	<-g.arrived // the first is in the slot; the scheduler waits at the gate
	wg.Go(func() { codes[1], _ = post(t, hs.URL+"/v1/chat/completions", req) })
	waitFor(t, "the second request to queue", func() bool {
		return strings.Contains(metricsText(t, hs.URL), "align_serve_queue_depth 1\n")
	})
	code, body := post(t, hs.URL+"/v1/chat/completions", req)
	if code != http.StatusTooManyRequests {
		t.Fatalf("status %d with a full queue: %s", code, body)
	}
	var e errorResponse
	must(t, json.Unmarshal(body, &e))
	if e.Error.Type != "rate_limit_error" || e.Error.Code == nil || *e.Error.Code != "queue_full" {
		t.Fatalf("429 body %s", body)
	}
	go func() {
		for range g.arrived {
		}
	}()
	g.open()
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Fatalf("request %d: status %d", i, c)
		}
	}
}

// TestClientDisconnect cancels a request mid-generation: its sequence leaves
// the batch and the server goes on answering.
func TestClientDisconnect(t *testing.T) {
	s, hs, _, _ := start(t, serve.Config{})
	g := newGate(s)
	ctx, cancel := context.WithCancel(context.Background())
	js, _ := json.Marshal(map[string]any{"model": "tiny", "messages": hello, "max_tokens": 100, "stream": true})
	req, _ := http.NewRequestWithContext(ctx, "POST", hs.URL+"/v1/chat/completions", bytes.NewReader(js))
	req.Header.Set("Content-Type", "application/json")
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		done <- err
	}()
	<-g.arrived
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("client error %v", err)
	}
	// Give the server time to see the closed connection, then let it decode.
	time.Sleep(50 * time.Millisecond)
	go func() {
		for range g.arrived {
		}
	}()
	g.open()
	r := chat(t, hs.URL, map[string]any{"model": "tiny", "messages": hello, "max_tokens": 5})
	if len(r.Choices) != 1 {
		t.Fatal("no answer after a disconnect")
	}
	m := metricsText(t, hs.URL)
	var generated int
	for _, line := range strings.Split(m, "\n") {
		if v, ok := strings.CutPrefix(line, "align_serve_generated_tokens_total "); ok {
			must(t, json.Unmarshal([]byte(v), &generated))
		}
	}
	if generated > r.Usage.CompletionTokens+2 {
		t.Fatalf("%d tokens generated: the abandoned sequence kept decoding", generated)
	}
}

// TestGracefulShutdown ends Serve's context while a request runs: the
// request completes, new connections are refused, Serve returns nil.
func TestGracefulShutdown(t *testing.T) {
	m, tok := tiny(t, 128, 2, 32)
	s, err := serve.New(m, tok, serve.Config{ModelName: "tiny"})
	must(t, err)
	g := newGate(s)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	base := "http://" + ln.Addr().String()
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	type result struct {
		code int
		body []byte
	}
	res := make(chan result, 1)
	go func() {
		c, b := post(t, base+"/v1/chat/completions", map[string]any{"model": "tiny", "messages": hello, "max_tokens": 10})
		res <- result{c, b}
	}()
	<-g.arrived
	stop() // SIGTERM, as align serve sees it
	waitFor(t, "the listener to close", func() bool {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v with a request in flight", err)
	default:
	}
	go func() {
		for range g.arrived {
		}
	}()
	g.open()
	r := <-res
	if r.code != 200 {
		t.Fatalf("in-flight request: %d %s", r.code, r.body)
	}
	var cr chatResponse
	must(t, json.Unmarshal(r.body, &cr))
	if cr.Choices[0].FinishReason == "" {
		t.Fatalf("incomplete answer %s", r.body)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
}
