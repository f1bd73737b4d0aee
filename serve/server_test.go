package serve_test

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/align-project/align/model"
	"github.com/align-project/align/serve"
	"github.com/align-project/align/tokenizer"
)

var hello = []map[string]any{
	{"role": "system", "content": "You are helpful."},
	{"role": "user", "content": "What is the capital of France?"},
}

// greedy is what model.Generate answers at temperature 0: the reply tokens
// without a final stop token, and whether it stopped.
func greedy(t *testing.T, m *model.Model, tok *tokenizer.Tokenizer, msgs []tokenizer.Message, maxNew int) ([]int32, []int32, bool) {
	t.Helper()
	ids, _, err := tok.RenderChat(msgs, true)
	must(t, err)
	prompt := make([]int32, len(ids))
	for i, id := range ids {
		prompt[i] = int32(id)
	}
	cf, err := tok.ChatFormat()
	must(t, err)
	var stop []int32
	for _, id := range cf.Stop {
		stop = append(stop, int32(id))
	}
	out, err := m.Generate([][]int32{prompt}, model.SampleOptions{MaxNewTokens: maxNew, StopTokens: stop}, nil)
	must(t, err)
	toks := out[0].Tokens
	if out[0].Stopped {
		toks = toks[:len(toks)-1]
	}
	return prompt, toks, out[0].Stopped
}

func decode(t *testing.T, tok *tokenizer.Tokenizer, ids []int32) string {
	in := make([]int, len(ids))
	for i, id := range ids {
		in[i] = int(id)
	}
	s, err := tok.Decode(in)
	must(t, err)
	return s
}

// TestChatClientFlow runs a chat completion the way an OpenAI client does,
// plain and streamed, and checks both against model.Generate.
func TestChatClientFlow(t *testing.T) {
	_, hs, m, tok := start(t, serve.Config{})
	req := map[string]any{"model": "tiny", "messages": hello, "max_tokens": 40, "temperature": 0}
	r := chat(t, hs.URL, req)
	if r.Object != "chat.completion" || !strings.HasPrefix(r.ID, "chatcmpl-") || r.Model != "tiny" || r.Created == 0 {
		t.Fatalf("envelope %+v", r)
	}
	if len(r.Choices) != 1 || r.Choices[0].Message.Role != "assistant" {
		t.Fatalf("choices %+v", r.Choices)
	}
	c := r.Choices[0]
	msgs := []tokenizer.Message{{Role: "system", Content: "You are helpful."}, {Role: "user", Content: "What is the capital of France?"}}
	prompt, want, stopped := greedy(t, m, tok, msgs, 40)
	if c.Message.Content != decode(t, tok, want) {
		t.Fatalf("content %q, model.Generate gives %q", c.Message.Content, decode(t, tok, want))
	}
	wantFinish := "length"
	if stopped {
		wantFinish = "stop"
	}
	if c.FinishReason != wantFinish {
		t.Fatalf("finish_reason %q, want %q", c.FinishReason, wantFinish)
	}
	n := len(want)
	if stopped {
		n++
	}
	if u := r.Usage; u.PromptTokens != len(prompt) || u.CompletionTokens != n || u.TotalTokens != len(prompt)+n {
		t.Fatalf("usage %+v, want %d prompt and %d completion tokens", u, len(prompt), n)
	}

	content, finish, chunks := streamChat(t, hs.URL, req)
	if len(content) != 1 || content[0] != c.Message.Content || finish[0] != c.FinishReason {
		t.Fatalf("stream %q / %q, plain %q / %q", content, finish, c.Message.Content, c.FinishReason)
	}
	if chunks[0].Choices[0].Delta.Role != "assistant" {
		t.Fatalf("first chunk has no role: %+v", chunks[0])
	}
	for _, ch := range chunks {
		if ch.ID != chunks[0].ID || ch.Model != "tiny" {
			t.Fatalf("chunk ids/models differ: %+v", ch)
		}
	}
}

