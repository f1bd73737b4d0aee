package serve

import (
	"net/http"
	"strings"
	"time"
)

// maxCompletionLogprobs bounds the logprobs of a text completion (OpenAI
// allows 5; align allows as many as top_logprobs).
const maxCompletionLogprobs = maxTopLogprobs

// defaultCompletionTokens is max_tokens of a text completion that gives
// none, as in OpenAI's API (chat completions default to the room left).
const defaultCompletionTokens = 16

func ptr[T any](v T) *T { return &v }

// handleCompletions answers POST /v1/completions: one choice per prompt and
// n, choice index prompt·n + k.
func (s *Server) handleCompletions(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var req CompletionRequest
	if err := s.decodeBody(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	if req.MaxTokens == nil {
		req.MaxTokens = ptr(defaultCompletionTokens)
	}
	g, aerr := s.params(&req.samplingParams, req.MaxTokens, "max_tokens")
	if aerr == nil {
		aerr = s.completionParams(&req, &g)
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	prompts := req.Prompt.Texts
	promptLen := make([]int, 0, len(prompts)) // text offsets of the completions
	if req.Prompt.Strs != nil {
		prompts = make([][]int32, len(req.Prompt.Strs))
		for i, str := range req.Prompt.Strs {
			ids := s.tok.Encode(str)
			prompts[i] = make([]int32, len(ids))
			for k, id := range ids {
				prompts[i][k] = int32(id)
			}
			promptLen = append(promptLen, len(str))
		}
	}
	seqs, promptTokens, aerr := s.sequences(prompts, g, "prompt")
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	j, err := s.submit(r.Context(), seqs, promptTokens)
	if err != nil {
		writeError(w, err)
		return
	}
	base := Completion{ID: newID("cmpl-"), Object: "text_completion", Created: time.Now().Unix(), Model: s.cfg.ModelName, SystemFingerprint: s.fp}
	offset := func(i int) int {
		if p := i / g.n; p < len(promptLen) {
			return promptLen[p]
		}
		return 0
	}
	newLogprobs := func() *CompletionLogprobs {
		if !g.opts.logprobs {
			return nil
		}
		return &CompletionLogprobs{Tokens: []string{}, TokenLogprobs: []float64{}, TopLogprobs: []map[string]float64{}, TextOffset: []int{}}
	}
	// addTokens appends the logprobs of tokens to l; at is the text offset
	// of the first.
	addTokens := func(l *CompletionLogprobs, tokens []tokenOut, at int) {
		for _, t := range tokens {
			text, _ := s.tokenBytes(t.id)
			l.Tokens = append(l.Tokens, text)
			l.TokenLogprobs = append(l.TokenLogprobs, lp(t.logprob))
			top := make(map[string]float64, len(t.top))
			for _, c := range t.top {
				ct, _ := s.tokenBytes(c.id)
				if _, ok := top[ct]; !ok {
					top[ct] = lp(c.logprob)
				}
			}
			l.TopLogprobs = append(l.TopLogprobs, top)
			l.TextOffset = append(l.TextOffset, at)
			at += len(text)
		}
	}
	if req.Stream {
		s.streamCompletion(w, r, j, g, base, promptTokens, req.StreamOptions != nil && req.StreamOptions.IncludeUsage, start,
			newLogprobs, addTokens, offset)
		return
	}
	choices := make([]CompletionChoice, len(seqs))
	texts := make([]strings.Builder, len(seqs))
	tokenText := make([]int, len(seqs)) // bytes of the tokens so far, for text offsets
	for i := range choices {
		choices[i] = CompletionChoice{Index: i, Logprobs: newLogprobs()}
	}
	generated, err := s.drive(r.Context(), j, g.stop, start, func(u update) error {
		c := &choices[u.index]
		texts[u.index].Write(u.text)
		if c.Logprobs != nil {
			addTokens(c.Logprobs, u.tokens, offset(u.index)+tokenText[u.index])
		}
		for _, t := range u.tokens {
			text, _ := s.tokenBytes(t.id)
			tokenText[u.index] += len(text)
		}
		if u.finish != "" {
			f := u.finish
			c.FinishReason = &f
		}
		return nil
	})
	if err != nil {
		if r.Context().Err() == nil {
			writeError(w, err)
		}
		return
	}
	for i := range choices {
		choices[i].Text = texts[i].String()
	}
	base.Choices = choices
	base.Usage = &Usage{PromptTokens: promptTokens, CompletionTokens: generated, TotalTokens: promptTokens + generated}
	writeJSON(w, http.StatusOK, base)
}

// completionParams checks what only text completions have.
func (s *Server) completionParams(req *CompletionRequest, g *genParams) *APIError {
	p := req.Prompt
	if p == nil || len(p.Texts) == 0 && len(p.Strs) == 0 {
		return invalid("prompt", codeInvalidValue, "prompt must be a non-empty string, array of strings or array of token ids")
	}
	if np := len(p.Texts) + len(p.Strs); np*g.n > s.cfg.MaxBatch {
		return invalid("prompt", codeInvalidValue, "%d prompts × n=%d choices exceed the %d sequences this server decodes at once", np, g.n, s.cfg.MaxBatch)
	}
	if req.Echo {
		return invalid("echo", codeUnsupported, "echo is not supported by this server")
	}
	if req.Suffix != "" {
		return invalid("suffix", codeUnsupported, "suffix is not supported by this server")
	}
	if req.BestOf != nil && *req.BestOf != g.n && *req.BestOf != 1 {
		return invalid("best_of", codeUnsupported, "best_of other than n is not supported by this server")
	}
	if req.Logprobs != nil {
		if *req.Logprobs < 0 || *req.Logprobs > maxCompletionLogprobs {
			return invalid("logprobs", codeInvalidValue, "logprobs must be between 0 and %d, got %d", maxCompletionLogprobs, *req.Logprobs)
		}
		g.opts.logprobs, g.opts.topN = true, *req.Logprobs
	}
	return nil
}

// streamCompletion sends a text completion as text_completion events, one
// per released piece of text, the finish_reason with the last piece of each
// choice, the usage when asked for, and [DONE].
func (s *Server) streamCompletion(w http.ResponseWriter, r *http.Request, j *job, g genParams, base Completion,
	promptTokens int, includeUsage bool, start time.Time,
	newLogprobs func() *CompletionLogprobs, addTokens func(*CompletionLogprobs, []tokenOut, int), offset func(int) int) {
	sse := newSSE(w)
	tokenText := make([]int, len(j.seqs))
	generated, err := s.drive(r.Context(), j, g.stop, start, func(u update) error {
		c := CompletionChoice{Index: u.index, Text: string(u.text), Logprobs: newLogprobs()}
		if c.Logprobs != nil {
			addTokens(c.Logprobs, u.tokens, offset(u.index)+tokenText[u.index])
		}
		for _, t := range u.tokens {
			text, _ := s.tokenBytes(t.id)
			tokenText[u.index] += len(text)
		}
		if u.finish != "" {
			f := u.finish
			c.FinishReason = &f
		}
		if c.Text == "" && u.finish == "" && (c.Logprobs == nil || len(u.tokens) == 0) {
			return nil
		}
		ev := base
		ev.Choices = []CompletionChoice{c}
		return sse.event(ev)
	})
	if err != nil {
		if r.Context().Err() == nil {
			sse.fail(err)
		}
		return
	}
	if includeUsage {
		ev := base
		ev.Choices = []CompletionChoice{}
		ev.Usage = &Usage{PromptTokens: promptTokens, CompletionTokens: generated, TotalTokens: promptTokens + generated}
		if sse.event(ev) != nil {
			return
		}
	}
	sse.done()
}
