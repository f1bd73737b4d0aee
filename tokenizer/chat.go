package tokenizer

import (
	"errors"
	"fmt"
	"strings"
)

// Message is one turn of a conversation, as in the {"messages": [...]} data format.
type Message struct {
	Role    string `json:"role"` // "system", "user" or "assistant"
	Content string `json:"content"`
}

// Chat formats (see the package doc).
const (
	ChatML    = "chatml"
	ChatPlain = "plain"
)

// ChatFormat tells how a tokenizer renders conversations and where generation
// stops.
type ChatFormat struct {
	Name      string // ChatML or ChatPlain
	EndOfTurn int    // the id that closes every turn: the EOS of a reply
	Stop      []int  // ids that end generation: EndOfTurn, and <|endoftext|> if it differs
}

// ChatFormat returns the tokenizer's chat format: ChatML when it has the
// <|im_start|> and <|im_end|> tokens, else the plain format, which needs
// <|endoftext|>.
func (t *Tokenizer) ChatFormat() (ChatFormat, error) {
	eot, hasEOT := t.addedBy["<|endoftext|>"]
	_, hasStart := t.addedBy["<|im_start|>"]
	end, hasEnd := t.addedBy["<|im_end|>"]
	switch {
	case hasStart && hasEnd:
		f := ChatFormat{Name: ChatML, EndOfTurn: end, Stop: []int{end}}
		if hasEOT {
			f.Stop = append(f.Stop, eot)
		}
		return f, nil
	case hasEOT:
		return ChatFormat{Name: ChatPlain, EndOfTurn: eot, Stop: []int{eot}}, nil
	}
	return ChatFormat{}, errors.New("tokenizer: chat: the tokenizer has neither <|im_start|>/<|im_end|> nor <|endoftext|>")
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
	var segs []segment
	header := func(role string) {
		if f.Name == ChatML {
			segs = append(segs, segment{id: t.addedBy["<|im_start|>"]}, segment{text: role + "\n", id: -1})
		} else {
			segs = append(segs, segment{text: plainRole[role] + ":\n", id: -1})
		}
	}
	for i, m := range msgs {
		if _, ok := plainRole[m.Role]; !ok {
			return nil, fmt.Errorf("tokenizer: chat: message %d: role %q is not system, user or assistant", i, m.Role)
		}
		a := m.Role == "assistant"
		header(m.Role)
		segs = append(segs,
			segment{text: m.Content, id: -1, assistant: a},
			segment{id: f.EndOfTurn, assistant: a},
			segment{text: "\n", id: -1})
	}
	if addGenerationPrompt {
		header("assistant")
	}
	return segs, nil
}

var plainRole = map[string]string{"system": "System", "user": "User", "assistant": "Assistant"}

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
