package tokenizer_test

import (
	"fmt"
	"strings"

	"github.com/align-project/align/tokenizer"
)

func ExampleTrain() {
	corpus := strings.Repeat("the cat sat on the mat. ", 50)
	tok, err := tokenizer.Train(tokenizer.TrainConfig{VocabSize: 270}, corpus)
	if err != nil {
		panic(err)
	}
	ids := tok.Encode("the cat sat")
	text, _ := tok.Decode(ids)
	// The corpus runs out of pairs seen twice before 270: 256 bytes, 12 merges and
	// <|endoftext|>.
	fmt.Println(tok.VocabSize(), len(ids), text)
	// Output: 269 3 the cat sat
}

func ExampleTokenizer_RenderChat() {
	tok, err := tokenizer.Train(tokenizer.TrainConfig{VocabSize: 300}, strings.Repeat("Hello there! How are you?\n", 10))
	if err != nil {
		panic(err)
	}
	msgs := []tokenizer.Message{
		{Role: "user", Content: "Hi"},
		{Role: "assistant", Content: "Hello!"},
	}
	ids, assistant, _ := tok.RenderChat(msgs, false)
	text, _ := tok.Decode(ids)
	var trained []string
	for i, a := range assistant {
		if a {
			s, _ := tok.TokenText(ids[i])
			trained = append(trained, s)
		}
	}
	fmt.Printf("%q\n%q\n", text, trained)
	// Output:
	// "User:\nHi<|endoftext|>\nAssistant:\nHello!<|endoftext|>\n"
	// ["Hello" "!" "<|endoftext|>"]
}
