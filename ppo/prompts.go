package ppo

import (
	"fmt"

	"github.com/align-project/align/tokenizer"
)

// ChatPrompts renders each text as a user turn with the chat template and
// the assistant header (tokenizer.RenderChat with the generation prompt),
// the way SFT trained the policy to answer and the reward model scores, and
// returns the prompts with the stop tokens that end a reply.
func ChatPrompts(tok *tokenizer.Tokenizer, texts []string) ([]Prompt, []int32, error) {
	cf, err := tok.ChatFormat()
	if err != nil {
		return nil, nil, fmt.Errorf("ppo prompts: %w", err)
	}
	out := make([]Prompt, len(texts))
	for i, text := range texts {
		ids, _, err := tok.RenderChat([]tokenizer.Message{{Role: "user", Content: text}}, true)
		if err != nil {
			return nil, nil, fmt.Errorf("ppo prompts: prompt %d: %w", i, err)
		}
		out[i] = Prompt{Text: text, IDs: toInt32(ids)}
	}
	return out, toInt32(cf.Stop), nil
}

func toInt32(ids []int) []int32 {
	out := make([]int32, len(ids))
	for i, id := range ids {
		out[i] = int32(id)
	}
	return out
}
