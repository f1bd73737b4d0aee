package data

import (
	"fmt"
	"math"
	"reflect"
	"testing"
)

func manyPrompts(from, to int) []Prompt {
	var out []Prompt
	for i := from; i < to; i++ {
		out = append(out, Prompt{Prompt: fmt.Sprintf("prompt number %d", i)})
	}
	return out
}

func TestSplitStableWhenAppending(t *testing.T) {
	first := manyPrompts(0, 1000)
	_, held1 := Split(first, 0.1)
	all := append(append([]Prompt{}, first...), manyPrompts(1000, 3000)...)
	_, held2 := Split(all, 0.1)
	// The held-out records among the first 1000 are the same as before.
	var heldOfFirst []Prompt
	for _, p := range held2 {
		var n int
		fmt.Sscanf(p.Prompt, "prompt number %d", &n)
		if n < 1000 {
			heldOfFirst = append(heldOfFirst, p)
		}
	}
	if !reflect.DeepEqual(held1, heldOfFirst) {
		t.Errorf("held-out set of the first records changed: %d vs %d", len(held1), len(heldOfFirst))
	}
	if f := float64(len(held2)) / 3000; math.Abs(f-0.1) > 0.02 {
		t.Errorf("held-out fraction %.3f, want about 0.1", f)
	}
}

func TestSplitMonotoneInFraction(t *testing.T) {
	for _, p := range manyPrompts(0, 2000) {
		if HeldOut(p.Prompt, 0.05) && !HeldOut(p.Prompt, 0.2) {
			t.Fatalf("%q held out at 5%% but not at 20%%", p.Prompt)
		}
	}
	if HeldOut("x", 0) || !HeldOut("x", 1) {
		t.Error("fractions 0 and 1 are not none and all")
	}
}

func TestSplitKeepsPromptTogether(t *testing.T) {
	var prefs []Preference
	for i := 0; i < 200; i++ {
		for j := 0; j < 3; j++ {
			prefs = append(prefs, Preference{Prompt: fmt.Sprintf("Question %d?", i),
				Chosen: fmt.Sprint("good ", j), Rejected: fmt.Sprint("bad ", j)})
		}
	}
	train, held := Split(prefs, 0.3)
	inTrain := map[string]bool{}
	for _, p := range train {
		inTrain[p.Prompt] = true
	}
	for _, p := range held {
		if inTrain[p.Prompt] {
			t.Fatalf("prompt %q on both sides", p.Prompt)
		}
	}
	// The key is canonical: case and spacing do not matter.
	if HeldOut("Question  1?", 0.5) != HeldOut("question 1?", 0.5) {
		t.Error("split key is not canonical")
	}
	// SFT conversations split on everything but the final answer.
	a := SFT{Messages: []Message{{"user", "hi"}, {"assistant", "one"}}}
	b := SFT{Messages: []Message{{"user", "hi"}, {"assistant", "two"}}}
	if a.SplitKey() != b.SplitKey() || a.SplitKey() == (SFT{Messages: []Message{{"user", "ho"}, {"assistant", "x"}}}).SplitKey() {
		t.Error("SFT split keys")
	}
}

func TestDedupe(t *testing.T) {
	in := []Pair{
		{Prompt: "a", Responses: []string{"x", "y"}},
		{Prompt: "a", Responses: []string{"y", "x"}},
		{Prompt: "a", Responses: []string{"x", "y"}},
		{Prompt: "a", Responses: []string{"x", "y"}, Tags: []string{"t"}},
		{Prompt: "b", Responses: []string{"x", "y"}},
		{Prompt: "b", Responses: []string{"x", "y"}},
	}
	out, removed := Dedupe(in)
	want := []Pair{in[0], in[1], in[3], in[4]}
	if removed != 2 || !reflect.DeepEqual(out, want) {
		t.Errorf("Dedupe = %v, %d", out, removed)
	}
	var d Dedup
	if d.Seen(Text{"a"}) || !d.Seen(Text{"a"}) || d.Seen(Text{"b"}) || d.Len() != 2 {
		t.Error("Dedup.Seen")
	}
}
