package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// This file holds the request and response bodies, in OpenAI's shapes.

// ChatMessage is one message of a chat request or answer. In requests its
// content may also be an array of parts, of which only {"type": "text"}
// parts are understood.
type ChatMessage struct {
	Role    string  `json:"role"`
	Content Content `json:"content"`
}

// Content is message content: a string, or in requests an array of text
// parts that are joined.
type Content string

// UnmarshalJSON accepts a string, null, or an array of {"type": "text",
// "text": ...} parts.
func (c *Content) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*c = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = Content(s)
		return nil
	case len(b) > 0 && b[0] == '[':
		var parts []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(b, &parts); err != nil {
			return err
		}
		var sb strings.Builder
		for _, p := range parts {
			if p.Type != "text" {
				return fmt.Errorf("content parts of type %q are not supported, only \"text\"", p.Type)
			}
			sb.WriteString(p.Text)
		}
		*c = Content(sb.String())
		return nil
	}
	return errors.New("content must be a string or an array of text parts")
}

// StringList is a string or an array of strings, as "stop" may be.
type StringList []string

// UnmarshalJSON accepts null, a string or an array of strings.
func (l *StringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*l = nil
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = StringList{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return errors.New("must be a string or an array of strings")
	}
	*l = ss
	return nil
}

// samplingParams are the parameters chat and text completions share.
type samplingParams struct {
	Model         string     `json:"model"`
	MaxTokens     *int       `json:"max_tokens"`
	Temperature   *float64   `json:"temperature"`
	TopP          *float64   `json:"top_p"`
	TopK          *int       `json:"top_k"` // extension (vLLM, llama.cpp)
	N             *int       `json:"n"`
	Stop          StringList `json:"stop"`
	Seed          *int64     `json:"seed"`
	Stream        bool       `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	PresencePenalty  *float64       `json:"presence_penalty"`
	FrequencyPenalty *float64       `json:"frequency_penalty"`
	LogitBias        map[string]any `json:"logit_bias"`
	User             string         `json:"user"`
}

// ChatRequest is the body of POST /v1/chat/completions.
type ChatRequest struct {
	samplingParams
	Messages            []ChatMessage   `json:"messages"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Logprobs            bool            `json:"logprobs"`
	TopLogprobs         *int            `json:"top_logprobs"`
	Tools               json.RawMessage `json:"tools"`
	Functions           json.RawMessage `json:"functions"`
	ResponseFormat      *struct {
		Type string `json:"type"`
	} `json:"response_format"`
}

// Prompt is the prompt of a text completion: a string, an array of
// strings, an array of token ids or an array of such arrays. Each string or
// id array is one prompt.
type Prompt struct {
	Texts [][]int32 // token ids, one entry per prompt (strings are encoded later)
	Strs  []string  // the prompts given as text; nil when given as ids
}

// UnmarshalJSON accepts the four shapes OpenAI does.
func (p *Prompt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		p.Strs = []string{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err == nil {
		p.Strs = ss
		return nil
	}
	var ids []int32
	if err := json.Unmarshal(b, &ids); err == nil {
		p.Texts = [][]int32{ids}
		return nil
	}
	var idss [][]int32
	if err := json.Unmarshal(b, &idss); err == nil {
		p.Texts = idss
		return nil
	}
	return errors.New("must be a string, an array of strings, an array of token ids or an array of such arrays")
}

// CompletionRequest is the body of POST /v1/completions.
type CompletionRequest struct {
	samplingParams
	Prompt   *Prompt `json:"prompt"`
	Logprobs *int    `json:"logprobs"`
	Echo     bool    `json:"echo"`
	Suffix   string  `json:"suffix"`
	BestOf   *int    `json:"best_of"`
}

// Usage counts the tokens of a request: the prompt once, and every token
// generated for any choice, stop tokens included.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// TopLogprob is one of the most likely tokens at a position.
type TopLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	Bytes   []int   `json:"bytes"`
}

