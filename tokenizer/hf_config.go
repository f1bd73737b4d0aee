package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// The files beside tokenizer.json in a Hugging Face model directory that Load
// reads.
const (
	TokenizerConfigFile  = "tokenizer_config.json"
	GenerationConfigFile = "generation_config.json"
)

// chatTemplate is what we take from a tokenizer_config.json chat_template: which
// of our formats it is and the variations its text shows. We recognise known
// templates by their markers rather than run Jinja: the few templates the models
// we load ship differ only in these variations.
type chatTemplate struct {
	source string // the file, for errors
	text   string // the Jinja source, for writing it out again
	err    error  // non-nil: a template we cannot render
	format string // ChatML, ChatLlama3 or ChatPlain

	// ChatML: the system turn the template writes when the first message is
	// not a system message (Qwen2, Qwen2.5, SmolLM2); "" for none.
	defaultSystem string
	// ChatML: Qwen3's <think> handling.
	think bool

	// Llama 3: start with the BOS (bosToken if set, else <|begin_of_text|>).
	bos      bool
	bosToken string
	// Llama 3.1+: always open with a system turn whose text starts with
	// systemPreamble (the knowledge cut-off and date lines).
	alwaysSystem   bool
	systemPreamble string
}

// genConfig is what we take from generation_config.json.
type genConfig struct {
	eos []int // eos_token_id, as a list
	bos int   // bos_token_id, -1 if absent
}

