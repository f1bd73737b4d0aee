package serve_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/align-project/align/model"
	"github.com/align-project/align/serve"
	"github.com/align-project/align/tokenizer"
)

// corpus trains the test tokenizer; the accents and CJK make tokens that
// hold parts of UTF-8 characters.
var corpus = []string{
	"The quick brown fox jumps over the lazy dog. The dog sleeps.",
	"A helpful assistant answers questions clearly and politely.",
	"Café, naïve, über, déjà vu: 日本語のテキスト、中文文本。",
	"User: what is the capital of France? Assistant: Paris is the capital.",
	"Numbers 12345 and symbols !?;: appear in text too.",
}

// tiny builds a random model of the given shape with a trained tokenizer.
func tiny(t testing.TB, ctx, layers, channels int) (*model.Model, *tokenizer.Tokenizer) {
	t.Helper()
	tok, err := tokenizer.Train(tokenizer.TrainConfig{VocabSize: 330}, corpus...)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{VocabSize: tok.VocabSize(), Context: ctx, Layers: layers, Heads: 2, Channels: channels}, 7)
	if err != nil {
		t.Fatal(err)
	}
	return m, tok
}

// start serves a tiny model over real HTTP on 127.0.0.1.
func start(t testing.TB, cfg serve.Config) (*serve.Server, *httptest.Server, *model.Model, *tokenizer.Tokenizer) {
	t.Helper()
	m, tok := tiny(t, 128, 2, 32)
	return startWith(t, m, tok, cfg)
}

func startWith(t testing.TB, m *model.Model, tok *tokenizer.Tokenizer, cfg serve.Config) (*serve.Server, *httptest.Server, *model.Model, *tokenizer.Tokenizer) {
	t.Helper()
	if cfg.ModelName == "" {
		cfg.ModelName = "tiny"
	}
	s, err := serve.New(m, tok, cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { hs.Close(); s.Close() })
	return s, hs, m, tok
}

// post sends a JSON body and returns the status and the body.
func post(t testing.TB, url string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	resp, err := http.Post(url, "application/json", rd)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// chatResponse is what an OpenAI client reads from a chat completion.
type chatResponse struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index   int `json:"index"`
		Message struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"message"`
		Logprobs *struct {
			Content []logprobEntry `json:"content"`
		} `json:"logprobs"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
}

type logprobEntry struct {
	Token       string  `json:"token"`
	Logprob     float64 `json:"logprob"`
	Bytes       []int   `json:"bytes"`
	TopLogprobs []struct {
		Token   string  `json:"token"`
		Logprob float64 `json:"logprob"`
		Bytes   []int   `json:"bytes"`
	} `json:"top_logprobs"`
}

// chatChunk is one streamed chunk as a client reads it.
type chatChunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Role    string  `json:"role"`
			Content *string `json:"content"`
		} `json:"delta"`
		Logprobs *struct {
			Content []logprobEntry `json:"content"`
		} `json:"logprobs"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
}

type errorResponse struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

// chat posts a chat completion and decodes a 200 answer.
func chat(t testing.TB, base string, req map[string]any) chatResponse {
	t.Helper()
	code, body := post(t, base+"/v1/chat/completions", req)
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	var r chatResponse
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return r
}

// sse reads a Server-Sent Events stream the way OpenAI's clients do: "data:"
// lines, until "data: [DONE]". It returns the events' JSON and whether
// [DONE] came.
func sse(t testing.TB, resp *http.Response) (events [][]byte, done bool) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("content type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, ":") {
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("not an SSE data line: %q", line)
		}
		if data == "[DONE]" {
			done = true
			continue
		}
		if done {
			t.Fatalf("event after [DONE]: %s", data)
		}
		events = append(events, []byte(data))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return events, done
}

// streamChat posts a streaming chat completion and reassembles it: the
// content and finish reason per choice, and the usage chunk if any.
func streamChat(t testing.TB, base string, req map[string]any) (content []string, finish []string, chunks []chatChunk) {
	t.Helper()
	req["stream"] = true
	js, _ := json.Marshal(req)
	resp, err := http.Post(base+"/v1/chat/completions", "application/json", bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	events, done := sse(t, resp)
	if !done {
		t.Fatal("the stream did not end with data: [DONE]")
	}
	for _, ev := range events {
		var c chatChunk
		if err := json.Unmarshal(ev, &c); err != nil {
			t.Fatalf("%v: %s", err, ev)
		}
		if c.Object != "chat.completion.chunk" {
			t.Fatalf("chunk object %q: %s", c.Object, ev)
		}
		chunks = append(chunks, c)
		for _, ch := range c.Choices {
			for len(content) <= ch.Index {
				content, finish = append(content, ""), append(finish, "")
			}
			if finish[ch.Index] != "" {
				t.Fatalf("chunk for choice %d after its finish_reason: %s", ch.Index, ev)
			}
			if ch.Delta.Content != nil {
				content[ch.Index] += *ch.Delta.Content
			}
			if ch.FinishReason != nil {
				finish[ch.Index] = *ch.FinishReason
			}
		}
	}
	return content, finish, chunks
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
