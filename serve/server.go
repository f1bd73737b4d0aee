package serve

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// Config sets up a Server. The zero value serves with the defaults given.
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
	// Seed seeds the generator that draws seeds for requests without one.
	Seed uint64
}

func (c *Config) defaults(ctx int) error {
	if c.ModelName == "" {
		c.ModelName = "align"
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 8
	}
	if c.MaxQueue == 0 {
		c.MaxQueue = 256
	}
	if c.MaxContext == 0 {
		c.MaxContext = ctx
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.MaxN == 0 {
		c.MaxN = c.MaxBatch
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	switch {
	case c.MaxBatch < 1:
		return fmt.Errorf("max batch must be at least 1, got %d", c.MaxBatch)
	case c.MaxQueue < 1:
		return fmt.Errorf("max queue must be at least 1, got %d", c.MaxQueue)
	case c.MaxContext < 2 || c.MaxContext > ctx:
		return fmt.Errorf("max context must be in [2, %d] (the model's context), got %d", ctx, c.MaxContext)
	case c.MaxBodyBytes < 1:
		return fmt.Errorf("max body bytes must be positive, got %d", c.MaxBodyBytes)
	case c.MaxN < 1 || c.MaxN > c.MaxBatch:
		return fmt.Errorf("max n must be in [1, %d] (the batch), got %d", c.MaxBatch, c.MaxN)
	}
	return nil
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

// Handler returns the HTTP handler of every endpoint.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /v1/chat/completions", s.instrument("/v1/chat/completions", s.auth(http.HandlerFunc(s.handleChat))))
	mux.Handle("POST /v1/completions", s.instrument("/v1/completions", s.auth(http.HandlerFunc(s.handleCompletions))))
	mux.Handle("GET /v1/models", s.instrument("/v1/models", s.auth(http.HandlerFunc(s.handleModels))))
	mux.Handle("GET /v1/models/{id...}", s.instrument("/v1/models", s.auth(http.HandlerFunc(s.handleModel))))
	mux.Handle("GET /metrics", s.metrics)
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/", s.handleUnknown)
	return mux
}

// ServeHTTP makes a Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Serve answers on ln until ctx is done, then shuts down gracefully: it
// stops accepting connections, waits for requests in flight (at most
// Config.ShutdownTimeout, then cuts them off) and closes s. It returns nil
// after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
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

// auth checks the bearer token when the server has an API key.
func (s *Server) auth(h http.Handler) http.Handler {
	if s.cfg.APIKey == "" {
		return h
	}
	want := []byte("Bearer " + s.cfg.APIKey)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			writeError(w, &APIError{Message: "incorrect or missing API key: send Authorization: Bearer <key>",
				Type: typeAuth, Code: strPtr("invalid_api_key"), Status: http.StatusUnauthorized})
			return
		}
		h.ServeHTTP(w, r)
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
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return decodeError(mbe)
		}
		return invalid("", "", "the request body must hold one JSON object and nothing after it")
	}
	return nil
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