// TestStreamUsageAndN streams n=3 sampled choices with usage and checks each
// reassembled choice.
func TestStreamUsageAndN(t *testing.T) {
	_, hs, _, _ := start(t, serve.Config{})
	req := map[string]any{"model": "tiny", "messages": hello, "max_tokens": 20, "n": 3, "seed": 5,
		"stream_options": map[string]any{"include_usage": true}}
	content, finish, chunks := streamChat(t, hs.URL, req)
	if len(content) != 3 {
		t.Fatalf("%d choices", len(content))
	}
	for i, f := range finish {
		if f != "stop" && f != "length" {
			t.Fatalf("choice %d finish %q", i, f)
		}
	}
	last := chunks[len(chunks)-1]
	if last.Usage == nil || len(last.Choices) != 0 || last.Usage.CompletionTokens < 3 || last.Usage.CompletionTokens > 60 {
		t.Fatalf("usage chunk %+v", last)
	}
	// The same request without streaming gives the same choices (seeded).
	delete(req, "stream_options")
	req["stream"] = false
	r := chat(t, hs.URL, req)
	for i := range 3 {
		if r.Choices[i].Message.Content != content[i] {
			t.Fatalf("choice %d: plain %q, streamed %q", i, r.Choices[i].Message.Content, content[i])
		}
	}
}

func TestSeedDeterminism(t *testing.T) {
	_, hs, _, _ := start(t, serve.Config{})
	req := map[string]any{"model": "tiny", "messages": hello, "max_tokens": 30, "temperature": 1.2, "top_p": 0.95, "top_k": 50, "seed": 42}
	a := chat(t, hs.URL, req).Choices[0].Message.Content
	b := chat(t, hs.URL, req).Choices[0].Message.Content
	if a != b {
		t.Fatalf("same seed, different answers: %q and %q", a, b)
	}
	req["seed"] = 43
	different := false
	for s := 43; s < 48 && !different; s++ {
		req["seed"] = s
		different = chat(t, hs.URL, req).Choices[0].Message.Content != a
	}
	if !different {
		t.Fatal("five other seeds all gave the same answer")
	}
}

// TestLogprobs checks the shape of chat logprobs and that they are
// model.LogProbs at temperature 1, whatever temperature samples.
func TestLogprobs(t *testing.T) {
	_, hs, m, tok := start(t, serve.Config{})
	req := map[string]any{"model": "tiny", "messages": hello, "max_tokens": 16, "temperature": 0.7, "seed": 3,
		"logprobs": true, "top_logprobs": 5}
	r := chat(t, hs.URL, req)
	c := r.Choices[0]
	if c.Logprobs == nil {
		t.Fatal("no logprobs")
	}
	entries := c.Logprobs.Content
	var text []byte
	ids := make([]int32, 0, len(entries))
	for i, e := range entries {
		if len(e.TopLogprobs) != 5 {
			t.Fatalf("entry %d has %d top logprobs", i, len(e.TopLogprobs))
		}
		for k := 1; k < 5; k++ {
			if e.TopLogprobs[k].Logprob > e.TopLogprobs[k-1].Logprob {
				t.Fatalf("entry %d: top logprobs not sorted", i)
			}
		}
		if e.Logprob > e.TopLogprobs[0].Logprob+1e-6 || e.Logprob > 0 {
			t.Fatalf("entry %d: logprob %v above the best %v", i, e.Logprob, e.TopLogprobs[0].Logprob)
		}
		b := make([]byte, len(e.Bytes))
		for k, x := range e.Bytes {
			b[k] = byte(x)
		}
		text = append(text, b...)
		id, ok := tok.TokenID(string(b))
		if !ok {
			t.Fatalf("entry %d: bytes %q name no token", i, b)
		}
		ids = append(ids, int32(id))
	}
	var asJSON string // what JSON makes of the bytes: U+FFFD for each invalid one
	js, _ := json.Marshal(string(text))
	must(t, json.Unmarshal(js, &asJSON))
	if asJSON != c.Message.Content {
		t.Fatalf("the logprob bytes spell %q, the content is %q", text, c.Message.Content)
	}
	msgs := []tokenizer.Message{{Role: "system", Content: "You are helpful."}, {Role: "user", Content: "What is the capital of France?"}}
	rendered, _, err := tok.RenderChat(msgs, true)
	must(t, err)
	seq := make([]int32, 0, len(rendered)+len(ids))
	for _, id := range rendered {
		seq = append(seq, int32(id))
	}
	seq = append(seq, ids...)
	lps, _, err := m.LogProbs([][]int32{seq}, []int{len(rendered)}, 1)
	must(t, err)
	for i, e := range entries {
		if d := math.Abs(float64(lps[0][i]) - e.Logprob); d > 1e-4 {
			t.Fatalf("token %d: served logprob %v, model.LogProbs %v", i, e.Logprob, lps[0][i])
		}
	}
	// Streamed chunks carry the same entries.
	req["stream"] = true
	js, _ = json.Marshal(req)
	resp, err := http.Post(hs.URL+"/v1/chat/completions", "application/json", bytes.NewReader(js))
	must(t, err)
	defer resp.Body.Close()
	events, _ := sse(t, resp)
	var streamed []logprobEntry
	for _, ev := range events {
		var ch chatChunk
		must(t, json.Unmarshal(ev, &ch))
		for _, c := range ch.Choices {
			if c.Logprobs != nil {
				streamed = append(streamed, c.Logprobs.Content...)
			}
		}
	}
	if len(streamed) != len(entries) {
		t.Fatalf("streamed %d logprob entries, plain %d", len(streamed), len(entries))
	}
	for i := range streamed {
		if streamed[i].Token != entries[i].Token || streamed[i].Logprob != entries[i].Logprob {
			t.Fatalf("entry %d: streamed %+v, plain %+v", i, streamed[i], entries[i])
		}
	}
}

