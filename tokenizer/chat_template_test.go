package tokenizer

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Chat templates as the models ship them, reduced to the parts that decide what
// a conversation without tools renders to (the markers recogniseTemplate looks
// for and the literals it reads).
const (
	// Llama 3 (Meta-Llama-3-8B-Instruct): BOS before the first turn, contents trimmed.
	llama3Template = "{% set loop_messages = messages %}{% for message in loop_messages %}" +
		"{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}" +
		"{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}" +
		"{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
	// Llama 3.1: always a system turn with the knowledge cut-off and a date.
	llama31Template = "{{- bos_token }}\n{%- if not date_string is defined %}\n    {%- set date_string = \"26 Jul 2024\" %}\n{%- endif %}\n" +
		"{%- if not tools is defined %}\n    {%- set tools = none %}\n{%- endif %}\n" +
		"{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = messages[0]['content']|trim %}\n    {%- set messages = messages[1:] %}\n" +
		"{%- else %}\n    {%- set system_message = \"\" %}\n{%- endif %}\n" +
		"{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}\n{%- if builtin_tools is defined or tools is not none %}\n    {{- \"Environment: ipython\\n\" }}\n{%- endif %}\n" +
		"{{- \"Cutting Knowledge Date: December 2023\\n\" }}\n{{- \"Today Date: \" + date_string + \"\\n\\n\" }}\n{{- system_message }}\n{{- \"<|eot_id|>\" }}\n" +
		"{%- for message in messages %}\n        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}\n{%- endfor %}\n" +
		"{%- if add_generation_prompt %}\n    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}\n{%- endif %}\n"
	// Qwen2.5: a default system turn when the conversation has none.
	qwen25Template = "{%- if messages[0]['role'] == 'system' %}\n        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n    {%- else %}\n" +
		"        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}\n    {%- endif %}\n" +
		"{%- for message in messages %}{%- if not (message.role == 'system' and loop.first) %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}{%- endif %}{%- endfor %}\n" +
		"{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n{%- endif %}\n"
	// SmolLM2: the same idea with real line breaks inside the literals.
	smolLM2Template = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}" +
		"{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
	// What align's checkpoint package writes (checkpoint/hf.go chatTemplates).
	alignChatMLTemplate = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}" +
		"{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
	alignPlainTemplate = "{% set names = {'system': 'System', 'user': 'User', 'assistant': 'Assistant'} %}" +
		"{% for message in messages %}{{ names[message['role']] + ':\\n' + message['content'] + eos_token + '\\n' }}" +
		"{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:\\n' }}{% endif %}"
	// Gemma's format, which align does not render.
	gemmaTemplate = "{{ bos_token }}{% for message in messages %}{{ '<start_of_turn>' + message['role'] + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}"
)

var llamaSpecials = []string{"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>"}

