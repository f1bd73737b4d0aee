package serve_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/align-project/align/model"
	"github.com/align-project/align/serve"
	"github.com/align-project/align/tokenizer"
)

// Serve a model and ask it a chat completion, as any OpenAI client would.
func Example() {
	tok, _ := tokenizer.Train(tokenizer.TrainConfig{VocabSize: 270}, "hello world, hello there")
	m, _ := model.New(model.Config{VocabSize: tok.VocabSize(), Context: 64, Layers: 1, Heads: 2, Channels: 16}, 1)
	s, err := serve.New(m, tok, serve.Config{ModelName: "demo"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	hs := httptest.NewServer(s.Handler()) // or s.Serve(ctx, listener)
	defer hs.Close()

	body := `{"model": "demo", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 8, "seed": 1}`
	resp, err := http.Post(hs.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var r struct {
		Object  string
		Choices []struct {
			FinishReason string `json:"finish_reason"`
		}
		Usage struct {
			CompletionTokens int `json:"completion_tokens"`
		}
	}
	json.NewDecoder(resp.Body).Decode(&r)
	fmt.Println(resp.StatusCode, r.Object, len(r.Choices), r.Usage.CompletionTokens <= 8)
	// Output: 200 chat.completion 1 true
}