func TestStopStrings(t *testing.T) {
	_, hs, _, _ := start(t, serve.Config{})
	req := map[string]any{"model": "tiny", "messages": hello, "max_tokens": 60, "temperature": 0}
	full := chat(t, hs.URL, req).Choices[0].Message.Content
	if len(full) < 6 {
		t.Skipf("the greedy answer %q is too short to cut", full)
	}
	stop := full[3:5]
	want := full[:strings.Index(full, stop)]
	req["stop"] = []string{"never-there", stop}
	r := chat(t, hs.URL, req)
	if r.Choices[0].Message.Content != want || r.Choices[0].FinishReason != "stop" {
		t.Fatalf("with stop %q: %q (%s), want %q", stop, r.Choices[0].Message.Content, r.Choices[0].FinishReason, want)
	}
	req["stop"] = stop // a plain string works too
	content, finish, _ := streamChat(t, hs.URL, req)
	if content[0] != want || finish[0] != "stop" {
		t.Fatalf("streamed with stop %q: %q (%s), want %q", stop, content[0], finish[0], want)
	}
}

func TestCompletions(t *testing.T) {
	_, hs, m, tok := start(t, serve.Config{})
	req := map[string]any{"model": "tiny", "prompt": []string{"The quick brown", "Café"}, "max_tokens": 12, "temperature": 0, "logprobs": 2}
	code, body := post(t, hs.URL+"/v1/completions", req)
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	var r struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Choices []struct {
			Text     string `json:"text"`
			Index    int    `json:"index"`
			Logprobs struct {
				Tokens        []string             `json:"tokens"`
				TokenLogprobs []float64            `json:"token_logprobs"`
				TopLogprobs   []map[string]float64 `json:"top_logprobs"`
				TextOffset    []int                `json:"text_offset"`
			} `json:"logprobs"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage struct {
			PromptTokens, CompletionTokens int
		} `json:"usage"`
	}
	must(t, json.Unmarshal(body, &r))
	if r.Object != "text_completion" || !strings.HasPrefix(r.ID, "cmpl-") || len(r.Choices) != 2 {
		t.Fatalf("answer %s", body)
	}
	for i, p := range []string{"The quick brown", "Café"} {
		c := r.Choices[i]
		ids := tok.Encode(p)
		prompt := make([]int32, len(ids))
		for k, id := range ids {
			prompt[k] = int32(id)
		}
		cf, _ := tok.ChatFormat()
		out, err := m.Generate([][]int32{prompt}, model.SampleOptions{MaxNewTokens: 12, StopTokens: []int32{int32(cf.Stop[0])}}, nil)
		must(t, err)
		gen := out[0].Tokens
		if out[0].Stopped {
			gen = gen[:len(gen)-1]
		}
		if c.Index != i || c.Text != decode(t, tok, gen) {
			t.Fatalf("choice %d: %q, model.Generate %q", i, c.Text, decode(t, tok, gen))
		}
		lp := c.Logprobs
		if len(lp.Tokens) != len(gen) || len(lp.TokenLogprobs) != len(gen) || len(lp.TopLogprobs) != len(gen) || len(lp.TextOffset) != len(gen) {
			t.Fatalf("choice %d: logprobs lengths %d %d %d %d for %d tokens", i, len(lp.Tokens), len(lp.TokenLogprobs), len(lp.TopLogprobs), len(lp.TextOffset), len(gen))
		}
		if len(gen) > 0 && lp.TextOffset[0] != len(p) {
			t.Fatalf("choice %d: first text offset %d, want %d", i, lp.TextOffset[0], len(p))
		}
	}
	// Token-id prompts and streaming.
	req = map[string]any{"model": "tiny", "prompt": []int{10, 20, 30}, "max_tokens": 8, "temperature": 0, "stream": true}
	js, _ := json.Marshal(req)
	resp, err := http.Post(hs.URL+"/v1/completions", "application/json", bytes.NewReader(js))
	must(t, err)
	defer resp.Body.Close()
	events, done := sse(t, resp)
	if !done || len(events) == 0 {
		t.Fatalf("stream of %d events, done %v", len(events), done)
	}
	var text, finish string
	for _, ev := range events {
		var c struct {
			Object  string `json:"object"`
			Choices []struct {
				Text         string  `json:"text"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
		}
		must(t, json.Unmarshal(ev, &c))
		if c.Object != "text_completion" {
			t.Fatalf("event %s", ev)
		}
		for _, ch := range c.Choices {
			text += ch.Text
			if ch.FinishReason != nil {
				finish = *ch.FinishReason
			}
		}
	}
	delete(req, "stream")
	code, body = post(t, hs.URL+"/v1/completions", req)
	var plain struct {
		Choices []struct {
			Text         string `json:"text"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
	}
	must(t, json.Unmarshal(body, &plain))
	if code != 200 || plain.Choices[0].Text != text || plain.Choices[0].FinishReason != finish {
		t.Fatalf("streamed %q (%s), plain %s", text, finish, body)
	}
}

func TestModelsHealthMetrics(t *testing.T) {
	_, hs, _, _ := start(t, serve.Config{})
	resp, err := http.Get(hs.URL + "/v1/models")
	must(t, err)
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID, Object, OwnedBy string
		} `json:"data"`
	}
	must(t, json.NewDecoder(resp.Body).Decode(&list))
	resp.Body.Close()
	if list.Object != "list" || len(list.Data) != 1 || list.Data[0].ID != "tiny" || list.Data[0].Object != "model" {
		t.Fatalf("models %+v", list)
	}
	resp, err = http.Get(hs.URL + "/v1/models/tiny")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /v1/models/tiny: %d", resp.StatusCode)
	}
	resp, err = http.Get(hs.URL + "/health")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("health %d", resp.StatusCode)
	}
	chat(t, hs.URL, map[string]any{"model": "tiny", "messages": hello, "max_tokens": 5})
	post(t, hs.URL+"/v1/chat/completions", "{")
	resp, err = http.Get(hs.URL + "/metrics")
	must(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(b)
	for _, want := range []string{
		`align_serve_requests_total{endpoint="/v1/chat/completions",code="200"} 1`,
		`align_serve_requests_total{endpoint="/v1/chat/completions",code="400"} 1`,
		`# TYPE align_serve_request_duration_seconds histogram`,
		`align_serve_request_duration_seconds_bucket{endpoint="/v1/chat/completions",le="+Inf"} 2`,
		`align_serve_request_duration_seconds_count{endpoint="/v1/chat/completions"} 2`,
		`# TYPE align_serve_generated_tokens_total counter`,
		`align_serve_queue_depth 0`,
		`align_serve_batch_size_bucket{le="1"}`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q:\n%s", want, text)
		}
	}
	// Every line is a comment or "name{labels} value".
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if strings.HasPrefix(line, "# HELP ") || strings.HasPrefix(line, "# TYPE ") {
			continue
		}
		if f := strings.Fields(line); len(f) != 2 || !strings.HasPrefix(f[0], "align_serve_") {
			t.Errorf("bad metrics line %q", line)
		}
	}
}