// hfDir saves tok as tokenizer.json in a new directory with the given
// tokenizer_config.json and generation_config.json contents ("" for no file),
// and loads it back with Load.
func hfDir(t *testing.T, tok *Tokenizer, tokenizerConfig, genConfig string) (*Tokenizer, string) {
	t.Helper()
	dir := t.TempDir()
	if err := tok.Save(filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{TokenizerConfigFile: tokenizerConfig, GenerationConfigFile: genConfig} {
		if data != "" {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	back, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return back, dir
}

// withTemplate is a tokenizer_config.json holding template.
func withTemplate(template string) string {
	data, _ := json.Marshal(map[string]any{"chat_template": template, "bos_token": nil})
	return string(data)
}

// part is one piece of an expected rendering: text (encoded with Encode) or a
// token, inside an assistant turn or not.
type part struct {
	text      string
	id        int // -1 for text
	assistant bool
}

func tx(s string) part        { return part{text: s, id: -1} }
func ax(s string) part        { return part{text: s, id: -1, assistant: true} }
func sp(id int) part          { return part{id: id} }
func asp(id int) part         { return part{id: id, assistant: true} }
func pieces(p ...part) []part { return p }

// checkParts checks RenderChat's ids and mask, and ChatText, against parts
// written out by hand from the template's text.
func checkParts(t *testing.T, tok *Tokenizer, msgs []Message, gen bool, want []part) {
	t.Helper()
	var wantIDs []int
	var wantMask []bool
	var wantText strings.Builder
	for _, p := range want {
		n := len(wantIDs)
		if p.id >= 0 {
			wantIDs = append(wantIDs, p.id)
			s, _ := tok.TokenText(p.id)
			wantText.WriteString(s)
		} else {
			wantIDs = append(wantIDs, tok.Encode(p.text)...)
			wantText.WriteString(p.text)
		}
		for range len(wantIDs) - n {
			wantMask = append(wantMask, p.assistant)
		}
	}
	text, err := tok.ChatText(msgs, gen)
	if err != nil {
		t.Fatal(err)
	}
	if text != wantText.String() {
		t.Fatalf("ChatText:\n%q\nwant\n%q", text, wantText.String())
	}
	ids, mask, err := tok.RenderChat(msgs, gen)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids, wantIDs) || !reflect.DeepEqual(mask, wantMask) {
		t.Fatalf("RenderChat:\n ids %v\nmask %v\nwant\n ids %v\nmask %v", ids, mask, wantIDs, wantMask)
	}
	if dec, _ := tok.Decode(ids); dec != text {
		t.Fatalf("Decode(RenderChat) = %q, want ChatText %q", dec, text)
	}
}

var (
	sysUser  = []Message{{Role: "system", Content: " Be brief.\n"}, {Role: "user", Content: "Hi there"}}
	userOnly = []Message{{Role: "user", Content: "Hi there"}}
	multi    = []Message{
		{Role: "user", Content: "Hi there"},
		{Role: "assistant", Content: "Hello!\n"},
		{Role: "user", Content: "  Bye"},
		{Role: "assistant", Content: "See you."},
	}
)

func llamaTokenizer(t *testing.T) (tok *Tokenizer, bot, eot, sh, eh, eotID, eom int) {
	tok = trainSmall(t, TrainConfig{VocabSize: 400, SpecialTokens: llamaSpecials})
	id := func(s string) int { i, _ := tok.TokenID(s); return i }
	return tok, id("<|begin_of_text|>"), id("<|end_of_text|>"), id("<|start_header_id|>"), id("<|end_header_id|>"), id("<|eot_id|>"), id("<|eom_id|>")
}

func TestChatLlama3(t *testing.T) {
	base, bot, eot, sh, eh, eotID, eom := llamaTokenizer(t)
	h := func(role string) []part { return pieces(sp(sh), tx(role), sp(eh), tx("\n\n")) }
	cat := func(ps ...[]part) []part {
		var out []part
		for _, p := range ps {
			out = append(out, p...)
		}
		return out
	}
	// Without a template (the format follows the tokens) and with Llama 3's
	// template the rendering is the same: BOS before the first turn, contents
	// trimmed, no line break after <|eot_id|>.
	fromTemplate, _ := hfDir(t, base, withTemplate(llama3Template), "")
	for name, tok := range map[string]*Tokenizer{"tokens": base, "template": fromTemplate} {
		t.Run(name, func(t *testing.T) {
			f, err := tok.ChatFormat()
			if err != nil || f.Name != ChatLlama3 || f.EndOfTurn != eotID || !reflect.DeepEqual(f.Stop, []int{eotID, eot}) || f.BOS != bot {
				t.Fatalf("format %+v, %v", f, err)
			}
			checkParts(t, tok, sysUser, true, cat(pieces(sp(bot)), h("system"), pieces(tx("Be brief."), sp(eotID)),
				h("user"), pieces(tx("Hi there"), sp(eotID)), h("assistant")))
			checkParts(t, tok, userOnly, true, cat(pieces(sp(bot)), h("user"), pieces(tx("Hi there"), sp(eotID)), h("assistant")))
			checkParts(t, tok, userOnly, false, cat(pieces(sp(bot)), h("user"), pieces(tx("Hi there"), sp(eotID))))
			checkParts(t, tok, multi, false, cat(pieces(sp(bot)), h("user"), pieces(tx("Hi there"), sp(eotID)),
				h("assistant"), pieces(ax("Hello!"), asp(eotID)), h("user"), pieces(tx("Bye"), sp(eotID)),
				h("assistant"), pieces(ax("See you."), asp(eotID))))
			checkRendered(t, tok, conversationTrimmed, eotID)
		})
	}

	// Llama 3.1: a system turn always, with the cut-off and the template's
	// default date; generation_config.json adds <|eom_id|> to the stop ids.
	tok, _ := hfDir(t, base, withTemplate(llama31Template), fmt.Sprintf(`{"bos_token_id": %d, "eos_token_id": [%d, %d, %d]}`, bot, eot, eom, eotID))
	f, err := tok.ChatFormat()
	if err != nil || f.Name != ChatLlama3 || !reflect.DeepEqual(f.Stop, []int{eotID, eot, eom}) || f.BOS != bot {
		t.Fatalf("3.1 format %+v, %v", f, err)
	}
	const pre = "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
	checkParts(t, tok, userOnly, true, cat(pieces(sp(bot)), h("system"), pieces(tx(pre), sp(eotID)),
		h("user"), pieces(tx("Hi there"), sp(eotID)), h("assistant")))
	checkParts(t, tok, sysUser, false, cat(pieces(sp(bot)), h("system"), pieces(tx(pre+"Be brief."), sp(eotID)),
		h("user"), pieces(tx("Hi there"), sp(eotID))))
	checkParts(t, tok, multi, false, cat(pieces(sp(bot)), h("system"), pieces(tx(pre), sp(eotID)),
		h("user"), pieces(tx("Hi there"), sp(eotID)), h("assistant"), pieces(ax("Hello!"), asp(eotID)),
		h("user"), pieces(tx("Bye"), sp(eotID)), h("assistant"), pieces(ax("See you."), asp(eotID))))
	checkRendered(t, tok, conversationTrimmed, eotID)

	// Llama 3.2 dates by strftime_now when transformers runs it; we take the
	// template's fallback date.
	llama32 := strings.Replace(llama31Template, `{%- set date_string = "26 Jul 2024" %}`,
		`{%- if strftime_now is defined %}{%- set date_string = strftime_now("%d %b %Y") %}{%- else %}{%- set date_string = "26 Jul 2024" %}{%- endif %}`, 1)
	tok, _ = hfDir(t, base, withTemplate(llama32), "")
	checkParts(t, tok, userOnly, false, cat(pieces(sp(bot)), h("system"), pieces(tx(pre), sp(eotID)), h("user"), pieces(tx("Hi there"), sp(eotID))))
}

// conversationTrimmed is conversation with contents that Llama 3's trimming
// leaves alone, so that checkRendered's expectations hold.
var conversationTrimmed = []Message{
	{Role: "system", Content: "Be brief."},
	{Role: "user", Content: "Hi <|eot_id|> there"},
	{Role: "assistant", Content: "Hello!"},
	{Role: "user", Content: "Bye"},
	{Role: "assistant", Content: ""},
}

func chatMLTokenizer(t *testing.T, extra ...string) (*Tokenizer, int, int, int) {
	tok := trainSmall(t, TrainConfig{VocabSize: 400, SpecialTokens: append([]string{"<|endoftext|>", "<|im_start|>", "<|im_end|>"}, extra...)})
	eot, _ := tok.TokenID("<|endoftext|>")
	start, _ := tok.TokenID("<|im_start|>")
	end, _ := tok.TokenID("<|im_end|>")
	return tok, eot, start, end
}

func TestChatMLDefaultSystem(t *testing.T) {
	base, _, start, end := chatMLTokenizer(t)
	for name, c := range map[string]struct{ template, system string }{
		"qwen2.5": {qwen25Template, "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."},
		"smollm2": {smolLM2Template, "You are a helpful AI assistant named SmolLM, trained by Hugging Face"},
	} {
		t.Run(name, func(t *testing.T) {
			tok, _ := hfDir(t, base, withTemplate(c.template), "")
			checkParts(t, tok, userOnly, true, pieces(sp(start), tx("system\n"), tx(c.system), sp(end), tx("\n"),
				sp(start), tx("user\n"), tx("Hi there"), sp(end), tx("\n"), sp(start), tx("assistant\n")))
			// A system message of the conversation replaces the default.
			checkParts(t, tok, sysUser, false, pieces(sp(start), tx("system\n"), tx(" Be brief.\n"), sp(end), tx("\n"),
				sp(start), tx("user\n"), tx("Hi there"), sp(end), tx("\n")))
			checkParts(t, tok, multi[:2], false, pieces(sp(start), tx("system\n"), tx(c.system), sp(end), tx("\n"),
				sp(start), tx("user\n"), tx("Hi there"), sp(end), tx("\n"),
				sp(start), tx("assistant\n"), ax("Hello!\n"), asp(end), tx("\n")))
		})
	}
}

// qwen3Template carries the markers of Qwen3's template (its <think>
// handling), not a runnable copy: TestChatMatchesJinja runs the real one.
const qwen3Template = "{%- if messages[0].role == 'system' %}\n        {{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}\n{%- endif %}\n" +
	"{%- for message in messages %}\n    {%- if message.role == \"user\" %}\n        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n" +
	"    {%- elif message.role == \"assistant\" %}\n        {%- if '</think>' in message.content %}{%- set content = message.content.split('</think>')[-1].lstrip('\\n') %}{%- endif %}\n" +
	"        {{- '<|im_start|>' + message.role + '\\n<think>\\n' + reasoning_content.strip('\\n') + '\\n</think>\\n\\n' + content.lstrip('\\n') }}\n" +
	"        {{- '<|im_end|>\\n' }}\n    {%- endif %}\n{%- endfor %}\n" +
	"{%- if add_generation_prompt %}\n    {{- '<|im_start|>assistant\\n' }}\n    {%- if enable_thinking is defined and enable_thinking is false %}\n        {{- '<think>\\n\\n</think>\\n\\n' }}\n    {%- endif %}\n{%- endif %}\n"

func TestChatQwen3Thinking(t *testing.T) {
	base, eot, start, end := chatMLTokenizer(t, "<think>", "</think>")
	think, _ := base.TokenID("<think>")
	unthink, _ := base.TokenID("</think>")
	tok, _ := hfDir(t, base, withTemplate(qwen3Template), fmt.Sprintf(`{"bos_token_id": null, "eos_token_id": [%d, %d]}`, end, eot))
	f, err := tok.ChatFormat()
	if err != nil || f.Name != ChatML || !reflect.DeepEqual(f.Stop, []int{end, eot}) {
		t.Fatalf("format %+v, %v", f, err)
	}
	// No default system turn; the generation prompt opens no thinking block
	// (enable_thinking is undefined by default).
	checkParts(t, tok, userOnly, true, pieces(sp(start), tx("user\n"), tx("Hi there"), sp(end), tx("\n"), sp(start), tx("assistant\n")))
	// The last reply, after the last user message, gets an empty thinking
	// block; earlier replies lose theirs.
	msgs := []Message{
		{Role: "system", Content: "Be brief."},
		{Role: "user", Content: "Hi"},
		{Role: "assistant", Content: "<think>\nhm\n</think>\n\nHello!"},
		{Role: "user", Content: "Bye"},
		{Role: "assistant", Content: "\nSee you."},
	}
	checkParts(t, tok, msgs, false, pieces(
		sp(start), tx("system\n"), tx("Be brief."), sp(end), tx("\n"),
		sp(start), tx("user\n"), tx("Hi"), sp(end), tx("\n"),
		sp(start), tx("assistant\n"), ax("Hello!"), asp(end), tx("\n"),
		sp(start), tx("user\n"), tx("Bye"), sp(end), tx("\n"),
		sp(start), tx("assistant\n"), asp(think), ax("\n\n"), asp(unthink), ax("\n\nSee you."), asp(end), tx("\n")))
	// A last reply that carries reasoning keeps it.
	msgs[4].Content = "<think>\n\nfarewell\n</think>See you."
	checkParts(t, tok, msgs[3:], false, pieces(
		sp(start), tx("user\n"), tx("Bye"), sp(end), tx("\n"),
		sp(start), tx("assistant\n"), asp(think), ax("\nfarewell\n"), asp(unthink), ax("\n\nSee you."), asp(end), tx("\n")))
	// The prompt still prefixes the conversation: what the model generates
	// after it is the thinking block and the reply.
	full, _, _ := tok.RenderChat(msgs[3:], false)
	prompt, _, _ := tok.RenderChat(msgs[3:4], true)
	if !reflect.DeepEqual(full[:len(prompt)], prompt) {
		t.Fatalf("prompt %v is not a prefix of %v", prompt, full)
	}
}

func TestChatAlignTemplates(t *testing.T) {
	// Directories align writes (checkpoint.SaveHF) carry these templates and a
	// generation_config.json: loading them must render exactly as the
	// tokenizer alone does.
	plain := trainSmall(t, TrainConfig{VocabSize: 400})
	pe, _ := plain.TokenID("<|endoftext|>")
	chatml, eot, _, end := chatMLTokenizer(t)
	for _, c := range []struct {
		name      string
		tok       *Tokenizer
		template  string
		gen       string
		wantStop  []int
		wantEnd   int
		wantBOS   int
		wantFirst string
	}{
		{"plain", plain, alignPlainTemplate, fmt.Sprintf(`{"_from_model_config": true, "bos_token_id": %d, "eos_token_id": %d}`, pe, pe), []int{pe}, pe, pe, ChatPlain},
		{"chatml", chatml, alignChatMLTemplate, fmt.Sprintf(`{"_from_model_config": true, "bos_token_id": %d, "eos_token_id": [%d, %d]}`, eot, end, eot), []int{end, eot}, end, eot, ChatML},
	} {
		t.Run(c.name, func(t *testing.T) {
			tok, _ := hfDir(t, c.tok, withTemplate(c.template), c.gen)
			f, err := tok.ChatFormat()
			if err != nil || f.Name != c.wantFirst || f.EndOfTurn != c.wantEnd || !reflect.DeepEqual(f.Stop, c.wantStop) || f.BOS != c.wantBOS {
				t.Fatalf("format %+v, %v", f, err)
			}
			for _, gen := range []bool{false, true} {
				wantIDs, wantMask, _ := c.tok.RenderChat(conversation, gen)
				ids, mask, err := tok.RenderChat(conversation, gen)
				if err != nil || !reflect.DeepEqual(ids, wantIDs) || !reflect.DeepEqual(mask, wantMask) {
					t.Fatalf("gen %v: RenderChat differs from the tokenizer's own (%v)", gen, err)
				}
			}
			bare, _ := hfDir(t, c.tok, "", "")
			if f, _ := bare.ChatFormat(); f.BOS != -1 || !reflect.DeepEqual(f.Stop, c.wantStop) {
				t.Fatalf("without config files: %+v", f)
			}
		})
	}
}

func TestChatTemplateErrors(t *testing.T) {
	base, _, _, _ := chatMLTokenizer(t)
	// A template we cannot render: the tokenizer loads (plain text still
	// encodes), chat rendering fails naming the file.
	tok, dir := hfDir(t, base, withTemplate(gemmaTemplate), "")
	if got := tok.Encode("Hi"); len(got) == 0 {
		t.Fatal("no ids")
	}
	file := filepath.Join(dir, TokenizerConfigFile)
	_, err := tok.ChatFormat()
	if err == nil || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), "not a template align can render") {
		t.Fatalf("ChatFormat: %v", err)
	}
	if _, _, err := tok.RenderChat(userOnly, true); err == nil || !strings.Contains(err.Error(), file) {
		t.Fatalf("RenderChat: %v", err)
	}
	if _, err := tok.ChatText(userOnly, true); err == nil {
		t.Fatal("ChatText: no error")
	}
	// A Llama 3 template on a tokenizer without Llama 3's tokens.
	tok, _ = hfDir(t, base, withTemplate(llama3Template), "")
	if _, err := tok.ChatFormat(); err == nil || !strings.Contains(err.Error(), "<|start_header_id|>") {
		t.Fatalf("Llama 3 template on a ChatML tokenizer: %v", err)
	}
	if src, ok := tok.ChatTemplate(); !ok || src != llama3Template {
		t.Fatalf("ChatTemplate: %q, %v", src, ok)
	}
	if _, ok := base.ChatTemplate(); ok {
		t.Fatal("ChatTemplate of a tokenizer without tokenizer_config.json")
	}
	// A template list picks "default"; one without it is an error.
	list, _ := json.Marshal(map[string]any{"chat_template": []map[string]string{{"name": "tool_use", "template": gemmaTemplate}, {"name": "default", "template": alignChatMLTemplate}}})
	tok, _ = hfDir(t, base, string(list), "")
	if f, err := tok.ChatFormat(); err != nil || f.Name != ChatML {
		t.Fatalf("template list: %+v, %v", f, err)
	}
	// No chat_template: the format follows the tokens.
	tok, _ = hfDir(t, base, `{"eos_token": "<|im_end|>"}`, "")
	if f, err := tok.ChatFormat(); err != nil || f.Name != ChatML {
		t.Fatalf("no template: %+v, %v", f, err)
	}
	// Malformed files and ids that are not tokens fail the load, naming the file.
	for _, c := range []struct{ config, gen, want string }{
		{`{"chat_template": 3}`, "", TokenizerConfigFile + ": chat_template"},
		{`{"chat_template": `, "", TokenizerConfigFile + ": truncated JSON"},
		{"", `{"eos_token_id": 5000}`, GenerationConfigFile + ": eos_token_id: 5000 is not a token"},
		{"", `{"eos_token_id": "x"}`, GenerationConfigFile + ": eos_token_id: want"},
		{"", `{"bos_token_id": -1}`, GenerationConfigFile + ": bos_token_id: -1 is not a token"},
	} {
		dir := t.TempDir()
		if err := base.Save(filepath.Join(dir, "tokenizer.json")); err != nil {
			t.Fatal(err)
		}
		if c.config != "" {
			os.WriteFile(filepath.Join(dir, TokenizerConfigFile), []byte(c.config), 0o644)
		}
		if c.gen != "" {
			os.WriteFile(filepath.Join(dir, GenerationConfigFile), []byte(c.gen), 0o644)
		}
		if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: %v, want %q", c.config, c.gen, err, c.want)
		}
	}
}

