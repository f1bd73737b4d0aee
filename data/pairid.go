package data

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// PairID is the id a pair's preferences carry: its own id, else a hash of
// its prompt and responses. Generation stamps it on every pair, and a
// resumed labelling skips pairs whose id is already in the output.
func PairID(p Pair) string {
	if p.ID != "" {
		return p.ID
	}
	h := sha256.New()
	for _, s := range append([]string{p.Prompt}, p.Responses...) {
		fmt.Fprintf(h, "%d:%s\x00", len(s), s)
	}
	return "pair-" + hex.EncodeToString(h.Sum(nil))[:16]
}
