package serve

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"time"
)

// genParams are the validated sampling parameters of a request.
type genParams struct {
	maxTokens int // 0: as many as fit
	n         int
	opts      sampling
	stop      []string
	seed      *int64
}

// Limits of the request parameters.
const (
	maxStopStrings = 4
	maxTopLogprobs = 20
)

// params checks what chat and text completions share. maxTokens is the
// request's max_tokens (or max_completion_tokens) and its parameter name.
func (s *Server) params(p *samplingParams, maxTokens *int, maxTokensName string) (genParams, *APIError) {
	g := genParams{n: 1, opts: sampling{temperature: 1, topP: 1}, seed: p.Seed}
	if p.Model == "" {
		return g, invalid("model", "", "you must provide a model parameter; this server serves %q", s.cfg.ModelName)
	}
	if p.Model != s.cfg.ModelName {
		return g, s.unknownModel(p.Model)
	}
	if maxTokens != nil {
		if *maxTokens < 1 {
			return g, invalid(maxTokensName, codeInvalidValue, "%s must be at least 1, got %d", maxTokensName, *maxTokens)
		}
		g.maxTokens = *maxTokens
	}
	if t := p.Temperature; t != nil {
		if !(*t >= 0 && *t <= 2) {
			return g, invalid("temperature", codeInvalidValue, "temperature must be between 0 and 2, got %v", *t)
		}
		g.opts.temperature = *t
	}
	if t := p.TopP; t != nil {
		if !(*t >= 0 && *t <= 1) {
			return g, invalid("top_p", codeInvalidValue, "top_p must be between 0 and 1, got %v", *t)
		}
		g.opts.topP = *t
	}
	if k := p.TopK; k != nil {
		if *k < -1 {
			return g, invalid("top_k", codeInvalidValue, "top_k must be -1 or 0 (all tokens) or positive, got %d", *k)
		}
		g.opts.topK = max(0, *k)
	}
	if n := p.N; n != nil {
		if *n < 1 || *n > s.cfg.MaxN {
			return g, invalid("n", codeInvalidValue, "n must be between 1 and %d on this server, got %d", s.cfg.MaxN, *n)
		}
		g.n = *n
	}
	if len(p.Stop) > maxStopStrings {
		return g, invalid("stop", codeInvalidValue, "at most %d stop sequences are allowed, got %d", maxStopStrings, len(p.Stop))
	}
	for _, st := range p.Stop {
		if st == "" {
			return g, invalid("stop", codeInvalidValue, "stop sequences must not be empty")
		}
	}
	g.stop = p.Stop
	if p.StreamOptions != nil && !p.Stream {
		return g, invalid("stream_options", codeInvalidValue, "stream_options is only allowed when stream is true")
	}
	for _, pen := range []struct {
		name string
		v    *float64
	}{{"presence_penalty", p.PresencePenalty}, {"frequency_penalty", p.FrequencyPenalty}} {
		if pen.v != nil && *pen.v != 0 {
			return g, invalid(pen.name, codeUnsupported, "%s is not supported by this server; leave it out or set it to 0", pen.name)
		}
	}
	if len(p.LogitBias) > 0 {
		return g, invalid("logit_bias", codeUnsupported, "logit_bias is not supported by this server")
	}
	return g, nil
}

// sequences builds the sequences of a request: n for each prompt, choice
// index i·n+k, with max_tokens cut to the room each prompt leaves.
func (s *Server) sequences(prompts [][]int32, g genParams, param string) ([]*sequence, int, *APIError) {
	maxLen := s.cfg.MaxContext
	var seqs []*sequence
	promptTokens := 0
	for i, p := range prompts {
		if len(p) == 0 {
			return nil, 0, invalid(param, codeInvalidValue, "the prompt is empty: at least one token is needed")
		}
		if len(p) >= maxLen {
			return nil, 0, invalid(param, codeContextLength,
				"this model's maximum context length is %d tokens, but the prompt has %d tokens, leaving no room for a completion; shorten the prompt",
				maxLen, len(p))
		}
		for _, id := range p {
			if id < 0 || int(id) >= s.m.Config.VocabSize {
				return nil, 0, invalid(param, codeInvalidValue, "token id %d is not in the vocabulary of %d", id, s.m.Config.VocabSize)
			}
		}
		promptTokens += len(p)
		room := maxLen - len(p)
		maxNew := room
		if g.maxTokens > 0 {
			maxNew = min(room, g.maxTokens)
		}
		for k := range g.n {
			idx := i*g.n + k
			seqs = append(seqs, &sequence{index: idx, prompt: p, maxNew: maxNew, opts: g.opts, rng: s.rngFor(g.seed, idx), stop: s.stops})
		}
	}
	return seqs, promptTokens, nil
}

