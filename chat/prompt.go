package chat

import (
	"github.com/align-project/align/tokenizer"
)

// PromptTokens renders prompt as a user turn with the tokenizer's chat
// template followed by the assistant header: the tokens a chat model answers
// after, the way SFT trained it and PPO and the reward model's reference
// samples prompt it. Sampler, ppo.ChatPrompts and reward.ReferenceSamples
// all render prompts here, so they cut long ones alike.
//
// The rule for a prompt too long for a model of context tokens: it keeps its
// end, cut to context − max(context/4, 1) tokens, so that at least a quarter
// of the context is left for the answer (the start of the template goes).
// A context of 0 means no limit.
func PromptTokens(tok *tokenizer.Tokenizer, prompt string, context int) ([]int32, error) {
	ids, _, err := tok.RenderChat([]tokenizer.Message{{Role: "user", Content: prompt}}, true)
	if err != nil {
		return nil, err
	}
	if keep := context - max(context/4, 1); context > 0 && len(ids) > keep {
		ids = ids[len(ids)-keep:]
	}
	return tokenizer.Int32s(ids), nil
}
