package chat_test

import (
	"fmt"
	"log"
	"slices"
	"strings"

	"github.com/align-project/align/chat"
	"github.com/align-project/align/tokenizer"
)

// A prompt too long for the context keeps its end and leaves a quarter of
// the context for the answer.
func ExamplePromptTokens() {
	tok, err := tokenizer.Train(tokenizer.TrainConfig{VocabSize: 300}, "Say a word. Tell me about Paris.")
	if err != nil {
		log.Fatal(err)
	}
	long := strings.Repeat("Tell me about Paris. ", 40)
	all, _ := chat.PromptTokens(tok, long, 0) // no context: no cut
	cut, _ := chat.PromptTokens(tok, long, 64)
	fmt.Println(len(all) > 64, len(cut), slices.Equal(cut, all[len(all)-len(cut):]))
	// Output: true 48 true
}

// The generate stage's settings are checked before any model is loaded; a
// bad one is named by its key in the run config.
func ExampleGenerateConfig_Validate() {
	c := chat.DefaultGenerateConfig()
	c.N = 1
	fmt.Println(c.Validate())
	// Output: n: 1: must be at least 2: a pair compares at least two responses
}
