package serve

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// Config sets up a Server. The zero value serves with the defaults given
// (see Defaults).
type Config struct {
	// ModelName is the model id clients send and /v1/models lists
	// (default "align").
	ModelName string
	// MaxBatch is how many sequences are decoded together (default 8). The
	// key/value cache holds MaxBatch × MaxContext tokens.
	MaxBatch int
	// MaxQueue is how many requests may wait for decoding slots before
	// new ones get 429 (default 256).
	MaxQueue int
	// MaxContext bounds prompt plus completion in tokens (default and
	// maximum: the model's context).
	MaxContext int
	// MaxBodyBytes bounds a request body (default 1 MiB); larger ones get
	// 413.
	MaxBodyBytes int64
	// MaxN bounds n, the choices per request (default and maximum:
	// MaxBatch).
	MaxN int
	// APIKey, when set, must be sent as "Authorization: Bearer <key>".
	APIKey string
	// ShutdownTimeout bounds how long Serve waits for requests in flight
	// when its context ends (default 30 s).
	ShutdownTimeout time.Duration
	// ReadHeaderTimeout bounds how long a client may take to send the
	// headers of a request (default 10 s); Serve closes slower
	// connections.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds how long a client may take to send a whole
	// request, headers and body (default 60 s): a body that has not
	// arrived by then gets 408 and the connection is closed, so a client
	// that stalls mid-body cannot hold it.
	ReadTimeout time.Duration
	// WriteTimeout bounds each write of an answer (default 60 s): a client
	// that stops reading is cut off. It is a deadline per write, with none
	// while an answer is being generated, so long generations and streams
	// run as long as they need.
	WriteTimeout time.Duration
	// IdleTimeout bounds how long a kept-alive connection may wait for its
	// next request (default 2 min).
	IdleTimeout time.Duration
	// Seed seeds the generator that draws seeds for requests without one.
	Seed uint64
}