// TokenLogprob is the log-probability of one generated token with the most
// likely tokens at its position. Bytes are the token's exact UTF-8 bytes;
// Token is the same text, with a partial character shown as U+FFFD.
type TokenLogprob struct {
	Token       string       `json:"token"`
	Logprob     float64      `json:"logprob"`
	Bytes       []int        `json:"bytes"`
	TopLogprobs []TopLogprob `json:"top_logprobs"`
}

// ChatLogprobs is the logprobs object of a chat choice.
type ChatLogprobs struct {
	Content []TokenLogprob `json:"content"`
	Refusal []TokenLogprob `json:"refusal"`
}

// AnswerMessage is the assistant message of a chat choice.
type AnswerMessage struct {
	Role    string  `json:"role"`
	Content string  `json:"content"`
	Refusal *string `json:"refusal"`
}

// ChatChoice is one answer of a chat completion.
type ChatChoice struct {
	Index        int           `json:"index"`
	Message      AnswerMessage `json:"message"`
	Logprobs     *ChatLogprobs `json:"logprobs"`
	FinishReason string        `json:"finish_reason"`
}

// ChatCompletion is the answer of POST /v1/chat/completions.
type ChatCompletion struct {
	ID                string       `json:"id"`
	Object            string       `json:"object"` // "chat.completion"
	Created           int64        `json:"created"`
	Model             string       `json:"model"`
	SystemFingerprint string       `json:"system_fingerprint"`
	Choices           []ChatChoice `json:"choices"`
	Usage             Usage        `json:"usage"`
}

// Delta is the part of a message one stream chunk adds.
type Delta struct {
	Role    string  `json:"role,omitempty"`
	Content *string `json:"content,omitempty"`
}

// ChunkChoice is one choice of a stream chunk.
type ChunkChoice struct {
	Index        int           `json:"index"`
	Delta        Delta         `json:"delta"`
	Logprobs     *ChatLogprobs `json:"logprobs"`
	FinishReason *string       `json:"finish_reason"`
}

// ChatCompletionChunk is one Server-Sent Event of a streamed chat
// completion. The last one, with stream_options.include_usage, has no
// choices and the usage.
type ChatCompletionChunk struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"` // "chat.completion.chunk"
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	SystemFingerprint string        `json:"system_fingerprint"`
	Choices           []ChunkChoice `json:"choices"`
	Usage             *Usage        `json:"usage,omitempty"`
}

// CompletionLogprobs is the legacy logprobs object of a text completion.
type CompletionLogprobs struct {
	Tokens        []string             `json:"tokens"`
	TokenLogprobs []float64            `json:"token_logprobs"`
	TopLogprobs   []map[string]float64 `json:"top_logprobs"`
	TextOffset    []int                `json:"text_offset"`
}

// CompletionChoice is one continuation of a text completion.
type CompletionChoice struct {
	Text         string              `json:"text"`
	Index        int                 `json:"index"`
	Logprobs     *CompletionLogprobs `json:"logprobs"`
	FinishReason *string             `json:"finish_reason"`
}

// Completion is the answer of POST /v1/completions, and each event of its
// stream.
type Completion struct {
	ID                string             `json:"id"`
	Object            string             `json:"object"` // "text_completion"
	Created           int64              `json:"created"`
	Model             string             `json:"model"`
	SystemFingerprint string             `json:"system_fingerprint"`
	Choices           []CompletionChoice `json:"choices"`
	Usage             *Usage             `json:"usage,omitempty"`
}

// ModelInfo describes the served model in /v1/models.
type ModelInfo struct {
	ID      string `json:"id"`
	Object  string `json:"object"` // "model"
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
	// MaxModelLen is the context length (an extension, as vLLM has).
	MaxModelLen int `json:"max_model_len"`
}

// ModelList is the answer of GET /v1/models.
type ModelList struct {
	Object string      `json:"object"` // "list"
	Data   []ModelInfo `json:"data"`
}

// ErrorBody is the body of every error answer.
type ErrorBody struct {
	Error APIError `json:"error"`
}
