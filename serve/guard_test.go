package serve_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/serve"
)

// serveTCP runs s.Serve on a listener on 127.0.0.1 and returns its address;
// the server shuts down when the test ends.
func serveTCP(t *testing.T, s *serve.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	return serveOn(t, s, ln)
}

func serveOn(t *testing.T, s *serve.Server, ln net.Listener) string {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		stop()
		<-served
	})
	return ln.Addr().String()
}

// newServer builds a server of a tiny model without serving it.
func newServer(t *testing.T, cfg serve.Config) *serve.Server {
	t.Helper()
	m, tok := tiny(t, 128, 2, 32)
	cfg.ModelName = "tiny"
	s, err := serve.New(m, tok, cfg)
	must(t, err)
	return s
}

// closedWithin reads c until the server closes it and returns what it read
// and how long that took; it fails the test if the server still holds the
// connection after limit.
func closedWithin(t *testing.T, c net.Conn, limit time.Duration) (string, time.Duration) {
	t.Helper()
	start := time.Now()
	c.SetReadDeadline(start.Add(limit))
	got, err := io.ReadAll(c)
	took := time.Since(start)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the server still held the connection after %v (read so far: %q)", limit, got)
	}
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("reading until the server closed: %v", err)
	}
	return string(got), took
}

// TestStalledBodyIsCutOff is a client that sends the headers and half of
// the body of a chat request, then waits: the server answers 408 and closes
// the connection once the read timeout has passed, instead of holding it
// for ever.
func TestStalledBodyIsCutOff(t *testing.T) {
	const readTimeout = 300 * time.Millisecond
	addr := serveTCP(t, newServer(t, serve.Config{ReadTimeout: readTimeout}))
	c, err := net.Dial("tcp", addr)
	must(t, err)
	defer c.Close()
	body := `{"model": "tiny", "messages": [{"role": "user", "content": "hello"}]}`
	_, err = fmt.Fprintf(c, "POST /v1/chat/completions HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		addr, len(body), body[:len(body)/2])
	must(t, err)
	got, took := closedWithin(t, c, 10*time.Second)
	t.Logf("closed after %v: %q", took, got)
	if took > readTimeout+2*time.Second {
		t.Errorf("closed after %v, want about the read timeout of %v", took, readTimeout)
	}
	status, _, _ := strings.Cut(got, "\r\n")
	if status != "HTTP/1.1 408 Request Timeout" || !strings.Contains(got, `"code":"request_timeout"`) {
		t.Errorf("answer %q, want a 408 with an OpenAI error", got)
	}
}

// TestStalledHeadersAreCutOff is a client that sends part of the headers
// and waits: the server closes the connection after the header timeout.
func TestStalledHeadersAreCutOff(t *testing.T) {
	const headerTimeout = 200 * time.Millisecond
	addr := serveTCP(t, newServer(t, serve.Config{ReadHeaderTimeout: headerTimeout}))
	c, err := net.Dial("tcp", addr)
	must(t, err)
	defer c.Close()
	_, err = fmt.Fprintf(c, "POST /v1/chat/completions HTTP/1.1\r\nHost: %s\r\nContent-Ty", addr)
	must(t, err)
	_, took := closedWithin(t, c, 10*time.Second)
	if took > headerTimeout+2*time.Second {
		t.Errorf("closed after %v, want about the header timeout of %v", took, headerTimeout)
	}
}

// TestIdleConnectionIsClosed keeps a connection open after one request: the
// server closes it after the idle timeout.
func TestIdleConnectionIsClosed(t *testing.T) {
	const idleTimeout = 200 * time.Millisecond
	addr := serveTCP(t, newServer(t, serve.Config{IdleTimeout: idleTimeout}))
	c, err := net.Dial("tcp", addr)
	must(t, err)
	defer c.Close()
	_, err = fmt.Fprintf(c, "GET /health HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	must(t, err)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	must(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Close {
		t.Fatalf("health: %d, close %v", resp.StatusCode, resp.Close)
	}
	start := time.Now()
	c.SetReadDeadline(start.Add(10 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("idle connection: %v, want EOF", err)
	}
	if took := time.Since(start); took > idleTimeout+2*time.Second {
		t.Errorf("closed after %v, want about the idle timeout of %v", took, idleTimeout)
	}
}

// TestLongAnswersOutliveWriteTimeout generates slowly, with a write timeout
// shorter than the generation: a plain answer, written once generation is
// over, and a stream, written as it goes, both arrive whole. (http.Server's
// own WriteTimeout would cut both.)
func TestLongAnswersOutliveWriteTimeout(t *testing.T) {
	const writeTimeout = 100 * time.Millisecond
	s := newServer(t, serve.Config{WriteTimeout: writeTimeout})
	serve.SetBeforeStep(s, func() { time.Sleep(2 * writeTimeout) })
	base := "http://" + serveTCP(t, s)
	req := map[string]any{"model": "tiny", "messages": hello, "max_tokens": 3, "seed": 1}
	start := time.Now()
	r := chat(t, base, req)
	if took := time.Since(start); took < 2*writeTimeout || r.Choices[0].FinishReason == "" {
		t.Fatalf("answer after %v: %+v", took, r)
	}
	start = time.Now()
	content, finish, _ := streamChat(t, base, req) // fails the test unless the stream ends with [DONE]
	if took := time.Since(start); took < 2*writeTimeout || finish[0] == "" || content[0] != r.Choices[0].Message.Content {
		t.Fatalf("stream after %v: %q %q, want %q", took, content, finish, r.Choices[0].Message.Content)
	}
}

// TestClientThatStopsReadingIsCutOff streams a large answer to a client with
// a small receive window that reads nothing: once the connection's buffers
// are full the server's write waits, and after the write timeout the server
// gives up on the request (and stops generating for it).
func TestClientThatStopsReadingIsCutOff(t *testing.T) {
	const writeTimeout = 200 * time.Millisecond
	m, tok := tiny(t, 1024, 1, 16)
	s, err := serve.New(m, tok, serve.Config{ModelName: "tiny", WriteTimeout: writeTimeout})
	must(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := serveOn(t, s, smallSendBuffers{ln.(*net.TCPListener)})
	// Small buffers on both sides, so that a few kilobytes fill them.
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	c, err := d.Dial("tcp", addr)
	must(t, err)
	defer c.Close()
	const n, maxTokens = 8, 1000
	js, _ := json.Marshal(map[string]any{"model": "tiny", "messages": hello, "stream": true, "n": n, "max_tokens": maxTokens,
		"logprobs": true, "top_logprobs": 20, "temperature": 1.5, "seed": 3})
	_, err = fmt.Fprintf(c, "POST /v1/chat/completions HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		addr, len(js), js)
	must(t, err)
	base := "http://" + addr
	finished := `align_serve_requests_total{endpoint="/v1/chat/completions",code="200"} 1` + "\n"
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(metricsText(t, base), finished) {
		if time.Now().After(deadline) {
			t.Fatal("the server still writes to a client that reads nothing after 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// What the client gets when it reads at last: the start of the stream,
	// cut off, without the final [DONE].
	got, _ := closedWithin(t, c, 10*time.Second)
	t.Logf("the client read %d bytes after the server gave up", len(got))
	if !strings.HasPrefix(got, "HTTP/1.1 200 OK") || strings.Contains(got, "data: [DONE]") {
		t.Fatalf("the stream was not cut off: %d bytes, ending %q", len(got), got[max(0, len(got)-200):])
	}
}

// smallSendBuffers gives accepted connections a send buffer of 4 KiB.
type smallSendBuffers struct{ *net.TCPListener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.AcceptTCP()
	if err == nil {
		err = c.SetWriteBuffer(4096)
	}
	return c, err
}

// TestOnlyJSONBodies posts a valid chat request with other content types:
// 415 with an OpenAI error, so that a web page cannot post to the server
// without a CORS preflight; application/json with or without a UTF-8
// charset is answered.
func TestOnlyJSONBodies(t *testing.T) {
	_, hs, _, _ := start(t, serve.Config{})
	js, _ := json.Marshal(map[string]any{"model": "tiny", "messages": hello, "max_tokens": 2})
	completion, _ := json.Marshal(map[string]any{"model": "tiny", "prompt": "hello", "max_tokens": 2})
	for _, c := range []struct {
		path, contentType string
		want              int
	}{
		{"/v1/chat/completions", "text/plain", 415},
		{"/v1/chat/completions", "text/plain;charset=UTF-8", 415},
		{"/v1/chat/completions", "application/x-www-form-urlencoded", 415},
		{"/v1/chat/completions", "multipart/form-data; boundary=x", 415},
		{"/v1/chat/completions", "", 415},
		{"/v1/chat/completions", "application/json; charset=latin1", 415},
		{"/v1/chat/completions", "application/json-patch+json", 415},
		{"/v1/chat/completions", "application/json; charset", 415}, // malformed
		{"/v1/completions", "text/plain", 415},
		{"/v1/chat/completions", "application/json", 200},
		{"/v1/chat/completions", "application/json; charset=utf-8", 200},
		{"/v1/chat/completions", "Application/JSON", 200},
		{"/v1/completions", "application/json", 200},
	} {
		body := js
		if c.path == "/v1/completions" {
			body = completion
		}
		req, _ := http.NewRequest("POST", hs.URL+c.path, bytes.NewReader(body))
		if c.contentType != "" {
			req.Header.Set("Content-Type", c.contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s with %q: status %d, want %d: %s", c.path, c.contentType, resp.StatusCode, c.want, out)
			continue
		}
		if c.want == 415 {
			var e errorResponse
			if err := json.Unmarshal(out, &e); err != nil || e.Error.Type != "invalid_request_error" ||
				e.Error.Code == nil || *e.Error.Code != "unsupported_media_type" || !strings.Contains(e.Error.Message, "application/json") {
				t.Errorf("%s with %q: body %s", c.path, c.contentType, out)
			}
		}
	}
}

// TestAPIKeyChecks sends every kind of wrong credentials: each gets 401 with
// an OpenAI authentication error; the right key, in any case of "Bearer",
// is let in; /health and /metrics stay open.
func TestAPIKeyChecks(t *testing.T) {
	_, hs, _, _ := start(t, serve.Config{APIKey: "sekrit"})
	js, _ := json.Marshal(map[string]any{"model": "tiny", "messages": hello, "max_tokens": 2})
	do := func(method, path, auth string) (int, []byte, http.Header) {
		var body io.Reader
		if method == "POST" {
			body = bytes.NewReader(js)
		}
		req, _ := http.NewRequest(method, hs.URL+path, body)
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, out, resp.Header
	}
	for _, c := range []struct {
		method, path, auth string
		want               int
	}{
		{"POST", "/v1/chat/completions", "", 401},
		{"POST", "/v1/chat/completions", "Bearer wrong", 401},
		{"POST", "/v1/chat/completions", "Bearer sekri", 401},
		{"POST", "/v1/chat/completions", "Bearer sekrit2", 401},
		{"POST", "/v1/chat/completions", "Basic sekrit", 401},
		{"POST", "/v1/chat/completions", "sekrit", 401},
		{"POST", "/v1/completions", "", 401},
		{"GET", "/v1/models", "", 401},
		{"GET", "/v1/models/tiny", "Bearer nope", 401},
		{"POST", "/v1/chat/completions", "Bearer sekrit", 200},
		{"POST", "/v1/chat/completions", "bearer sekrit", 200},
		{"GET", "/v1/models", "Bearer sekrit", 200},
		{"GET", "/health", "", 200},
		{"GET", "/metrics", "", 200},
	} {
		code, out, h := do(c.method, c.path, c.auth)
		if code != c.want {
			t.Errorf("%s %s with %q: status %d, want %d: %s", c.method, c.path, c.auth, code, c.want, out)
			continue
		}
		if c.want != 401 {
			continue
		}
		var e errorResponse
		if err := json.Unmarshal(out, &e); err != nil || e.Error.Type != "authentication_error" ||
			e.Error.Code == nil || *e.Error.Code != "invalid_api_key" || !strings.Contains(e.Error.Message, "Bearer") {
			t.Errorf("%s %s with %q: body %s", c.method, c.path, c.auth, out)
		}
		if !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s %s with %q: no WWW-Authenticate: Bearer", c.method, c.path, c.auth)
		}
	}
}

// TestExposed: a server is exposed when it listens beyond loopback without
// an API key.
func TestExposed(t *testing.T) {
	open := newServer(t, serve.Config{})
	defer open.Close()
	keyed := newServer(t, serve.Config{APIKey: "k"})
	defer keyed.Close()
	for _, c := range []struct {
		addr        string
		open, keyed bool
	}{
		{"127.0.0.1:0", false, false},
		{"0.0.0.0:0", true, false},
		{"[::1]:0", false, false},
		{"[::]:0", true, false},
	} {
		ln, err := net.Listen("tcp", c.addr)
		if err != nil {
			t.Logf("cannot listen on %s here: %v", c.addr, err)
			continue
		}
		ln.Close()
		if got := open.Exposed(ln.Addr()); got != c.open {
			t.Errorf("%s without a key: exposed %v, want %v", ln.Addr(), got, c.open)
		}
		if got := keyed.Exposed(ln.Addr()); got != c.keyed {
			t.Errorf("%s with a key: exposed %v, want %v", ln.Addr(), got, c.keyed)
		}
	}
}

// TestValidate names a bad setting by its key.
func TestValidate(t *testing.T) {
	if err := serve.Defaults().Validate(); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
	for key, change := range map[string]func(*serve.Config){
		"read_timeout":        func(c *serve.Config) { c.ReadTimeout = 0 },
		"read_header_timeout": func(c *serve.Config) { c.ReadHeaderTimeout = -time.Second },
		"write_timeout":       func(c *serve.Config) { c.WriteTimeout = 0 },
		"idle_timeout":        func(c *serve.Config) { c.IdleTimeout = -1 },
		"shutdown_timeout":    func(c *serve.Config) { c.ShutdownTimeout = 0 },
		"max_batch":           func(c *serve.Config) { c.MaxBatch = 0 },
		"max_queue":           func(c *serve.Config) { c.MaxQueue = -3 },
		"max_context":         func(c *serve.Config) { c.MaxContext = 1 },
		"max_body":            func(c *serve.Config) { c.MaxBodyBytes = 0 },
		"max_n":               func(c *serve.Config) { c.MaxN = 9 },
	} {
		c := serve.Defaults()
		change(&c)
		ke, ok := errors.AsType[*yamlconf.KeyError](c.Validate())
		if !ok || ke.Key != key {
			t.Errorf("%s: got %v", key, c.Validate())
		}
	}
	// New takes the zero value as the defaults, but not a negative timeout.
	m, tok := tiny(t, 64, 1, 16)
	if _, err := serve.New(m, tok, serve.Config{WriteTimeout: -time.Second}); err == nil || !strings.Contains(err.Error(), "write_timeout") {
		t.Fatalf("negative write timeout: %v", err)
	}
}
