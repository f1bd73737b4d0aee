package ppo

import (
	"fmt"

	"github.com/align-project/align/chat"
	"github.com/align-project/align/tokenizer"
)

// ChatPrompts renders each text as a user turn with the chat template and
// the assistant header (chat.PromptTokens), the way SFT trained the policy
// to answer and the reward model scores, and returns the prompts with the
// stop tokens that end a reply. A prompt too long for a policy of context
// tokens keeps its end and leaves at least a quarter of the context for the
// reply, as in every other sampler.
func ChatPrompts(tok *tokenizer.Tokenizer, texts []string, context int) ([]Prompt, []int32, error) {
	cf, err := tok.ChatFormat()
	if err != nil {
		return nil, nil, fmt.Errorf("ppo prompts: %w", err)
	}
	out := make([]Prompt, len(texts))
	for i, text := range texts {
		ids, err := chat.PromptTokens(tok, text, context)
		if err != nil {
			return nil, nil, fmt.Errorf("ppo prompts: prompt %d: %w", i, err)
		}
		out[i] = Prompt{Text: text, IDs: ids}
	}
	return out, tokenizer.Int32s(cf.Stop), nil
}
