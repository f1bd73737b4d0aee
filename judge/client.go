package judge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// ChatMessage is one message of an OpenAI-style chat.
type ChatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatRequest is the body of POST /v1/chat/completions (the fields align
// uses).
type ChatRequest struct {
	Model       string        `json:"model"`
	Messages    []ChatMessage `json:"messages"`
	Temperature *float64      `json:"temperature,omitempty"`
	MaxTokens   int           `json:"max_tokens,omitempty"`
	Seed        *int64        `json:"seed,omitempty"`
	Logprobs    bool          `json:"logprobs,omitempty"`
	TopLogprobs int           `json:"top_logprobs,omitempty"`
}

// ChatResponse is the answer of /v1/chat/completions.
type ChatResponse struct {
	Choices []struct {
		Message      ChatMessage `json:"message"`
		FinishReason string      `json:"finish_reason"`
		Logprobs     *struct {
			Content []TokenLogprob `json:"content"`
		} `json:"logprobs"`
	} `json:"choices"`
}

// TokenLogprob is the log-probability of one generated token, with the most
// likely alternatives at its position.
type TokenLogprob struct {
	Token       string  `json:"token"`
	Logprob     float64 `json:"logprob"`
	TopLogprobs []struct {
		Token   string  `json:"token"`
		Logprob float64 `json:"logprob"`
	} `json:"top_logprobs"`
}

// Client talks to any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama,
// llama.cpp's server, align serve). It limits concurrency, counts requests
// against a budget, times requests out, and retries network errors, 429 and
// 5xx answers and unreadable bodies with exponential backoff and jitter.
// Its fields must not change once requests are under way.
type Client struct {
	// BaseURL is the API root, e.g. http://localhost:11434/v1; a bare
	// host URL gets "/v1" appended.
	BaseURL string
	APIKey  string
	HTTP    *http.Client
	// Timeout bounds each HTTP attempt (default 2 minutes).
	Timeout time.Duration
	// Retries is how many times a failed attempt is repeated (default 4;
	// negative: none).
	Retries int
	// BackoffBase and BackoffMax shape the delay before retry n: a random
	// time in [d/2, d] with d = min(BackoffMax, BackoffBase·2ⁿ), at least
	// a Retry-After the server sent (capped by BackoffMax). Defaults 500 ms
	// and 30 s.
	BackoffBase, BackoffMax time.Duration
	// Budget caps the HTTP requests the client ever sends (0: no cap);
	// past it requests fail with [ErrBudget].
	Budget int64

	sem   chan struct{}
	stats clientCounters
}

type clientCounters struct {
	requests, retries, failures, status429, status5xx, badBodies, timeouts atomic.Int64
	network, status4xx                                                     atomic.Int64
}

// ClientStats counts what a Client did.
type ClientStats struct {
	Requests  int64 `json:"requests"`    // HTTP requests sent (retries included)
	Retries   int64 `json:"retries"`     // attempts repeated after a failure
	Failures  int64 `json:"failures"`    // calls that failed after all retries
	Status429 int64 `json:"status_429"`  // rate-limit answers
	Status5xx int64 `json:"status_5xx"`  // server errors
	BadBodies int64 `json:"bad_bodies"`  // 200 answers that were not a chat completion
	Timeouts  int64 `json:"timeouts"`    // attempts that hit Timeout
	Budget    int64 `json:"budget_left"` // requests left (-1: no cap)
	// Network counts attempts that got no answer (connection refused,
	// unknown host, reset), Status4xx answers refused as a client error
	// other than 429 (a wrong model name or API key); both say more about
	// a failing judge than the totals.
	Network   int64 `json:"network_errors"`
	Status4xx int64 `json:"status_4xx"`
}

// NewClient returns a client for baseURL allowing concurrency requests in
// flight at once (at least 1).
func NewClient(baseURL, apiKey string, concurrency int) *Client {
	return &Client{BaseURL: baseURL, APIKey: apiKey, HTTP: http.DefaultClient, sem: make(chan struct{}, max(1, concurrency))}
}

// Stats returns the client's counters.
func (c *Client) Stats() ClientStats {
	s := ClientStats{
		Requests: c.stats.requests.Load(), Retries: c.stats.retries.Load(), Failures: c.stats.failures.Load(),
		Status429: c.stats.status429.Load(), Status5xx: c.stats.status5xx.Load(), BadBodies: c.stats.badBodies.Load(),
		Timeouts: c.stats.timeouts.Load(), Budget: -1, Network: c.stats.network.Load(), Status4xx: c.stats.status4xx.Load(),
	}
	if c.Budget > 0 {
		s.Budget = max(0, c.Budget-s.Requests)
	}
	return s
}

// endpoint returns the URL of path under the API root.
func (c *Client) endpoint(path string) (string, error) {
	u, err := url.Parse(strings.TrimRight(c.BaseURL, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("judge client: base URL %q is not an http(s) URL", c.BaseURL)
	}
	if u.Path == "" {
		u.Path = "/v1"
	}
	return u.String() + path, nil
}

// statusError is a non-2xx answer.
type statusError struct {
	code int
	body string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.code, e.body)
}

// Chat sends one chat completion request, retrying transient failures.
func (c *Client) Chat(ctx context.Context, req ChatRequest) (*ChatResponse, error) {
	ep, err := c.endpoint("/chat/completions")
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("judge client: %w", err)
	}
	retries := c.Retries
	if retries == 0 {
		retries = 4
	}
	retries = max(0, retries)
	var last error
	for attempt := 0; ; attempt++ {
		resp, retryAfter, err := c.attempt(ctx, ep, body)
		if err == nil {
			return resp, nil
		}
		last = err
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, ErrBudget) {
			return nil, err
		}
		var se *statusError
		if errors.As(err, &se) && se.code != http.StatusTooManyRequests && se.code < 500 {
			break // a client error: repeating it will not help
		}
		if attempt >= retries {
			break
		}
		c.stats.retries.Add(1)
		if err := sleep(ctx, c.backoff(attempt, retryAfter)); err != nil {
			return nil, err
		}
	}
	c.stats.failures.Add(1)
	return nil, fmt.Errorf("chat completion at %s: %w", ep, last)
}