func TestErrors(t *testing.T) {
	_, hs, _, _ := start(t, serve.Config{MaxBodyBytes: 4096})
	long := strings.Repeat("many words make a long prompt ", 60)
	cases := []struct {
		name, path string
		body       any
		status     int
		typ, param string
		code       string
	}{
		{"bad json", "/v1/chat/completions", `{"model": "tiny", "messages": [`, 400, "invalid_request_error", "", ""},
		{"trailing data", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"hi"}]} {}`, 400, "invalid_request_error", "", ""},
		{"not an object", "/v1/chat/completions", `[1,2]`, 400, "invalid_request_error", "", ""},
		{"missing model", "/v1/chat/completions", map[string]any{"messages": hello}, 400, "invalid_request_error", "model", ""},
		{"unknown model", "/v1/chat/completions", map[string]any{"model": "gpt-9", "messages": hello}, 404, "invalid_request_error", "model", "model_not_found"},
		{"no messages", "/v1/chat/completions", map[string]any{"model": "tiny", "messages": []any{}}, 400, "invalid_request_error", "messages", "invalid_value"},
		{"bad role", "/v1/chat/completions", map[string]any{"model": "tiny", "messages": []any{map[string]any{"role": "tool", "content": "x"}}}, 400, "invalid_request_error", "messages[0].role", "invalid_value"},
		{"too long", "/v1/chat/completions", map[string]any{"model": "tiny", "messages": []any{map[string]any{"role": "user", "content": long[:1500]}}}, 400, "invalid_request_error", "messages", "context_length_exceeded"},
		{"temperature", "/v1/chat/completions", map[string]any{"model": "tiny", "messages": hello, "temperature": 3}, 400, "invalid_request_error", "temperature", "invalid_value"},
		{"top_p", "/v1/chat/completions", map[string]any{"model": "tiny", "messages": hello, "top_p": 1.5}, 400, "invalid_request_error", "top_p", "invalid_value"},
		{"max_tokens type", "/v1/chat/completions", map[string]any{"model": "tiny", "messages": hello, "max_tokens": "ten"}, 400, "invalid_request_error", "max_tokens", "invalid_value"},
		{"max_tokens zero", "/v1/chat/completions", map[string]any{"model": "tiny", "messages": hello, "max_tokens": 0}, 400, "invalid_request_error", "max_tokens", "invalid_value"},
		{"max_completion_tokens", "/v1/chat/completions", map[string]any{"model": "tiny", "messages": hello, "max_completion_tokens": -1}, 400, "invalid_request_error", "max_completion_tokens", "invalid_value"},
		{"n", "/v1/chat/completions", map[string]any{"model": "tiny", "messages": hello, "n": 99}, 400, "invalid_request_error", "n", "invalid_value"},
		{"top_logprobs", "/v1/chat/completions", map[string]any{"model": "tiny", "messages": hello, "logprobs": true, "top_logprobs": 21}, 400, "invalid_request_error", "top_logprobs", "invalid_value"},
		{"top_logprobs without logprobs", "/v1/chat/completions", map[string]any{"model": "tiny", "messages": hello, "top_logprobs": 2}, 400, "invalid_request_error", "top_logprobs", "invalid_value"},
		{"stop list", "/v1/chat/completions", map[string]any{"model": "tiny", "messages": hello, "stop": []string{"a", "b", "c", "d", "e"}}, 400, "invalid_request_error", "stop", "invalid_value"},
		{"stop type", "/v1/chat/completions", map[string]any{"model": "tiny", "messages": hello, "stop": 5}, 400, "invalid_request_error", "", ""},
		{"tools", "/v1/chat/completions", map[string]any{"model": "tiny", "messages": hello, "tools": []any{map[string]any{"type": "function"}}}, 400, "invalid_request_error", "tools", "unsupported_parameter"},
		{"penalty", "/v1/chat/completions", map[string]any{"model": "tiny", "messages": hello, "presence_penalty": 0.5}, 400, "invalid_request_error", "presence_penalty", "unsupported_parameter"},
		{"stream_options", "/v1/chat/completions", map[string]any{"model": "tiny", "messages": hello, "stream_options": map[string]any{"include_usage": true}}, 400, "invalid_request_error", "stream_options", "invalid_value"},
		{"oversized body", "/v1/chat/completions", map[string]any{"model": "tiny", "messages": []any{map[string]any{"role": "user", "content": strings.Repeat("x", 5000)}}}, 413, "invalid_request_error", "", "request_too_large"},
		{"completion prompt", "/v1/completions", map[string]any{"model": "tiny", "prompt": 5}, 400, "invalid_request_error", "", ""},
		{"completion empty prompt", "/v1/completions", map[string]any{"model": "tiny", "prompt": []string{}}, 400, "invalid_request_error", "prompt", "invalid_value"},
		{"completion token id", "/v1/completions", map[string]any{"model": "tiny", "prompt": []int{1, 99999}}, 400, "invalid_request_error", "prompt", "invalid_value"},
		{"completion too long", "/v1/completions", map[string]any{"model": "tiny", "prompt": long}, 400, "invalid_request_error", "prompt", "context_length_exceeded"},
		{"completion logprobs", "/v1/completions", map[string]any{"model": "tiny", "prompt": "a", "logprobs": 50}, 400, "invalid_request_error", "logprobs", "invalid_value"},
		{"completion echo", "/v1/completions", map[string]any{"model": "tiny", "prompt": "a", "echo": true}, 400, "invalid_request_error", "echo", "unsupported_parameter"},
		{"unknown path", "/v1/embeddings", map[string]any{}, 404, "not_found_error", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := post(t, hs.URL+c.path, c.body)
			if code != c.status {
				t.Fatalf("status %d, want %d: %s", code, c.status, body)
			}
			var e errorResponse
			if err := json.Unmarshal(body, &e); err != nil || e.Error.Message == "" {
				t.Fatalf("not an error object (%v): %s", err, body)
			}
			if e.Error.Type != c.typ {
				t.Errorf("type %q, want %q", e.Error.Type, c.typ)
			}
			if c.param != "" && (e.Error.Param == nil || *e.Error.Param != c.param) {
				t.Errorf("param %v, want %q: %s", e.Error.Param, c.param, body)
			}
			if c.code != "" && (e.Error.Code == nil || *e.Error.Code != c.code) {
				t.Errorf("code %v, want %q: %s", e.Error.Code, c.code, body)
			}
		})
	}
	// Wrong method.
	resp, err := http.Get(hs.URL + "/v1/chat/completions")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET chat: %d", resp.StatusCode)
	}
	// The server still answers after all that.
	chat(t, hs.URL, map[string]any{"model": "tiny", "messages": hello, "max_tokens": 3})
}

func TestMaxTokensCutToContext(t *testing.T) {
	_, hs, _, _ := start(t, serve.Config{})
	r := chat(t, hs.URL, map[string]any{"model": "tiny", "messages": hello, "max_tokens": 100000, "temperature": 0})
	if u := r.Usage; u.TotalTokens > 128 {
		t.Fatalf("usage %+v beyond the context of 128", u)
	}
}

func TestAPIKey(t *testing.T) {
	_, hs, _, _ := start(t, serve.Config{APIKey: "sekrit"})
	code, body := post(t, hs.URL+"/v1/chat/completions", map[string]any{"model": "tiny", "messages": hello})
	var e errorResponse
	must(t, json.Unmarshal(body, &e))
	if code != 401 || e.Error.Type != "authentication_error" {
		t.Fatalf("no key: %d %s", code, body)
	}
	js, _ := json.Marshal(map[string]any{"model": "tiny", "messages": hello, "max_tokens": 3})
	req, _ := http.NewRequest("POST", hs.URL+"/v1/chat/completions", bytes.NewReader(js))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer sekrit")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("with key: %d", resp.StatusCode)
	}
}