// Defaults returns the default settings. MaxContext and MaxN stay 0: their
// defaults depend on the model and on MaxBatch.
func Defaults() Config {
	return Config{
		MaxBatch:          8,
		MaxQueue:          256,
		MaxBodyBytes:      1 << 20,
		ShutdownTimeout:   30 * time.Second,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
}

// Validate checks c as it will be used; only MaxContext and MaxN may be 0
// (the model's context, MaxBatch). New fills the zero fields of its Config
// with Defaults first; Validate is for callers that start from Defaults and
// change settings, so that a bad one is named before a model is loaded. A
// bad setting is a *yamlconf.KeyError named by its snake_case key
// (max_batch, read_timeout...).
func (c Config) Validate() error {
	for _, d := range []struct {
		key string
		v   time.Duration
	}{
		{"shutdown_timeout", c.ShutdownTimeout}, {"read_header_timeout", c.ReadHeaderTimeout},
		{"read_timeout", c.ReadTimeout}, {"write_timeout", c.WriteTimeout}, {"idle_timeout", c.IdleTimeout},
	} {
		if d.v <= 0 {
			return yamlconf.Keyf(d.key, "must be a positive duration such as 30s, got %v", d.v)
		}
	}
	switch {
	case c.MaxBatch < 1:
		return yamlconf.Keyf("max_batch", "must be at least 1, got %d", c.MaxBatch)
	case c.MaxQueue < 1:
		return yamlconf.Keyf("max_queue", "must be at least 1, got %d", c.MaxQueue)
	case c.MaxContext < 0 || c.MaxContext == 1:
		return yamlconf.Keyf("max_context", "must be 0 (the model's context) or at least 2, got %d", c.MaxContext)
	case c.MaxBodyBytes < 1:
		return yamlconf.Keyf("max_body", "must be a positive number of bytes, got %d", c.MaxBodyBytes)
	case c.MaxN < 0 || c.MaxN > c.MaxBatch:
		return yamlconf.Keyf("max_n", "must be at most the batch size (%d), or 0 for the batch size, got %d", c.MaxBatch, c.MaxN)
	}
	return nil
}

// defaults fills the zero fields of c and checks the result against the
// model's context ctx.
func (c *Config) defaults(ctx int) error {
	d := Defaults()
	orDefault(&c.ModelName, "align")
	orDefault(&c.MaxBatch, d.MaxBatch)
	orDefault(&c.MaxQueue, d.MaxQueue)
	orDefault(&c.MaxBodyBytes, d.MaxBodyBytes)
	orDefault(&c.ShutdownTimeout, d.ShutdownTimeout)
	orDefault(&c.ReadHeaderTimeout, d.ReadHeaderTimeout)
	orDefault(&c.ReadTimeout, d.ReadTimeout)
	orDefault(&c.WriteTimeout, d.WriteTimeout)
	orDefault(&c.IdleTimeout, d.IdleTimeout)
	if err := c.Validate(); err != nil {
		return err
	}
	if c.MaxContext == 0 {
		c.MaxContext = ctx
	}
	if c.MaxN == 0 {
		c.MaxN = c.MaxBatch
	}
	if c.MaxContext < 2 || c.MaxContext > ctx {
		return yamlconf.Keyf("max_context", "must be in [2, %d] (the model's context), got %d", ctx, c.MaxContext)
	}
	return nil
}

// orDefault sets a zero *v to def.
func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Server answers the OpenAI API for one model. Create it with New or Load,
// mount Handler (or call Serve), and Close it when done.
type Server struct {
	cfg     Config
	m       *model.Model
	tok     *tokenizer.Tokenizer
	stops   []int32 // token ids that end generation
	sched   *scheduler
	metrics *metrics
	created int64
	fp      string // system_fingerprint

	handler http.Handler

	rngMu sync.Mutex
	rng   *mrand.Rand
}

// New serves m with tok. The server owns m until Close: nothing else may
// use it meanwhile.
func New(m *model.Model, tok *tokenizer.Tokenizer, cfg Config) (*Server, error) {
	if m == nil || tok == nil {
		return nil, errors.New("serve: a model and a tokenizer are needed")
	}
	if tok.VocabSize() > m.Config.VocabSize {
		return nil, fmt.Errorf("serve: the tokenizer has %d tokens, more than the model's vocabulary of %d", tok.VocabSize(), m.Config.VocabSize)
	}
	if err := cfg.defaults(m.Config.Context); err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	if err := m.CheckFinite(); err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	s := &Server{cfg: cfg, m: m, tok: tok, metrics: newMetrics(), created: time.Now().Unix(),
		rng: mrand.New(mrand.NewPCG(cfg.Seed, 0x5e12e))}
	if cf, err := tok.ChatFormat(); err == nil {
		for _, id := range cf.Stop {
			s.stops = append(s.stops, int32(id))
		}
	}
	c := m.Config
	s.fp = fmt.Sprintf("fp_align_v%d_l%d_c%d_t%d", c.VocabSize, c.Layers, c.Channels, c.Context)
	var err error
	if s.sched, err = newScheduler(m, cfg.MaxBatch, cfg.MaxContext, cfg.MaxQueue, s.metrics); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// Load serves the policy in the checkpoint directory dir (see
// checkpoint.LoadKind); an empty cfg.ModelName becomes the directory's name.
func Load(dir string, cfg Config) (*Server, error) {
	hm, err := checkpoint.LoadKind(dir, checkpoint.KindPolicy)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	if hm.Tokenizer == nil {
		return nil, fmt.Errorf("serve: %s has no tokenizer (tokenizer.json)", dir)
	}
	if cfg.ModelName == "" {
		abs, _ := filepath.Abs(dir)
		cfg.ModelName = filepath.Base(abs)
	}
	return New(hm.Model, hm.Tokenizer, cfg)
}

// Config returns the server's configuration with the defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Close stops the scheduler: requests still running or waiting end with a
// 503 error. Call it after the HTTP server has shut down.
func (s *Server) Close() { s.sched.close() }

// Handler returns the HTTP handler of every endpoint. It gives each write
// of an answer a deadline of Config.WriteTimeout (and none while an answer
// is generated), overriding the WriteTimeout of an http.Server it is
// mounted in; the read timeouts are that server's to set, as Serve does.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /v1/chat/completions", s.instrument("/v1/chat/completions", s.auth(requireJSON(http.HandlerFunc(s.handleChat)))))
	mux.Handle("POST /v1/completions", s.instrument("/v1/completions", s.auth(requireJSON(http.HandlerFunc(s.handleCompletions)))))
	mux.Handle("GET /v1/models", s.instrument("/v1/models", s.auth(http.HandlerFunc(s.handleModels))))
	mux.Handle("GET /v1/models/{id...}", s.instrument("/v1/models", s.auth(http.HandlerFunc(s.handleModel))))
	mux.Handle("GET /metrics", s.metrics)
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/", s.handleUnknown)
	return s.writeDeadlines(mux)
}

// ServeHTTP makes a Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Serve answers on ln until ctx is done, then shuts down gracefully: it
// stops accepting connections, waits for requests in flight (at most
// Config.ShutdownTimeout, then cuts them off) and closes s. It returns nil
// after a clean shutdown. Connections are held to Config's read, write and
// idle timeouts.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	c := s.cfg
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: c.ReadHeaderTimeout, ReadTimeout: c.ReadTimeout,
		WriteTimeout: c.WriteTimeout, IdleTimeout: c.IdleTimeout}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
		err = hs.Shutdown(sctx)
		cancel()
		if err != nil {
			hs.Close()
			err = fmt.Errorf("serve: requests still running after %v were cut off", s.cfg.ShutdownTimeout)
		}
		if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	s.Close()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// statusWriter records the status of an answer for the metrics.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) instrument(endpoint string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		switch {
		case sw.code == 0 && r.Context().Err() != nil:
			sw.code = 499 // the client went away first (nginx's code)
		case sw.code == 0:
			sw.code = http.StatusOK
		}
		s.metrics.observeRequest(endpoint, sw.code, time.Since(start))
	})
}

