package ppo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/align-project/align/reward"
)

// HTTPSource scores responses with a web service. Each Score call sends one
// request,
//
//	POST URL
//	Content-Type: application/json
//	{"prompts": ["...", ...], "responses": ["...", ...]}
//
// and expects status 200 with
//
//	{"scores": [0.7, ...], "costs": [0.1, ...], "raw": [...]}
//
// one number per response; "costs" and "raw" are optional (absent costs are
// 0, absent raw scores equal the scores). Errors say which of these went
// wrong: the connection, the timeout, a status other than 200 (with the
// start of the body), JSON that does not parse, or a wrong count.
type HTTPSource struct {
	URL     string
	Timeout time.Duration     // per request; 0 means 60 s
	Header  map[string]string // extra request headers, e.g. Authorization
	Client  *http.Client      // nil means a client with no timeout of its own
}

type httpRequest struct {
	Prompts   []string `json:"prompts"`
	Responses []string `json:"responses"`
}

type httpResponse struct {
	Scores []float64 `json:"scores"`
	Costs  []float64 `json:"costs"`
	Raw    []float64 `json:"raw"`
}

// maxHTTPBody bounds the answer read from a scoring service.
const maxHTTPBody = 64 << 20

// Score posts the batch and decodes the scores.
func (s *HTTPSource) Score(ctx context.Context, prompts, responses []string) ([]reward.Score, error) {
	if err := checkPairs(prompts, responses); err != nil {
		return nil, err
	}
	body, err := json.Marshal(httpRequest{Prompts: prompts, Responses: responses})
	if err != nil {
		return nil, fmt.Errorf("score %s: %w", s.URL, err)
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("score: bad reward URL %q: %w", s.URL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	for k, v := range s.Header {
		req.Header.Set(k, v)
	}
	client := s.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("score %s: no answer within %v (raise the timeout or shrink the batch): %w", s.URL, timeout, err)
		}
		return nil, fmt.Errorf("score %s: %w", s.URL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxHTTPBody+1))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("score %s: answer not complete within %v: %w", s.URL, timeout, err)
		}
		return nil, fmt.Errorf("score %s: read answer: %w", s.URL, err)
	}
	if len(data) > maxHTTPBody {
		return nil, fmt.Errorf("score %s: answer larger than %d MB", s.URL, maxHTTPBody>>20)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("score %s: status %s: %s", s.URL, resp.Status, snippet(data))
	}
	var out httpResponse
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("score %s: answer is not the expected JSON {\"scores\": [...]}: %w (got %s)", s.URL, err, snippet(data))
	}
	n := len(prompts)
	switch {
	case out.Scores == nil:
		return nil, fmt.Errorf("score %s: answer has no \"scores\" (got %s)", s.URL, snippet(data))
	case len(out.Scores) != n:
		return nil, fmt.Errorf("score %s: %d scores for %d responses", s.URL, len(out.Scores), n)
	case out.Costs != nil && len(out.Costs) != n:
		return nil, fmt.Errorf("score %s: %d costs for %d responses", s.URL, len(out.Costs), n)
	case out.Raw != nil && len(out.Raw) != n:
		return nil, fmt.Errorf("score %s: %d raw scores for %d responses", s.URL, len(out.Raw), n)
	}
	scores := make([]reward.Score, n)
	for i, r := range out.Scores {
		scores[i] = reward.Score{Reward: r, Raw: r}
		if out.Raw != nil {
			scores[i].Raw = out.Raw[i]
		}
		if out.Costs != nil {
			scores[i].Cost = out.Costs[i]
		}
	}
	if err := reward.CheckScores(scores); err != nil {
		return nil, fmt.Errorf("%s: %w", s.URL, err)
	}
	return scores, nil
}

// snippet returns the start of a body for an error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return fmt.Sprintf("%q", s)
}
