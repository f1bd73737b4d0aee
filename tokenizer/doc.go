// Package tokenizer is align's byte-level BPE tokenizer: it trains vocabularies,
// loads GPT-2's encoder.json + vocab.bpe and Hugging Face tokenizer.json files,
// encodes and decodes text exactly, and renders chat conversations to ids.
//
// # Byte-level BPE
//
// Text is first split into words by a pre-tokenisation pattern (GPT-2's,
// cl100k's or Qwen2's; see Pattern), then each word's UTF-8 bytes are merged
// pairwise by the ranked merge list until no merge applies. Every byte has a
// token, so any string, invalid UTF-8 included, encodes, and
// Decode(Encode(s)) == s. (A tokenizer.json with an NFC normalizer, like Qwen's,
// first normalises text to NFC, so there the identity holds for NFC text.) The
// patterns' regular expressions need look-ahead, which Go's regexp lacks, so they
// are implemented as hand-written scanners (pretokenize.go) and tested against a
// backtracking regexp engine.
//
// Encoding caches the tokens of frequent words; EncodeBatch encodes many texts in
// parallel, results in input order. A Tokenizer is safe for concurrent use.
//
// # Special tokens
//
// Added tokens such as <|endoftext|> are matched in text before pre-tokenisation.
// Those marked special are recognised only when Options.AllowSpecial is set —
// for trusted text such as a training corpus with document separators — and are
// otherwise encoded as the plain characters they are spelt with, so that a user
// cannot forge them. Added tokens not marked special (Qwen's <think>) are always
// recognised, as in HF tokenizers. Encode never adds BOS or EOS ids by itself.
//
// Trained tokenizers get the ids 0..255 for the single bytes, then one id per
// merge, then the special tokens (by default just <|endoftext|>), GPT-2's layout.
//
// # Chat template and EOS
//
// One template serves SFT, PPO and serving alike (RenderChat). A conversation is
// a list of turns with roles system, user and assistant; each turn is rendered as
// a role header, the content, and an end-of-turn token, then a newline. A
// tokenizer that has <|im_start|> and <|im_end|> (Qwen) uses ChatML:
//
//	<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi!<|im_end|>\n
//
// Any other tokenizer (GPT-2, our small trained ones) uses the plain format,
// with <|endoftext|> as the end-of-turn token:
//
//	User:\nHello<|endoftext|>\nAssistant:\nHi!<|endoftext|>\n
//
// The end-of-turn token is the EOS: a model generates a reply after the assistant
// header (RenderChat with addGenerationPrompt) and stops when it emits a
// ChatFormat.Stop id (for ChatML also <|endoftext|>). For SFT, RenderChat marks
// the positions of the assistant turns' content and end-of-turn tokens; only they
// count in the loss, so the model learns to answer and to stop, not to predict
// prompts. Headers, contents and the separators are encoded as separate pieces
// (special tokens in content stay plain text), so Decode of the rendered ids
// returns exactly ChatText, and the ids of a prompt are a prefix of the ids of the
// same prompt with its reply.
//
// For pretraining, documents are joined with <|endoftext|> between them.
package tokenizer
