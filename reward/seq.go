package reward

import (
	"fmt"
	"slices"

	"github.com/align-project/align/tokenizer"
)

// Sequence returns the scored token sequence of a prompt and a response
// given as ids: promptIDs must be the rendered prompt ending with the
// assistant header (tokenizer.RenderChat with addGenerationPrompt), as PPO
// samples from. A trailing id of stop (the sample's stop token, if any) is
// removed from the response and eos appended, so a reply is scored the same
// whether or not it stopped by itself. When the result would exceed maxLen
// (> 1), the response is cut at its end and, if still too long, the prompt at
// its beginning; the final token is always eos.
func Sequence(promptIDs, responseIDs []int, eos int, stop []int, maxLen int) []int32 {
	resp := responseIDs
	if n := len(resp); n > 0 && (resp[n-1] == eos || slices.Contains(stop, resp[n-1])) {
		resp = resp[:n-1]
	}
	prompt := promptIDs
	if maxLen > 1 {
		room := maxLen - 1
		if len(prompt) > room {
			prompt = prompt[len(prompt)-room:]
		}
		if len(prompt)+len(resp) > room {
			resp = resp[:room-len(prompt)]
		}
	}
	out := make([]int32, 0, len(prompt)+len(resp)+1)
	for _, id := range prompt {
		out = append(out, int32(id))
	}
	for _, id := range resp {
		out = append(out, int32(id))
	}
	return append(out, int32(eos))
}

// Encoder turns text pairs into scored sequences with one tokenizer: the
// prompt as a user turn with the chat template, the response after it, cut
// to a longest length as Sequence cuts. The reward model and DPO share it,
// so a preference pair is the same token sequence for both.
type Encoder struct {
	tok    *tokenizer.Tokenizer
	eos    int
	stop   []int
	maxLen int
}

// NewEncoder returns the encoder of tok for sequences of at most maxLen
// tokens (≤ 1: no limit).
func NewEncoder(tok *tokenizer.Tokenizer, maxLen int) (Encoder, error) {
	f, err := tok.ChatFormat()
	if err != nil {
		return Encoder{}, err
	}
	return Encoder{tok: tok, eos: f.EndOfTurn, stop: f.Stop, maxLen: maxLen}, nil
}

// Prompt renders prompt as a user turn followed by the assistant header.
func (e Encoder) Prompt(prompt string) ([]int, error) {
	ids, _, err := e.tok.RenderChat([]tokenizer.Message{{Role: "user", Content: prompt}}, true)
	if err != nil {
		return nil, fmt.Errorf("render prompt: %w", err)
	}
	return ids, nil
}

// Encode returns the sequence of (prompt, response); see Sequence.
func (e Encoder) Encode(prompt, response string) ([]int32, error) {
	p, err := e.Prompt(prompt)
	if err != nil {
		return nil, err
	}
	seq, _ := e.EncodeResponse(p, response)
	return seq, nil
}

// EncodeResponse returns the sequence of a rendered prompt (from Prompt)
// and a response, and how many of its tokens are the prompt's: the tokens
// from promptLen on are the response and the closing end of turn, the part
// whose log-probability DPO trains.
func (e Encoder) EncodeResponse(promptIDs []int, response string) (seq []int32, promptLen int) {
	seq = Sequence(promptIDs, e.tok.Encode(response), e.eos, nil, e.maxLen)
	promptLen = len(promptIDs)
	if e.maxLen > 1 {
		promptLen = min(promptLen, e.maxLen-1) // Sequence keeps room for the end of turn
	}
	return seq, promptLen
}
