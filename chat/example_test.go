package chat_test

import (
	"context"
	"fmt"
	"os"

	"github.com/align-project/align/chat"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
	"github.com/align-project/align/train"
)

// A prompt is rendered as a user turn plus the assistant header of the
// tokenizer's chat template; the model answers until the end-of-turn token.
// Here a tiny model is first taught one reply, then answers greedily.
func ExampleSampler() {
	tok, err := tokenizer.Train(tokenizer.TrainConfig{VocabSize: 300}, "Hello there! How are you?\n")
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := model.New(model.Config{VocabSize: tok.VocabSize(), Context: 48, Layers: 1, Heads: 2, Channels: 32}, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := chat.NewSampler(m, tok)
	if err != nil {
		fmt.Println(err)
		return
	}
	prompt, err := s.PromptIDs("Hi")
	if err != nil {
		fmt.Println(err)
		return
	}
	text, _ := tok.Decode(tokenizer.Ints(prompt))
	fmt.Printf("prompt %q\n", text)

	// Teach the model to answer "Hi" with "Hello there!": SFT on one
	// conversation, the loss on the reply's tokens only.
	ids, assistant, err := tok.RenderChat([]tokenizer.Message{{Role: "user", Content: "Hi"}, {Role: "assistant", Content: "Hello there!"}}, false)
	if err != nil {
		fmt.Println(err)
		return
	}
	eos, _ := tok.TokenID("<|endoftext|>")
	rows := train.PackExamples([]train.Example{{IDs: tokenizer.Int32s(ids), Mask: assistant}}, 40, false, int32(eos))
	c := train.DefaultSFT()
	c.Steps, c.Batch, c.Warmup, c.LR, c.MinLR, c.SaveEvery = 30, 1, 0, 1e-2, 1e-3, 0
	out, err := os.MkdirTemp("", "example-sampler")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(out)
	tr := &train.Trainer{Config: c, Model: m, Train: rows, Out: out, Stage: "sft"}
	if _, err := tr.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}

	answers, err := s.Sample([]string{"Hi"}, chat.SampleOptions{SampleOptions: model.SampleOptions{MaxNewTokens: 16}}, nil) // temperature 0: greedy
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("answer %q, ended with the end-of-turn token: %v\n", answers[0].Text, answers[0].EOS)
	// Output:
	// prompt "User:\nHi<|endoftext|>\nAssistant:\n"
	// answer "Hello there!", ended with the end-of-turn token: true
}
