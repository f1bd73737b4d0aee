package tokenizer

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Message is one turn of a conversation, as in the {"messages": [...]} data format.
type Message struct {
	Role    string `json:"role"` // "system", "user" or "assistant"
	Content string `json:"content"`
}

// Chat formats (see the package doc).
const (
	ChatML     = "chatml"
	ChatPlain  = "plain"
	ChatLlama3 = "llama3"
)

// ChatFormat tells how a tokenizer renders conversations and where generation
// stops.
type ChatFormat struct {
	Name      string // ChatML, ChatLlama3 or ChatPlain
	EndOfTurn int    // the id that closes every turn: the EOS of a reply
	// Stop holds the ids that end generation: EndOfTurn, then <|endoftext|>
	// (ChatML) or <|end_of_text|> (Llama 3) if the tokenizer has it and it
	// differs, then any other eos_token_id of generation_config.json.
	Stop []int
	// BOS is generation_config.json's bos_token_id, else the id Llama 3
	// conversations start with (<|begin_of_text|>), else -1.
	BOS int
}

// ChatFormat returns the tokenizer's chat format. A tokenizer loaded with a
// tokenizer_config.json whose chat_template Load recognised uses that
// template's format; one whose template Load could not recognise has no chat
// format (the error says so). Otherwise the format follows the special tokens:
// ChatML when the tokenizer has <|im_start|> and <|im_end|>, else Llama 3 when it
// has <|start_header_id|>, <|end_header_id|> and <|eot_id|>, else the plain
// format, which needs <|endoftext|>.
func (t *Tokenizer) ChatFormat() (ChatFormat, error) {
	f, err := t.baseChatFormat()
	if err != nil {
		return ChatFormat{}, err
	}
	f.BOS = -1
	if f.Name == ChatLlama3 {
		f.BOS = t.llamaBOS()
	}
	if g := t.gen; g != nil {
		for _, id := range g.eos {
			if !slices.Contains(f.Stop, id) {
				f.Stop = append(f.Stop, id)
			}
		}
		if g.bos >= 0 {
			f.BOS = g.bos
		}
	}
	return f, nil
}

// baseChatFormat is the chat format before generation_config.json adds to it.
func (t *Tokenizer) baseChatFormat() (ChatFormat, error) {
	name := ""
	if c := t.chat; c != nil {
		if c.err != nil {
			return ChatFormat{}, c.err
		}
		name = c.format
	}
	eot, hasEOT := t.addedBy["<|endoftext|>"]
	_, hasStart := t.addedBy["<|im_start|>"]
	end, hasEnd := t.addedBy["<|im_end|>"]
	_, hasHeader := t.addedBy["<|start_header_id|>"]
	_, hasHeaderEnd := t.addedBy["<|end_header_id|>"]
	eotID, hasEotID := t.addedBy["<|eot_id|>"]
	if name == "" {
		switch {
		case hasStart && hasEnd:
			name = ChatML
		case hasHeader && hasHeaderEnd && hasEotID:
			name = ChatLlama3
		case hasEOT:
			name = ChatPlain
		default:
			return ChatFormat{}, errors.New("tokenizer: chat: the tokenizer has neither <|im_start|>/<|im_end|>, nor Llama 3's <|start_header_id|>/<|end_header_id|>/<|eot_id|>, nor <|endoftext|>")
		}
	}
	// A recognised template names the format; the tokenizer must still have
	// its tokens.
	missing := func(tokens string) error {
		return fmt.Errorf("tokenizer: chat: %s: the %s chat template needs %s, which the tokenizer lacks", t.chat.source, name, tokens)
	}
	switch name {
	case ChatML:
		if !hasStart || !hasEnd {
			return ChatFormat{}, missing("<|im_start|> and <|im_end|>")
		}
		f := ChatFormat{Name: ChatML, EndOfTurn: end, Stop: []int{end}}
		if hasEOT {
			f.Stop = append(f.Stop, eot)
		}
		return f, nil
	case ChatLlama3:
		if !hasHeader || !hasHeaderEnd || !hasEotID {
			return ChatFormat{}, missing("<|start_header_id|>, <|end_header_id|> and <|eot_id|>")
		}
		if t.chat != nil && t.chat.bos && t.llamaBOS() < 0 {
			return ChatFormat{}, missing("its bos_token")
		}
		f := ChatFormat{Name: ChatLlama3, EndOfTurn: eotID, Stop: []int{eotID}}
		if id, ok := t.addedBy["<|end_of_text|>"]; ok && id != eotID {
			f.Stop = append(f.Stop, id)
		}
		return f, nil
	}
	if !hasEOT {
		return ChatFormat{}, missing("<|endoftext|>")
	}
	return ChatFormat{Name: ChatPlain, EndOfTurn: eot, Stop: []int{eot}}, nil
}

