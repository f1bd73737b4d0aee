package data

import (
	"fmt"
	"io"
	"strings"
)

// The turn headers of Anthropic's HH-RLHF transcripts.
const (
	hhHuman     = "\n\nHuman:"
	hhAssistant = "\n\nAssistant:"
)

// HH is a line of Anthropic's HH-RLHF data set: two whole transcripts,
// "\n\nHuman: … \n\nAssistant: …", that share their beginning and differ in
// the last assistant turn. Its Validate checks that it splits cleanly.
type HH struct {
	Chosen   string `json:"chosen"`
	Rejected string `json:"rejected"`
}

// Validate implements [Record]: both transcripts are present and
// [SplitHH] can split them.
func (h HH) Validate() error {
	_, err := SplitHH(h.Chosen, h.Rejected)
	return err
}

// SplitKey implements [Record]: the shared prompt.
func (h HH) SplitKey() string {
	p, err := SplitHH(h.Chosen, h.Rejected)
	if err != nil {
		return h.Chosen
	}
	return p.Prompt
}

// Preference splits h; see [SplitHH].
func (h HH) Preference() (Preference, error) { return SplitHH(h.Chosen, h.Rejected) }

// SplitHH turns two HH-RLHF transcripts into a preference. The prompt is the
// longest common prefix cut back to a turn boundary: it ends with the last
// "\n\nAssistant:" header the two share, so a shared first word of the two
// answers stays in the answers. Chosen and rejected are the rest of each
// transcript, without the space after the header. Transcripts that differ
// before their last assistant turn, or whose last answers are empty or equal,
// are errors.
func SplitHH(chosen, rejected string) (Preference, error) {
	if err := required("chosen", chosen); err != nil {
		return Preference{}, err
	}
	if err := required("rejected", rejected); err != nil {
		return Preference{}, err
	}
	if !strings.HasPrefix(chosen, hhHuman) {
		return Preference{}, fieldErr("chosen", "does not start with %q", hhHuman)
	}
	n := 0
	for n < len(chosen) && n < len(rejected) && chosen[n] == rejected[n] {
		n++
	}
	cut := strings.LastIndex(chosen[:n], hhAssistant)
	if cut < 0 {
		return Preference{}, fieldErr("rejected", "shares no %q turn with chosen", hhAssistant)
	}
	cut += len(hhAssistant)
	p := Preference{
		Prompt:   chosen[:cut],
		Chosen:   strings.TrimPrefix(chosen[cut:], " "),
		Rejected: strings.TrimPrefix(rejected[cut:], " "),
	}
	for _, f := range []struct{ name, v string }{{"chosen", p.Chosen}, {"rejected", p.Rejected}} {
		if strings.Contains(f.v, hhHuman) || strings.Contains(f.v, hhAssistant) {
			return Preference{}, fieldErr(f.name, "differs from the other transcript before its last assistant turn")
		}
		if strings.TrimSpace(f.v) == "" {
			return Preference{}, fieldErr(f.name, "has an empty last assistant turn")
		}
	}
	if p.Chosen == p.Rejected {
		return Preference{}, fieldErr("rejected", "is identical to chosen")
	}
	return p, nil
}

// ReadHH streams an HH-RLHF JSONL file as preferences, with the error
// handling of [Read]: lines that do not split are bad lines.
func ReadHH(r io.Reader, name string, opts ReadOptions, fn func(Preference) error) (Report, error) {
	return Read(r, name, opts, func(h HH) error {
		p, err := h.Preference()
		if err != nil {
			return err // cannot happen: Read has validated h
		}
		return fn(p)
	})
}

// ParseHHTranscript splits a transcript ("\n\nHuman: …\n\nAssistant: …")
// into messages with roles "user" and "assistant", contents trimmed. A
// trailing empty assistant header (a prompt) gives no message.
func ParseHHTranscript(s string) ([]Message, error) {
	if !strings.HasPrefix(s, hhHuman) {
		return nil, fmt.Errorf("hh transcript: does not start with %q", hhHuman)
	}
	var msgs []Message
	rest := s
	for rest != "" {
		var role string
		switch {
		case strings.HasPrefix(rest, hhHuman):
			role, rest = "user", rest[len(hhHuman):]
		case strings.HasPrefix(rest, hhAssistant):
			role, rest = "assistant", rest[len(hhAssistant):]
		}
		end := nextHeader(rest)
		content := strings.TrimSpace(rest[:end])
		rest = rest[end:]
		if content == "" && rest == "" && role == "assistant" {
			break
		}
		msgs = append(msgs, Message{Role: role, Content: content})
	}
	return msgs, nil
}

// nextHeader is the index of the next turn header in s, or len(s).
func nextHeader(s string) int {
	end := len(s)
	if i := strings.Index(s, hhHuman); i >= 0 {
		end = i
	}
	if i := strings.Index(s, hhAssistant); i >= 0 && i < end {
		end = i
	}
	return end
}