func (s *Server) modelInfo() ModelInfo {
	return ModelInfo{ID: s.cfg.ModelName, Object: "model", Created: s.created, OwnedBy: "align", MaxModelLen: s.cfg.MaxContext}
}

func (s *Server) handleModels(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, ModelList{Object: "list", Data: []ModelInfo{s.modelInfo()}})
}

func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) {
	if id := r.PathValue("id"); id != s.cfg.ModelName {
		writeError(w, s.unknownModel(id))
		return
	}
	writeJSON(w, http.StatusOK, s.modelInfo())
}

func (s *Server) unknownModel(name string) *APIError {
	return &APIError{Message: fmt.Sprintf("the model %q does not exist; this server serves %q", name, s.cfg.ModelName),
		Type: typeInvalid, Param: strPtr("model"), Code: strPtr(codeModelNotFound), Status: http.StatusNotFound}
}

func (s *Server) handleUnknown(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/v1/chat/completions", "/v1/completions", "/v1/models", "/metrics", "/health":
		writeError(w, &APIError{Message: fmt.Sprintf("method %s is not allowed for %s", r.Method, r.URL.Path),
			Type: typeInvalid, Status: http.StatusMethodNotAllowed})
		return
	}
	writeError(w, &APIError{Message: fmt.Sprintf("invalid URL (%s %s)", r.Method, r.URL.Path), Type: typeNotFound, Status: http.StatusNotFound})
}

// decodeBody reads a JSON request body within the size limit.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	dec := json.NewDecoder(body)
	if err := dec.Decode(v); err != nil {
		return s.bodyError(w, err)
	}
	_, err := dec.Token()
	if err == io.EOF {
		return nil
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok || errors.Is(err, os.ErrDeadlineExceeded) {
		return s.bodyError(w, err)
	}
	return invalid("", "", "the request body must hold one JSON object and nothing after it")
}

// bodyError is the answer to a body that could not be read or decoded: 408
// for one that did not arrive within the read timeout (and the connection
// is closed: what is left of the body will not come), else decodeError's.
func (*Server) bodyError(w http.ResponseWriter, err error) *APIError {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		w.Header().Set("Connection", "close")
		return &APIError{Message: "the request body did not arrive within the server's read timeout; send it without pausing",
			Type: typeInvalid, Code: strPtr(codeTimeout), Status: http.StatusRequestTimeout}
	}
	return decodeError(err)
}

// newID returns a fresh completion id with the given prefix.
func newID(prefix string) string { return prefix + strings.ToLower(rand.Text()) }

// rngFor returns the generator of choice k of a request.
func (s *Server) rngFor(seed *int64, k int) *mrand.Rand {
	if seed != nil {
		return mrand.New(mrand.NewPCG(uint64(*seed), uint64(k)))
	}
	s.rngMu.Lock()
	a, b := s.rng.Uint64(), s.rng.Uint64()
	s.rngMu.Unlock()
	return mrand.New(mrand.NewPCG(a, b))
}