// tokenOut is a generated token as the answer reports it.
type tokenOut struct {
	id      int32
	logprob float32
	top     []candidate
}

// update is what one event changed in a choice.
type update struct {
	index  int
	text   []byte     // text released by this event (may be empty)
	tokens []tokenOut // the token, unless it was a stop token
	finish string     // "stop" or "length" when the choice ended
}

// drive waits for the events of j and calls emit with each change of a
// choice, until every choice has finished. It returns the tokens generated.
// Detokenising, stop strings and the UTF-8 holdback happen here, in the
// request's goroutine.
func (s *Server) drive(ctx context.Context, j *job, stop []string, start time.Time, emit func(update) error) (int, error) {
	streams := make([]*textStream, len(j.seqs))
	done := make([]bool, len(j.seqs))
	for i := range streams {
		streams[i] = newTextStream(stop)
	}
	left, generated := len(j.seqs), 0
	var buf []byte
	for left > 0 {
		var ev event
		select {
		case <-ctx.Done():
			return generated, ctx.Err()
		case ev = <-j.events:
		}
		if ev.err != nil {
			return generated, ev.err
		}
		if done[ev.index] {
			continue // tokens decoded before the scheduler saw the abandon flag
		}
		if generated == 0 {
			s.metrics.firstToken.observe(time.Since(start).Seconds())
		}
		generated++
		ts := streams[ev.index]
		u := update{index: ev.index, finish: ev.finish}
		if ev.finish != "stop" {
			buf = s.tok.AppendDecoded(buf[:0], int(ev.token))
			u.text = ts.write(buf)
			u.tokens = []tokenOut{{id: ev.token, logprob: ev.logprob, top: ev.top}}
			if ts.stopped {
				u.finish = "stop"
				j.seqs[ev.index].abandon.Store(true)
			}
		}
		if u.finish != "" {
			u.text = append(u.text, ts.flush()...)
			done[ev.index] = true
			left--
		}
		if err := emit(u); err != nil {
			return generated, err
		}
	}
	return generated, nil
}

// submit queues the job of a request.
func (s *Server) submit(ctx context.Context, seqs []*sequence, promptTokens int) (*job, error) {
	j := newJob(ctx, seqs)
	if err := s.sched.submit(j); err != nil {
		return nil, err
	}
	s.metrics.promptTokens.Add(int64(promptTokens))
	return j, nil
}

// tokenBytes returns the exact bytes of a token as the ints OpenAI's
// "bytes" field holds, and its text.
func (s *Server) tokenBytes(id int32) (string, []int) {
	t, _ := s.tok.TokenText(int(id))
	b := make([]int, len(t))
	for i := 0; i < len(t); i++ {
		b[i] = int(t[i])
	}
	return t, b
}

// lp converts a log-probability for JSON: -Inf, which JSON cannot hold,
// becomes -9999 as OpenAI does.
func lp(x float32) float64 {
	if math.IsInf(float64(x), -1) || x < -9999 {
		return -9999
	}
	return float64(x)
}

// sseWriter writes Server-Sent Events and flushes each.
type sseWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func newSSE(w http.ResponseWriter) *sseWriter {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return &sseWriter{w: w, rc: http.NewResponseController(w)}
}

// event writes one "data: <json>" event.
func (e *sseWriter) event(v any) error {
	b, err := jsonMarshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(e.w, "data: %s\n", b); err != nil { // b ends with a newline
		return err
	}
	return e.rc.Flush()
}

// done ends the stream with "data: [DONE]".
func (e *sseWriter) done() error {
	if _, err := fmt.Fprint(e.w, "data: [DONE]\n\n"); err != nil {
		return err
	}
	return e.rc.Flush()
}

// fail reports an error inside a stream that has begun.
func (e *sseWriter) fail(err error) {
	ae, ok := err.(*APIError)
	if !ok {
		ae = &APIError{Message: err.Error(), Type: typeServer}
	}
	e.event(ErrorBody{Error: *ae})
	e.done()
}