// TestQwen3DirChatMatchesHF loads the Qwen3 model directory (tokenizer.json
// and its real tokenizer_config.json) and checks the rendered ids against HF's
// encoding of the text the template produces, written out by hand.
func TestQwen3DirChatMatchesHF(t *testing.T) {
	dir := filepath.Dir(asset(t, qwen3JSON))
	asset(t, filepath.Join(filepath.Dir(qwen3JSON), TokenizerConfigFile))
	tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tok.chat == nil || tok.chat.err != nil || !tok.chat.think || tok.chat.defaultSystem != "" {
		t.Fatalf("Qwen3's template read as %+v", tok.chat)
	}
	msgs := []Message{
		{Role: "system", Content: "You are a helpful assistant."},
		{Role: "user", Content: "What is the capital of France?"},
		{Role: "assistant", Content: "<think>\nEasy.\n</think>\n\nParis."},
		{Role: "user", Content: "And of Italy?"},
		{Role: "assistant", Content: "Rome."},
	}
	cases := []struct {
		msgs []Message
		gen  bool
		want string
	}{
		{msgs[1:2], true, "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"},
		{msgs[:2], true, "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"},
		{msgs, false, "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is the capital of France?<|im_end|>\n" +
			"<|im_start|>assistant\nParis.<|im_end|>\n<|im_start|>user\nAnd of Italy?<|im_end|>\n" +
			"<|im_start|>assistant\n<think>\n\n</think>\n\nRome.<|im_end|>\n"},
	}
	var texts []string
	for _, c := range cases {
		texts = append(texts, c.want)
	}
	hf, _ := hfEncode(t, asset(t, qwen3JSON), texts)
	for i, c := range cases {
		text, err := tok.ChatText(c.msgs, c.gen)
		if err != nil || text != c.want {
			t.Fatalf("case %d: ChatText %q (%v)\nwant %q", i, text, err, c.want)
		}
		ids, _, err := tok.RenderChat(c.msgs, c.gen)
		if err != nil || !reflect.DeepEqual(ids, hf[i]) {
			t.Fatalf("case %d: RenderChat %v (%v)\nHF %v", i, ids, err, hf[i])
		}
	}
}