// readHFConfigs reads the tokenizer_config.json and generation_config.json of
// model directory dir, when present, into t. A chat template we cannot render
// does not fail the load: ChatFormat, RenderChat and ChatText return its error,
// so a tokenizer is still usable for plain text (pretraining, scoring).
// Malformed files, or ids that are not tokens, fail it.
func (t *Tokenizer) readHFConfigs(dir string) error {
	path := filepath.Join(dir, TokenizerConfigFile)
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if t.chat, err = parseTokenizerConfig(data, path); err != nil {
			return fmt.Errorf("tokenizer: %s: %w", path, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("tokenizer: %w", err)
	}
	path = filepath.Join(dir, GenerationConfigFile)
	data, err = os.ReadFile(path)
	switch {
	case err == nil:
		if t.gen, err = t.parseGenerationConfig(data); err != nil {
			return fmt.Errorf("tokenizer: %s: %w", path, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("tokenizer: %w", err)
	}
	return nil
}

// parseTokenizerConfig returns the chat template of a tokenizer_config.json, nil
// when it has none (the format then follows the special tokens, as without the
// file).
func parseTokenizerConfig(data []byte, name string) (*chatTemplate, error) {
	var c struct {
		ChatTemplate json.RawMessage `json:"chat_template"`
		BOSToken     json.RawMessage `json:"bos_token"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, errors.New(jsonError(data, err))
	}
	src, err := templateSource(c.ChatTemplate)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(src) == "" {
		return nil, nil
	}
	bos, err := tokenContent(c.BOSToken)
	if err != nil {
		return nil, fmt.Errorf("bos_token: %v", err)
	}
	ct := recogniseTemplate(src, name)
	ct.text, ct.bosToken = src, bos
	return ct, nil
}

// templateSource returns chat_template's text: a string, or a list of named
// templates (then the one named "default", as transformers picks it).
func templateSource(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var named []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(raw, &named); err != nil {
		return "", errors.New("chat_template: want a string or a list of {\"name\", \"template\"}")
	}
	for _, n := range named {
		if n.Name == "default" {
			return n.Template, nil
		}
	}
	return "", errors.New("chat_template: the list has no template named \"default\"")
}

// tokenContent reads a special token of tokenizer_config.json, spelt as a
// string or as an added-token object with a "content" field.
func tokenContent(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var obj struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return "", errors.New("want a string or {\"content\": ...}")
	}
	return obj.Content, nil
}

var (
	// A ChatML system turn written out whole as one string literal: the
	// template's default system prompt. \n appears escaped (\\n in the Jinja
	// source) or as a real line break.
	defaultSystemRE = regexp.MustCompile(`<\|im_start\|>system(?:\\n|\n)([^'"{}+]*?)<\|im_end\|>`)
	// Llama 3.1+: the knowledge cut-off line and the default date_string.
	cutoffRE = regexp.MustCompile(`Cutting Knowledge Date: ([^"'\\\n]+)`)
	dateRE   = regexp.MustCompile(`set date_string = ["']([^"']+)["']`)
)

// recogniseTemplate identifies a chat template by its markers; an unknown one
// gets an error that says so.
func recogniseTemplate(src, name string) *chatTemplate {
	ct := &chatTemplate{source: name}
	has := func(markers ...string) bool {
		for _, m := range markers {
			if !strings.Contains(src, m) {
				return false
			}
		}
		return true
	}
	switch {
	case has("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"):
		ct.format = ChatLlama3
		ct.bos = has("bos_token") || has("<|begin_of_text|>")
		if has("Cutting Knowledge Date") {
			cutoff, date := cutoffRE.FindStringSubmatch(src), dateRE.FindStringSubmatch(src)
			if cutoff == nil || date == nil {
				ct.err = fmt.Errorf("tokenizer: chat: %s: chat_template is a Llama 3.1-style template, but align cannot find its knowledge cut-off and default date_string, so it cannot render it", name)
				return ct
			}
			ct.alwaysSystem = true
			ct.systemPreamble = "Cutting Knowledge Date: " + cutoff[1] + "\nToday Date: " + date[1] + "\n\n"
		}
	case has("<|im_start|>", "<|im_end|>"):
		ct.format = ChatML
		ct.think = has("<think>", "</think>")
		if m := defaultSystemRE.FindStringSubmatch(src); m != nil {
			ct.defaultSystem = strings.ReplaceAll(m[1], `\n`, "\n")
		}
	case has("'System'", "'User'", "'Assistant'", "eos_token"):
		// The plain format as align's checkpoint package writes it.
		ct.format = ChatPlain
	default:
		ct.err = fmt.Errorf("tokenizer: chat: %s: chat_template is not a template align can render "+
			"(it renders ChatML, as Qwen2, Qwen2.5, Qwen3 and SmolLM2 ship it, Llama 3, 3.1 and 3.2, and its own plain format)", name)
	}
	return ct
}

// parseGenerationConfig reads eos_token_id (an id or a list of ids) and
// bos_token_id; both may be absent or null.
func (t *Tokenizer) parseGenerationConfig(data []byte) (*genConfig, error) {
	var c struct {
		EOS json.RawMessage `json:"eos_token_id"`
		BOS *int            `json:"bos_token_id"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, errors.New(jsonError(data, err))
	}
	g := &genConfig{bos: -1}
	if !isNull(c.EOS) {
		var one int
		if err := json.Unmarshal(c.EOS, &one); err == nil {
			g.eos = []int{one}
		} else if err := json.Unmarshal(c.EOS, &g.eos); err != nil {
			return nil, errors.New("eos_token_id: want an id or a list of ids")
		}
	}
	for _, id := range g.eos {
		if _, ok := t.TokenText(id); !ok {
			return nil, fmt.Errorf("eos_token_id: %d is not a token", id)
		}
	}
	if c.BOS != nil {
		if _, ok := t.TokenText(*c.BOS); !ok {
			return nil, fmt.Errorf("bos_token_id: %d is not a token", *c.BOS)
		}
		g.bos = *c.BOS
	}
	return g, nil
}

// ChatTemplate returns the chat_template Load read from tokenizer_config.json
// (the "default" one of a list), as written there, and whether there was one.
// Code that saves a model directory can write it back as it came, default
// system prompt and all, rather than the plain Jinja form of ChatFormat's Name.
func (t *Tokenizer) ChatTemplate() (string, bool) {
	if t.chat == nil {
		return "", false
	}
	return t.chat.text, true
}
