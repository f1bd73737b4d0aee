// Package chat answers prompts with a language model the way SFT taught it
// to and PPO samples from it: each prompt rendered as a user turn with the
// tokenizer's chat template, the answer decoded with the KV cache until a
// stop token of the chat format, and returned as valid UTF-8 text with the
// token ids it came from. Evaluation, the SFT evaluation, the reward
// model's reference samples and pair generation all sample through it, with
// one SampleOptions, and render prompts with PromptTokens (as does PPO), so
// a prompt too long for the context is cut the same way everywhere.
//
// GeneratePairs is the loop's generate stage: a policy answers prompts
// several times (optionally with a contrasting prefix), empty responses are
// sampled again, and the pairs are written for a judge or the annotation
// app. 'align generate' and 'align run' both call it.
package chat