// backoff is the delay before retry number attempt+1.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	base, ceil := c.BackoffBase, c.BackoffMax
	if base <= 0 {
		base = 500 * time.Millisecond
	}
	if ceil <= 0 {
		ceil = 30 * time.Second
	}
	d := base << min(attempt, 30)
	if d <= 0 || d > ceil {
		d = ceil
	}
	d = d/2 + rand.N(d/2+1)
	return min(ceil, max(d, retryAfter))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// attempt sends one HTTP request within the concurrency limit and budget.
func (c *Client) attempt(ctx context.Context, ep string, body []byte) (*ChatResponse, time.Duration, error) {
	if c.sem == nil {
		return nil, 0, errors.New("judge client: use NewClient")
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
	defer func() { <-c.sem }()
	if n := c.stats.requests.Add(1); c.Budget > 0 && n > c.Budget {
		c.stats.requests.Add(-1)
		return nil, 0, ErrBudget
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(actx, http.MethodPost, ep, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	if c.APIKey != "" {
		hreq.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(hreq)
	if err != nil {
		if actx.Err() != nil && ctx.Err() == nil {
			c.stats.timeouts.Add(1)
			return nil, 0, fmt.Errorf("timed out after %v", timeout)
		}
		if ctx.Err() == nil {
			c.stats.network.Add(1)
		}
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		if actx.Err() != nil && ctx.Err() == nil {
			c.stats.timeouts.Add(1)
			return nil, 0, fmt.Errorf("timed out after %v reading the answer", timeout)
		}
		if ctx.Err() == nil {
			c.stats.network.Add(1)
		}
		return nil, 0, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			c.stats.status429.Add(1)
		case resp.StatusCode >= 500:
			c.stats.status5xx.Add(1)
		case resp.StatusCode >= 400:
			c.stats.status4xx.Add(1)
		}
		var ra time.Duration
		if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s > 0 {
			ra = time.Duration(s) * time.Second
		}
		return nil, ra, &statusError{code: resp.StatusCode, body: snippet(b)}
	}
	var out ChatResponse
	if err := json.Unmarshal(b, &out); err != nil || len(out.Choices) == 0 {
		c.stats.badBodies.Add(1)
		if err == nil {
			err = errors.New("no choices")
		}
		return nil, 0, fmt.Errorf("not a chat completion (%v): %s", err, snippet(b))
	}
	return &out, 0, nil
}

// snippet shortens a body for error messages.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
