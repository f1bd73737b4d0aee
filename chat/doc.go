// Package chat answers prompts with a language model the way SFT taught it
// to and PPO samples from it: each prompt rendered as a user turn with the
// tokenizer's chat template, the answer decoded with the KV cache until a
// stop token of the chat format, and returned as valid UTF-8 text with the
// token ids it came from. Generation of pairs, evaluation and the SFT
// evaluation all sample through it.
package chat
