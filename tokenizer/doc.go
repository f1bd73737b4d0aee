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
// A tokenizer with Llama 3's <|start_header_id|>, <|end_header_id|> and
// <|eot_id|> (and no ChatML tokens) uses the Llama 3 format: the BOS before the
// first turn, no line break between turns, contents trimmed of surrounding white
// space as Meta's templates trim them (Jinja's trim: Python's str.strip()), and <|end_of_text|> as a further stop id:
//
//	<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n
//
// # Model directories: chat_template and generation_config.json
//
// Load on a Hugging Face model directory also reads tokenizer_config.json's
// chat_template and generation_config.json. We do not run Jinja: the template is
// recognised by its markers as one of the formats above, with the variations the
// models we load ship, and rendered by our code (checked against Jinja2 in the
// tests):
//
//   - ChatML (<|im_start|>, <|im_end|>). A system turn written out whole as one
//     literal is the template's default system prompt, rendered when the
//     conversation does not start with a system message: Qwen2's "You are a
//     helpful assistant", Qwen2.5's "You are Qwen, created by Alibaba Cloud.
//     ...", SmolLM2's "You are a helpful AI assistant named SmolLM, trained by
//     Hugging Face". Qwen3's template (it has <think>) renders as its Jinja does
//     with enable_thinking left at its default: the generation prompt opens no
//     thinking block; the last reply, when it follows the last user message, is
//     written <think>\n\n</think>\n\nreply (or with its reasoning, when the content
//     carries "<think>r</think>"), and earlier replies lose their reasoning.
//     The thinking block belongs to the reply in the SFT mask: the model is
//     taught to write it after the generation prompt.
//   - Llama 3 (<|start_header_id|>, <|end_header_id|>, <|eot_id|>). Llama 3.1 and
//     3.2 templates ("Cutting Knowledge Date") always open with a system turn
//     whose text is the cut-off line, "Today Date: " and the template's default
//     date_string, a blank line, then the trimmed system message if the
//     conversation has one. Llama 3.2's Jinja writes today's date when run by
//     transformers (strftime_now); we write its fixed fallback, 26 Jul 2024, so
//     that a rendering does not depend on the day. Tools and the "Environment:
//     ipython" line are not rendered (messages have no tools).
//   - align's own plain format, as checkpoint directories carry it.
//
// Any other template is an error that names the file and says that align
// cannot render it; the tokenizer still loads (text encodes as usual) and only
// ChatFormat, RenderChat and ChatText fail. Without a chat_template the format
// follows the special tokens as above. generation_config.json's eos_token_id
// (one id or a list) joins ChatFormat.Stop, after the format's own stop ids, and
// its bos_token_id is ChatFormat.BOS. A directory without these files loads as
// before. ChatTemplate returns the template text as read, for writing a model
// directory back out unchanged.
//
// For pretraining, documents are joined with <|endoftext|> between them.
package tokenizer
