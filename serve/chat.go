package serve

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/align-project/align/tokenizer"
)

// handleChat answers POST /v1/chat/completions.
func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var req ChatRequest
	if err := s.decodeBody(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	maxTok, name := req.MaxTokens, "max_tokens"
	if req.MaxCompletionTokens != nil {
		maxTok, name = req.MaxCompletionTokens, "max_completion_tokens"
	}
	g, aerr := s.params(&req.samplingParams, maxTok, name)
	if aerr == nil {
		aerr = s.chatParams(&req, &g)
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	msgs := make([]tokenizer.Message, len(req.Messages))
	for i, m := range req.Messages {
		msgs[i] = tokenizer.Message{Role: m.Role, Content: string(m.Content)}
	}
	ids, _, err := s.tok.RenderChat(msgs, true)
	if err != nil {
		writeError(w, invalid("messages", codeInvalidValue, "cannot render the conversation: %v", err))
		return
	}
	prompt := tokenizer.Int32s(ids)
	seqs, promptTokens, aerr := s.sequences([][]int32{prompt}, g, "messages")
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	j, err := s.submit(r.Context(), seqs, promptTokens)
	if err != nil {
		writeError(w, err)
		return
	}
	base := ChatCompletion{ID: newID("chatcmpl-"), Created: time.Now().Unix(), Model: s.cfg.ModelName, SystemFingerprint: s.fp}
	if req.Stream {
		s.streamChat(w, r, j, g, base, promptTokens, req.StreamOptions != nil && req.StreamOptions.IncludeUsage, start)
		return
	}
	choices := make([]ChatChoice, len(seqs))
	texts := make([]strings.Builder, len(seqs))
	for i := range choices {
		choices[i] = ChatChoice{Index: i, Message: AnswerMessage{Role: "assistant"}}
		if g.opts.logprobs {
			choices[i].Logprobs = &ChatLogprobs{Content: []TokenLogprob{}, Refusal: nil}
		}
	}
	generated, err := s.drive(r.Context(), j, g.stop, start, func(u update) error {
		c := &choices[u.index]
		texts[u.index].Write(u.text)
		if c.Logprobs != nil {
			for _, t := range u.tokens {
				c.Logprobs.Content = append(c.Logprobs.Content, s.tokenLogprob(t))
			}
		}
		c.FinishReason = u.finish
		return nil
	})
	if err != nil {
		if r.Context().Err() == nil {
			writeError(w, err)
		}
		return
	}
	for i := range choices {
		choices[i].Message.Content = texts[i].String()
	}
	base.Object = "chat.completion"
	base.Choices = choices
	base.Usage = Usage{PromptTokens: promptTokens, CompletionTokens: generated, TotalTokens: promptTokens + generated}
	writeJSON(w, http.StatusOK, base)
}

// chatParams checks what only chat requests have.
func (s *Server) chatParams(req *ChatRequest, g *genParams) *APIError {
	if len(req.Messages) == 0 {
		return invalid("messages", codeInvalidValue, "messages must hold at least one message")
	}
	for i, m := range req.Messages {
		switch m.Role {
		case "system", "user", "assistant":
		case "developer":
			req.Messages[i].Role = "system"
		default:
			return invalid(fmt.Sprintf("messages[%d].role", i), codeInvalidValue,
				"role %q is not supported: use system, developer, user or assistant", m.Role)
		}
	}
	if len(req.Tools) > 0 && string(req.Tools) != "null" || len(req.Functions) > 0 && string(req.Functions) != "null" {
		return invalid("tools", codeUnsupported, "tools and function calling are not supported by this server")
	}
	if rf := req.ResponseFormat; rf != nil && rf.Type != "" && rf.Type != "text" {
		return invalid("response_format", codeUnsupported, "response_format %q is not supported; only \"text\"", rf.Type)
	}
	if req.TopLogprobs != nil {
		k := *req.TopLogprobs
		switch {
		case k < 0 || k > maxTopLogprobs:
			return invalid("top_logprobs", codeInvalidValue, "top_logprobs must be between 0 and %d, got %d", maxTopLogprobs, k)
		case !req.Logprobs && k > 0:
			return invalid("top_logprobs", codeInvalidValue, "top_logprobs needs logprobs set to true")
		}
		g.opts.topN = k
	}
	g.opts.logprobs = req.Logprobs
	return nil
}

// tokenLogprob is the chat logprobs entry of a token.
func (s *Server) tokenLogprob(t tokenOut) TokenLogprob {
	text, b := s.tokenBytes(t.id)
	out := TokenLogprob{Token: text, Logprob: lp(t.logprob), Bytes: b, TopLogprobs: make([]TopLogprob, len(t.top))}
	for i, c := range t.top {
		ct, cb := s.tokenBytes(c.id)
		out.TopLogprobs[i] = TopLogprob{Token: ct, Logprob: lp(c.logprob), Bytes: cb}
	}
	return out
}

// streamChat sends a chat completion as chat.completion.chunk events: a
// first chunk with the role for every choice, content deltas as text is
// released, a last chunk per choice with its finish_reason, the usage when
// asked for, and [DONE].
func (s *Server) streamChat(w http.ResponseWriter, r *http.Request, j *job, g genParams, base ChatCompletion,
	promptTokens int, includeUsage bool, start time.Time) {
	sse := newSSE(w)
	chunk := func(choices ...ChunkChoice) ChatCompletionChunk {
		return ChatCompletionChunk{ID: base.ID, Object: "chat.completion.chunk", Created: base.Created, Model: base.Model,
			SystemFingerprint: base.SystemFingerprint, Choices: choices}
	}
	for i := range j.seqs {
		empty := ""
		if err := sse.event(chunk(ChunkChoice{Index: i, Delta: Delta{Role: "assistant", Content: &empty}})); err != nil {
			return
		}
	}
	generated, err := s.drive(r.Context(), j, g.stop, start, func(u update) error {
		c := ChunkChoice{Index: u.index}
		if len(u.text) > 0 {
			text := string(u.text)
			c.Delta.Content = &text
		}
		if g.opts.logprobs && len(u.tokens) > 0 {
			c.Logprobs = &ChatLogprobs{}
			for _, t := range u.tokens {
				c.Logprobs.Content = append(c.Logprobs.Content, s.tokenLogprob(t))
			}
		}
		if c.Delta.Content != nil || c.Logprobs != nil {
			if err := sse.event(chunk(c)); err != nil {
				return err
			}
		}
		if u.finish != "" {
			f := u.finish
			return sse.event(chunk(ChunkChoice{Index: u.index, FinishReason: &f}))
		}
		return nil
	})
	if err != nil {
		if r.Context().Err() == nil {
			sse.fail(err)
		}
		return
	}
	if includeUsage {
		u := Usage{PromptTokens: promptTokens, CompletionTokens: generated, TotalTokens: promptTokens + generated}
		c := chunk()
		c.Choices = []ChunkChoice{}
		c.Usage = &u
		if sse.event(c) != nil {
			return
		}
	}
	sse.done()
}
