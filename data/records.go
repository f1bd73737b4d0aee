package data

import (
	"fmt"
	"strings"
)

// Record is a line of one of the JSONL formats. Every record type of this
// package implements it; a caller may define its own (any JSON-decodable
// struct with these two methods) and use [Read] and [Writer] with it.
type Record interface {
	// Validate reports the first problem with the record's content as a
	// *[FieldError], or nil.
	Validate() error
	// SplitKey is the content that decides the record's split (see
	// [HeldOut]): records with the same key always land on the same side.
	SplitKey() string
}

// Text is a pretraining document: {"text": "..."}.
type Text struct {
	Text string `json:"text"`
}

// Message is one turn of a conversation.
type Message struct {
	Role    string `json:"role"` // "system", "user" or "assistant"
	Content string `json:"content"`
}

// SFT is a supervised fine-tuning example, either {"prompt", "completion"} or
// {"messages": [...]} (conversational, last message from the assistant).
type SFT struct {
	Prompt     string    `json:"prompt,omitempty"`
	Completion string    `json:"completion,omitempty"`
	Messages   []Message `json:"messages,omitempty"`
}

// Prompt is a prompt for generation, PPO or evaluation. Tags mark
// "harmful"/"benign", the category and "checkable"; Answer is the reference
// answer of a checkable prompt (an extension of the basic format).
type Prompt struct {
	Prompt string   `json:"prompt"`
	Tags   []string `json:"tags,omitempty"`
	Answer string   `json:"answer,omitempty"`
}

// MaxResponses is the most responses a [Pair] may hold. Labelling compares
// every two responses of a pair, K(K−1)/2 comparisons for K responses (120
// for 16; an LLM judge asks each in both orders), and a ranking's
// comparisons form one batch element of reward training: InstructGPT ranked
// 4 to 9 responses per prompt. Larger sets are better split into several
// pairs of the same prompt.
const MaxResponses = 16

// MaxMargin is the largest "margin" a [Preference] may carry. A margin is in
// reward units: reward training asks r(chosen) − r(rejected) ≥ margin, and a
// reward difference is the log-odds of preferring chosen, so a margin of 10
// already asks for a probability of σ(10) ≈ 0.99995. The judges' margins are
// rating gaps on the 1–10 scale, at most 9. Anything larger only inflates
// the loss (a margin of 10⁶ gives a loss of 10⁶) or overflows it.
const MaxMargin = 10

// Pair is a prompt with two to [MaxResponses] responses to be labelled; more
// than two means a ranking is wanted.
type Pair struct {
	ID        string   `json:"id,omitempty"`
	Prompt    string   `json:"prompt"`
	Responses []string `json:"responses"`
	Tags      []string `json:"tags,omitempty"`
	// Answer is the reference answer of a checkable prompt, carried over
	// from its Prompt record so a judge can check correctness.
	Answer string `json:"answer,omitempty"`
}

// Preference is a labelled comparison: chosen is preferred over rejected.
type Preference struct {
	// ID names the ranking the comparison came from: labelling writes the
	// id of the pair (see [PairID]) on each of its K(K−1)/2 comparisons, and
	// reward training groups the records that share an id and a prompt into
	// one batch element. A record without an id stands alone.
	ID       string   `json:"id,omitempty"`
	Prompt   string   `json:"prompt"`
	Chosen   string   `json:"chosen"`
	Rejected string   `json:"rejected"`
	Ratings  *Ratings `json:"ratings,omitempty"`
	// PChosen is a soft label, the probability that chosen is better (0..1).
	PChosen *float64 `json:"p_chosen,omitempty"`
	// Source is "human:<annotator>" or "ai:<judge>@<constitution-version>".
	Source string `json:"source,omitempty"`
	// Margin is how much better chosen is, in [0, MaxMargin], as in Llama
	// 2's margin loss.
	Margin *float64 `json:"margin,omitempty"`
	Tags   []string `json:"tags,omitempty"`
}

// Ratings holds absolute ratings of the two responses of a [Preference].
type Ratings struct {
	Chosen   *Rating `json:"chosen,omitempty"`
	Rejected *Rating `json:"rejected,omitempty"`
}

// Rating scores one response from 1 (worst) to 10 (best) on three axes.
// A rating that is present must have all three scores.
type Rating struct {
	Coherence int `json:"coherence"`
	Relevance int `json:"relevance"`
	Safety    int `json:"safety"`
}

// FieldError is a problem with one field of a record. Field is a JSON path
// such as "p_chosen", "messages[2].role" or "ratings.chosen.safety"; it is
// empty for problems with the line as a whole.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return fmt.Sprintf("field %q: %s", e.Field, e.Msg)
}

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate implements [Record].
func (t Text) Validate() error { return required("text", t.Text) }

// SplitKey implements [Record]: the text itself.
func (t Text) SplitKey() string { return t.Text }

