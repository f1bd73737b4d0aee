package data

import "testing"

func TestPairID(t *testing.T) {
	p := Pair{Prompt: "Say a word.", Responses: []string{"ab", "c"}}
	id := PairID(p)
	// Preferences already labelled carry this id: it must never change.
	if id != "pair-6082fdac67e581bd" {
		t.Errorf("PairID = %q", id)
	}
	if other := PairID(Pair{Prompt: "Say a word.", Responses: []string{"a", "bc"}}); other == id {
		t.Error("responses split differently give the same id")
	}
	p.ID = "mine"
	if PairID(p) != "mine" {
		t.Errorf("a pair's own id is not kept: %q", PairID(p))
	}
}