// llamaBOS is the id a Llama 3 conversation starts with: tokenizer_config.json's
// bos_token, else <|begin_of_text|>; -1 if the tokenizer has neither.
func (t *Tokenizer) llamaBOS() int {
	name := "<|begin_of_text|>"
	if t.chat != nil && t.chat.bosToken != "" {
		name = t.chat.bosToken
	}
	if id, ok := t.TokenID(name); ok {
		return id
	}
	return -1
}

// segment is a piece of a rendered conversation: text to encode or one token id.
type segment struct {
	text      string
	id        int // -1 for text
	assistant bool
}

func (t *Tokenizer) chatSegments(msgs []Message, addGenerationPrompt bool) ([]segment, error) {
	f, err := t.ChatFormat()
	if err != nil {
		return nil, err
	}
	if len(msgs) == 0 && !addGenerationPrompt {
		return nil, errors.New("tokenizer: chat: no messages")
	}
	for i, m := range msgs {
		if _, ok := plainRole[m.Role]; !ok {
			return nil, fmt.Errorf("tokenizer: chat: message %d: role %q is not system, user or assistant", i, m.Role)
		}
	}
	tmpl := t.chat
	if tmpl == nil {
		tmpl = &chatTemplate{format: f.Name, bos: f.Name == ChatLlama3 && t.llamaBOS() >= 0}
	}
	switch f.Name {
	case ChatLlama3:
		return t.llama3Segments(msgs, addGenerationPrompt, f, tmpl), nil
	case ChatML:
		return t.chatMLSegments(msgs, addGenerationPrompt, f, tmpl), nil
	}
	var segs []segment
	for _, m := range msgs {
		a := m.Role == "assistant"
		segs = append(segs,
			segment{text: plainRole[m.Role] + ":\n", id: -1},
			segment{text: m.Content, id: -1, assistant: a},
			segment{id: f.EndOfTurn, assistant: a},
			segment{text: "\n", id: -1})
	}
	if addGenerationPrompt {
		segs = append(segs, segment{text: "Assistant:\n", id: -1})
	}
	return segs, nil
}

var plainRole = map[string]string{"system": "System", "user": "User", "assistant": "Assistant"}

// chatMLSegments renders <|im_start|>role\ncontent<|im_end|>\n turns, with the
// template's default system turn and Qwen3's thinking blocks.
func (t *Tokenizer) chatMLSegments(msgs []Message, addGenerationPrompt bool, f ChatFormat, tmpl *chatTemplate) []segment {
	start := t.addedBy["<|im_start|>"]
	var segs []segment
	header := func(role string) {
		segs = append(segs, segment{id: start}, segment{text: role + "\n", id: -1})
	}
	end := func(a bool) {
		segs = append(segs, segment{id: f.EndOfTurn, assistant: a}, segment{text: "\n", id: -1})
	}
	turn := func(role, content string, a bool) {
		header(role)
		segs = append(segs, segment{text: content, id: -1, assistant: a})
		end(a)
	}
	// Qwen3's <think> and </think> are tokens: written as ids, as HF's
	// tokenizer would match them in the rendered text, the reasoning between
	// them staying text.
	tag := func(s string) segment {
		if id, ok := t.addedBy[s]; ok {
			return segment{id: id, assistant: true}
		}
		return segment{text: s, id: -1, assistant: true}
	}
	if tmpl.defaultSystem != "" && len(msgs) > 0 && msgs[0].Role != "system" {
		turn("system", tmpl.defaultSystem, false)
	}
	lastQuery := len(msgs) - 1
	if tmpl.think {
		lastQuery = qwen3LastQuery(msgs)
	}
	for i, m := range msgs {
		if m.Role != "assistant" || !tmpl.think {
			turn(m.Role, m.Content, m.Role == "assistant")
			continue
		}
		content, reasoning := splitThinking(m.Content)
		if i <= lastQuery || (i != len(msgs)-1 && reasoning == "") {
			turn(m.Role, content, true) // earlier replies lose their reasoning
			continue
		}
		header(m.Role)
		segs = append(segs, tag("<think>"), segment{text: "\n" + strings.Trim(reasoning, "\n") + "\n", id: -1, assistant: true},
			tag("</think>"), segment{text: "\n\n" + strings.TrimLeft(content, "\n"), id: -1, assistant: true})
		end(true)
	}
	if addGenerationPrompt {
		segs = append(segs, segment{id: start}, segment{text: "assistant\n", id: -1})
	}
	return segs
}

