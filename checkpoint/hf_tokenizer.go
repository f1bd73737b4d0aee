package checkpoint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/align-project/align/tokenizer"
)

// The tokenizer files of a Hugging Face directory, and the token ids its
// configs name.

// specialIDs picks the BOS and EOS of a tokenizer: the chat format's BOS
// (generation_config.json's, or Llama 3's <|begin_of_text|>), else
// <|endoftext|> (GPT-2's); the chat format's end-of-turn as EOS; and every
// stop id for generation. Missing ones are -1 / nil.
func specialIDs(tok *tokenizer.Tokenizer) (bos, eos int, stop []int) {
	bos, eos = -1, -1
	if tok == nil {
		return
	}
	if id, ok := tok.TokenID("<|endoftext|>"); ok && tok.IsSpecial(id) {
		bos, eos, stop = id, id, []int{id}
	}
	if f, err := tok.ChatFormat(); err == nil {
		eos, stop = f.EndOfTurn, f.Stop
		switch {
		case f.BOS >= 0:
			bos = f.BOS // generation_config.json's, or Llama 3's <|begin_of_text|>
		case bos < 0:
			bos = eos
		}
	}
	return
}

// chatTemplates are the Jinja forms of the tokenizer package's chat formats,
// for transformers' apply_chat_template.
var chatTemplates = map[string]string{
	tokenizer.ChatML: "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}" +
		"{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
	tokenizer.ChatPlain: "{% set names = {'system': 'System', 'user': 'User', 'assistant': 'Assistant'} %}" +
		"{% for message in messages %}{{ names[message['role']] + ':\\n' + message['content'] + eos_token + '\\n' }}" +
		"{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:\\n' }}{% endif %}",
}

// chatTemplate is the Jinja chat template to save with tok: the one its
// directory shipped when it was loaded from one (a model's own template,
// default system prompt and all, survives a round trip), else the Jinja
// form of its chat format.
func chatTemplate(tok *tokenizer.Tokenizer) (string, bool) {
	if t, ok := tok.ChatTemplate(); ok {
		return t, true
	}
	f, err := tok.ChatFormat()
	if err != nil {
		return "", false
	}
	t, ok := chatTemplates[f.Name]
	return t, ok
}

// saveHFTokenizer writes tokenizer.json, tokenizer_config.json and
// special_tokens_map.json.
func saveHFTokenizer(dir string, tok *tokenizer.Tokenizer, maxLen, bos, eos int) error {
	err := WriteFileAtomic(filepath.Join(dir, HFTokenizerFile), func(w io.Writer) error { return tok.WriteJSON(w) })
	if err != nil {
		return err
	}
	text := func(id int) any {
		if id < 0 {
			return nil
		}
		s, _ := tok.TokenText(id)
		return s
	}
	special := map[string]any{}
	if bos >= 0 {
		special["bos_token"] = text(bos)
		special["eos_token"] = text(eos)
		special["unk_token"] = text(bos)
	}
	decoder := map[string]any{}
	for _, a := range tok.AddedTokens() {
		decoder[fmt.Sprint(a.ID)] = map[string]any{
			"content": a.Content, "lstrip": false, "normalized": false, "rstrip": false,
			"single_word": false, "special": a.Special,
		}
	}
	tc := map[string]any{
		"add_bos_token":                false,
		"add_prefix_space":             false,
		"added_tokens_decoder":         decoder,
		"clean_up_tokenization_spaces": false,
		"model_max_length":             maxLen,
		"tokenizer_class":              "PreTrainedTokenizerFast",
	}
	for k, v := range special {
		tc[k] = v
	}
	if t, ok := chatTemplate(tok); ok {
		tc["chat_template"] = t
	}
	if err := writeJSONFile(filepath.Join(dir, HFTokenizerConfigFile), tc); err != nil {
		return err
	}
	return writeJSONFile(filepath.Join(dir, HFSpecialTokensFile), special)
}

// writeJSONFile writes v as indented JSON, atomically.
func writeJSONFile(path string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	})
}

// hasTokenizer reports whether dir holds tokenizer files tokenizer.Load reads.
func hasTokenizer(dir string) bool {
	for _, f := range []string{HFTokenizerFile, "encoder.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}
