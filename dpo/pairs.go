package dpo

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/align-project/align/data"
	"github.com/align-project/align/reward"
)

// Pair is one preference as token sequences: the same prompt followed by
// the chosen and by the rejected response, each closed by the end of turn.
type Pair struct {
	Chosen, Rejected []int32
	PromptLen        int      // tokens of the prompt at the start of both
	PChosen          *float64 // the record's soft label, the probability that Chosen is better; nil for none
}

// EncodePairs turns preference records into pairs with the reward model's
// encoder (its chat rendering and its truncation to a longest length), so
// that DPO and the reward model train on the same sequences. A record whose
// two sequences come out identical (equal responses, or a prompt so long
// that truncation left no response) carries no preference and is skipped;
// skipped counts them.
func EncodePairs(enc reward.Encoder, prefs []data.Preference) (pairs []Pair, skipped int, err error) {
	for i, p := range prefs {
		prompt, err := enc.Prompt(p.Prompt)
		if err != nil {
			return nil, 0, fmt.Errorf("preference %d: %w", i+1, err)
		}
		chosen, plen := enc.EncodeResponse(prompt, p.Chosen)
		rejected, _ := enc.EncodeResponse(prompt, p.Rejected)
		if slices.Equal(chosen, rejected) {
			skipped++
			continue
		}
		pairs = append(pairs, Pair{Chosen: chosen, Rejected: rejected, PromptLen: plen, PChosen: p.PChosen})
	}
	return pairs, skipped, nil
}

// checkPairs reports the first pair that the policy cannot score.
func checkPairs(pairs []Pair, context, vocab int, what string) error {
	for i, p := range pairs {
		for _, s := range [][]int32{p.Chosen, p.Rejected} {
			switch {
			case p.PromptLen < 1 || p.PromptLen >= len(s):
				return fmt.Errorf("dpo: %s pair %d: prompt of %d tokens in a sequence of %d (the response needs at least its end of turn)", what, i, p.PromptLen, len(s))
			case len(s) > context:
				return fmt.Errorf("dpo: %s pair %d: %d tokens exceed the context of %d", what, i, len(s), context)
			}
			for _, id := range s {
				if id < 0 || int(id) >= vocab {
					return fmt.Errorf("dpo: %s pair %d: token %d outside the vocabulary of %d", what, i, id, vocab)
				}
			}
		}
		if p.PChosen != nil && !(*p.PChosen >= 0 && *p.PChosen <= 1) {
			return fmt.Errorf("dpo: %s pair %d: p_chosen %v outside [0, 1]", what, i, *p.PChosen)
		}
	}
	return nil
}

// hashPairs adds the pairs (sequences, prompt lengths and, with targets,
// the soft labels) to a hash.
func hashPairs(h interface{ Write([]byte) (int, error) }, pairs []Pair, targets bool) {
	var buf []byte
	for _, p := range pairs {
		buf = binary.LittleEndian.AppendUint32(buf[:0], uint32(p.PromptLen))
		for _, s := range [][]int32{p.Chosen, p.Rejected} {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(len(s)))
			for _, id := range s {
				buf = binary.LittleEndian.AppendUint32(buf, uint32(id))
			}
		}
		if targets && p.PChosen != nil {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(*p.PChosen))
		}
		h.Write(buf)
	}
}

// dataHash fingerprints the training and held-out pairs with their labels:
// a resumed run must see the data its checkpoint was trained on.
func dataHash(train, held []Pair) string {
	h := sha256.New()
	hashPairs(h, train, true)
	h.Write([]byte{0xff})
	hashPairs(h, held, true)
	return fmt.Sprintf("%x", h.Sum(nil)[:16])
}