// Validate implements [Record].
func (s SFT) Validate() error {
	if len(s.Messages) == 0 {
		if s.Prompt == "" && s.Completion == "" {
			return fieldErr("prompt", "is missing or empty (an SFT record needs prompt and completion, or messages)")
		}
		if err := required("prompt", s.Prompt); err != nil {
			return err
		}
		return required("completion", s.Completion)
	}
	if s.Prompt != "" || s.Completion != "" {
		return fieldErr("messages", "cannot be combined with prompt or completion")
	}
	for i, m := range s.Messages {
		path := fmt.Sprintf("messages[%d]", i)
		switch m.Role {
		case "system", "user", "assistant":
		default:
			return fieldErr(path+".role", "%q is not one of system, user, assistant", m.Role)
		}
		if err := required(path+".content", m.Content); err != nil {
			return err
		}
	}
	if last := s.Messages[len(s.Messages)-1]; last.Role != "assistant" {
		return fieldErr(fmt.Sprintf("messages[%d].role", len(s.Messages)-1),
			"the last message is from %q, want \"assistant\"", last.Role)
	}
	return nil
}

// SplitKey implements [Record]: the prompt, or the conversation before the
// final assistant message.
func (s SFT) SplitKey() string {
	if len(s.Messages) == 0 {
		return s.Prompt
	}
	var b strings.Builder
	for _, m := range s.Messages[:len(s.Messages)-1] {
		b.WriteString(m.Role)
		b.WriteString(": ")
		b.WriteString(m.Content)
		b.WriteString("\n")
	}
	return b.String()
}

// Validate implements [Record].
func (p Prompt) Validate() error {
	if err := required("prompt", p.Prompt); err != nil {
		return err
	}
	if err := validTags("tags", p.Tags); err != nil {
		return err
	}
	return validUTF8("answer", p.Answer)
}

// SplitKey implements [Record]: the prompt.
func (p Prompt) SplitKey() string { return p.Prompt }

// Validate implements [Record].
func (p Pair) Validate() error {
	if err := validUTF8("id", p.ID); err != nil {
		return err
	}
	if err := required("prompt", p.Prompt); err != nil {
		return err
	}
	if len(p.Responses) < 2 {
		return fieldErr("responses", "has %d responses, want at least 2", len(p.Responses))
	}
	if k := len(p.Responses); k > MaxResponses {
		return fieldErr("responses", "has %d responses, at most %d: every two responses are compared (%d comparisons for %d); split them into pairs of at most %d responses to the same prompt",
			k, MaxResponses, k*(k-1)/2, k, MaxResponses)
	}
	for i, r := range p.Responses {
		if err := required(fmt.Sprintf("responses[%d]", i), r); err != nil {
			return err
		}
	}
	if err := validUTF8("answer", p.Answer); err != nil {
		return err
	}
	return validTags("tags", p.Tags)
}

// SplitKey implements [Record]: the prompt, so that all responses to one
// prompt stay on one side.
func (p Pair) SplitKey() string { return p.Prompt }

// Validate implements [Record].
func (p Preference) Validate() error {
	if err := validUTF8("id", p.ID); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"prompt", p.Prompt}, {"chosen", p.Chosen}, {"rejected", p.Rejected}} {
		if err := required(f.name, f.v); err != nil {
			return err
		}
	}
	if p.Chosen == p.Rejected {
		return fieldErr("rejected", "is identical to chosen")
	}
	if p.Ratings != nil {
		if err := p.Ratings.Chosen.validate("ratings.chosen"); err != nil {
			return err
		}
		if err := p.Ratings.Rejected.validate("ratings.rejected"); err != nil {
			return err
		}
	}
	// Written as !(in range) so that a NaN, which JSON cannot carry but a
	// record built in code can, is refused too.
	if p.PChosen != nil && !(*p.PChosen >= 0 && *p.PChosen <= 1) {
		return fieldErr("p_chosen", "%s is outside [0, 1]", fmtFloat(*p.PChosen))
	}
	if p.Margin != nil {
		switch m := *p.Margin; {
		case m < 0:
			return fieldErr("margin", "%s is negative (swap chosen and rejected instead)", fmtFloat(m))
		case !(m <= MaxMargin):
			return fieldErr("margin", "%s is outside [0, %d]: a margin is a reward difference, the log-odds of preferring chosen (10 means 99.995%%); rating gaps on the 1-10 scale are at most 9",
				fmtFloat(m), MaxMargin)
		}
	}
	if err := validSource(p.Source); err != nil {
		return err
	}
	return validTags("tags", p.Tags)
}

// SplitKey implements [Record]: the prompt, so that the same prompt never
// lands in both the training and the held-out set.
func (p Preference) SplitKey() string { return p.Prompt }

func (r *Rating) validate(path string) error {
	if r == nil {
		return nil
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"coherence", r.Coherence}, {"relevance", r.Relevance}, {"safety", r.Safety}} {
		if f.v < 1 || f.v > 10 {
			return fieldErr(path+"."+f.name, "%d is outside [1, 10]", f.v)
		}
	}
	return nil
}

// validSource checks "human:<id>" or "ai:<judge>@<version>"; empty is allowed.
func validSource(s string) error {
	if s == "" {
		return nil
	}
	if err := validUTF8("source", s); err != nil {
		return err
	}
	if id, ok := strings.CutPrefix(s, "human:"); ok && id != "" {
		return nil
	}
	if rest, ok := strings.CutPrefix(s, "ai:"); ok {
		judge, version, found := strings.Cut(rest, "@")
		if found && judge != "" && version != "" {
			return nil
		}
	}
	return fieldErr("source", "%q is neither \"human:<id>\" nor \"ai:<judge>@<version>\"", s)
}

func validTags(path string, tags []string) error {
	for i, t := range tags {
		if err := required(fmt.Sprintf("%s[%d]", path, i), t); err != nil {
			return err
		}
	}
	return nil
}