// TestChatMatchesJinja renders conversations with the templates above and
// Qwen3's and Qwen2's real ones (not under -short) through Jinja2 (python3-jinja2, run as transformers runs
// templates) and checks that ChatText gives the same text. Skipped where
// python3 with jinja2 is not installed.
func TestChatMatchesJinja(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err == nil {
		err = exec.Command(python, "-c", "import jinja2").Run()
	}
	if err != nil {
		t.Skip("python3 with jinja2 is not installed (apt-get install python3-jinja2)")
	}
	llama, _, _, _, _, _, _ := llamaTokenizer(t)
	chatml, _, _, _ := chatMLTokenizer(t, "<think>", "</think>")
	templates := []struct {
		tok      *Tokenizer
		template string
	}{{llama, llama3Template}, {llama, llama31Template}, {chatml, qwen25Template}, {chatml, smolLM2Template},
		{chatml, alignChatMLTemplate}}
	if !testing.Short() {
		data, err := os.ReadFile(filepath.Join(filepath.Dir(asset(t, qwen3JSON)), TokenizerConfigFile))
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			ChatTemplate string `json:"chat_template"`
		}
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatal(err)
		}
		for _, tm := range []string{c.ChatTemplate, qwen2GGUFTemplate(t)} {
			templates = append(templates, struct {
				tok      *Tokenizer
				template string
			}{chatml, tm})
		}
	}
	convs := [][]Message{sysUser, userOnly, multi, conversationTrimmed,
		{{Role: "system", Content: "\x1f\u3000sys\u00a0\n"}, {Role: "user", Content: "\x1c\t Hi \u2028"}},
		{{Role: "user", Content: "Hi"}, {Role: "assistant", Content: "<think>\nhm\n</think>\n\nHello!"}, {Role: "user", Content: "Bye"}, {Role: "assistant", Content: "<think>\n\nfarewell\n</think>See you."}}}
	type jcase struct {
		Template string    `json:"template"`
		Messages []Message `json:"messages"`
		Gen      bool      `json:"add_generation_prompt"`
		BOS      string    `json:"bos_token"`
		EOS      string    `json:"eos_token"`
	}
	var cases []jcase
	var ours []string
	for _, tm := range templates {
		tok, _ := hfDir(t, tm.tok, withTemplate(tm.template), "")
		for _, m := range convs {
			for _, gen := range []bool{false, true} {
				text, err := tok.ChatText(m, gen)
				if err != nil {
					t.Fatal(err)
				}
				cases = append(cases, jcase{tm.template, m, gen, "<|begin_of_text|>", "<|endoftext|>"})
				ours = append(ours, text)
			}
		}
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.json"), filepath.Join(dir, "out.json")
	data, _ := json.Marshal(cases)
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command(python, filepath.Join("..", "testdata", "tokenizer", "render_jinja.py"), in, out).CombinedOutput(); err != nil {
		t.Fatalf("render_jinja.py: %v\n%s", err, msg)
	}
	var jinja []string
	if data, err = os.ReadFile(out); err != nil || json.Unmarshal(data, &jinja) != nil || len(jinja) != len(cases) {
		t.Fatalf("render_jinja.py output: %v", err)
	}
	for i, c := range cases {
		if ours[i] != jinja[i] {
			t.Errorf("template %.40q, %d messages, generation prompt %v:\nours  %q\njinja %q", c.Template, len(c.Messages), c.Gen, ours[i], jinja[i])
		}
	}
	t.Logf("%d renderings identical to Jinja's", len(cases))
}