// qwen3LastQuery is the index of the last user message that is not a wrapped
// tool response, as Qwen3's template finds it (len(msgs)-1 when there is none).
func qwen3LastQuery(msgs []Message) int {
	for i := len(msgs) - 1; i >= 0; i-- {
		c := msgs[i].Content
		if msgs[i].Role == "user" && !(strings.HasPrefix(c, "<tool_response>") && strings.HasSuffix(c, "</tool_response>")) {
			return i
		}
	}
	return len(msgs) - 1
}

// splitThinking separates a Qwen3 reply written as "<think>r</think>answer"
// into its answer and its reasoning, trimmed of newlines as the template trims
// them. Content without </think> is all answer.
func splitThinking(content string) (answer, reasoning string) {
	before, _, ok := strings.Cut(content, "</think>")
	if !ok {
		return content, ""
	}
	answer = content[strings.LastIndex(content, "</think>")+len("</think>"):]
	before = strings.TrimRight(before, "\n")
	if i := strings.LastIndex(before, "<think>"); i >= 0 {
		before = before[i+len("<think>"):]
	}
	return strings.TrimLeft(answer, "\n"), strings.TrimLeft(before, "\n")
}

// jinjaTrim is Jinja's trim filter, Python's str.strip(): Go's unicode.IsSpace
// plus the separators U+001C–U+001F, which Python also counts as white space.
func jinjaTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f })
}

// llama3Segments renders <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>
// turns, contents trimmed of surrounding white space as the templates trim them,
// after the BOS and, for Llama 3.1+ templates, the system turn they always open
// with.
func (t *Tokenizer) llama3Segments(msgs []Message, addGenerationPrompt bool, f ChatFormat, tmpl *chatTemplate) []segment {
	start, end := t.addedBy["<|start_header_id|>"], t.addedBy["<|end_header_id|>"]
	var segs []segment
	header := func(role string) {
		segs = append(segs, segment{id: start}, segment{text: role, id: -1}, segment{id: end}, segment{text: "\n\n", id: -1})
	}
	if tmpl.bos && (len(msgs) > 0 || tmpl.alwaysSystem) {
		segs = append(segs, segment{id: t.llamaBOS()})
	}
	if tmpl.alwaysSystem {
		system := ""
		if len(msgs) > 0 && msgs[0].Role == "system" {
			system, msgs = jinjaTrim(msgs[0].Content), msgs[1:]
		}
		header("system")
		segs = append(segs, segment{text: tmpl.systemPreamble + system, id: -1}, segment{id: f.EndOfTurn})
	}
	for _, m := range msgs {
		a := m.Role == "assistant"
		header(m.Role)
		segs = append(segs, segment{text: jinjaTrim(m.Content), id: -1, assistant: a}, segment{id: f.EndOfTurn, assistant: a})
	}
	if addGenerationPrompt {
		header("assistant")
	}
	return segs
}

// RenderChat renders a conversation to token ids and marks which positions belong
// to assistant turns (the reply text and its end-of-turn token): SFT trains only
// on those. With addGenerationPrompt it ends with the assistant header, ready for
// the model to generate a reply, which ends when it produces a ChatFormat.Stop id.
// Special tokens written inside message content are plain text.
func (t *Tokenizer) RenderChat(msgs []Message, addGenerationPrompt bool) (ids []int, assistant []bool, err error) {
	segs, err := t.chatSegments(msgs, addGenerationPrompt)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range segs {
		n := len(ids)
		if s.id >= 0 {
			ids = append(ids, s.id)
		} else {
			ids = t.AppendEncode(ids, s.text, Options{})
		}
		for range len(ids) - n {
			assistant = append(assistant, s.assistant)
		}
	}
	return ids, assistant, nil
}

// ChatText renders a conversation as text: Decode of RenderChat's ids gives
// exactly this string.
func (t *Tokenizer) ChatText(msgs []Message, addGenerationPrompt bool) (string, error) {
	segs, err := t.chatSegments(msgs, addGenerationPrompt)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	for _, s := range segs {
		if s.id >= 0 {
			sb.WriteString(t.pieces[s.id])
		} else {
			sb.WriteString(s.text)
		}
	}
	return sb.String(), nil
}
