package data

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func TestInstructionsDeterministic(t *testing.T) {
	a, b := Instructions(7), Instructions(7)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different sets")
	}
	if reflect.DeepEqual(a.Train, Instructions(8).Train) {
		t.Error("different seeds, same training set")
	}
	if len(a.Train) < 1000 || len(a.HeldOut) < 300 {
		t.Errorf("%d training and %d held-out examples", len(a.Train), len(a.HeldOut))
	}
}

// TestHeldOutSharesNothing checks the tables and the generated examples: no
// held-out template or vocabulary item is used by any training prompt.
func TestHeldOutSharesNothing(t *testing.T) {
	trainT, trainI := map[string]bool{}, map[string]bool{}
	for _, c := range categories() {
		for _, s := range c.phrasing.Train {
			trainT[s] = true
		}
		for _, it := range c.trainI {
			trainI[it.key] = true
			for _, s := range it.slots {
				trainI[s] = true
			}
		}
	}
	for _, c := range categories() {
		for _, s := range c.phrasing.HeldOut {
			if trainT[s] {
				t.Errorf("%s: held-out template %q is also a training template", c.name, s)
			}
		}
		for _, it := range c.heldI {
			if trainI[it.key] {
				t.Errorf("%s: held-out item %q is also a training item", c.name, it.key)
			}
		}
		if len(c.phrasing.HeldOut) == 0 || len(c.heldI) == 0 {
			t.Errorf("%s has no held-out templates or items", c.name)
		}
	}
	// Held-out vocabulary words never occur in a training prompt.
	set := Instructions(3)
	var trainText strings.Builder
	trainItems, trainTemplates, trainPrompts := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, e := range set.Train {
		trainItems[e.Item], trainTemplates[e.Template], trainPrompts[e.Prompt] = true, true, true
		trainText.WriteString(" " + normalize(e.Prompt) + " ")
		if e.HeldOut {
			t.Fatalf("training example marked held out: %+v", e)
		}
	}
	for _, e := range set.HeldOut {
		if !e.HeldOut || trainItems[e.Item] || trainTemplates[e.Template] || trainPrompts[e.Prompt] {
			t.Errorf("held-out example overlaps training: %+v", e)
		}
		if strings.HasPrefix(e.Category, "add") || e.Category == "subtraction" || e.Category == "multiplication" ||
			e.Category == "count_words" || e.Category == "borderline" {
			continue // numbers and whole sentences: checked by item above
		}
		if k := normalize(e.Item); strings.Contains(trainText.String(), " "+k+" ") {
			t.Errorf("held-out item %q (%s) occurs in a training prompt", e.Item, e.Category)
		}
	}
}

func TestInstructionShares(t *testing.T) {
	set := Instructions(1)
	var harmful, comply, checkable, wrong, benign int
	for _, e := range set.Train {
		if e.Harmful {
			harmful++
			if !LooksLikeRefusal(e.Response) {
				comply++
			}
			continue
		}
		benign++
		if e.Checkable {
			checkable++
			if !Check(e, e.Response) {
				wrong++
			}
		}
	}
	share := float64(comply) / float64(harmful)
	t.Logf("train: %d benign (%d checkable, %d wrong), %d harmful (%.0f%% complied)", benign, checkable, wrong, harmful, 100*share)
	if share < 0.55 || share > 0.75 {
		t.Errorf("harmful compliance in SFT data %.2f, want about %.2f", share, complyShare)
	}
	if w := float64(wrong) / float64(checkable); w < 0.05 || w > 0.16 {
		t.Errorf("wrong share %.2f, want about %.2f", w, wrongShare)
	}
	if h := float64(harmful) / float64(len(set.Train)); h < 0.2 || h > 0.4 {
		t.Errorf("harmful share of training set %.2f", h)
	}
}

func TestInstructionExamplesValid(t *testing.T) {
	set := Instructions(2)
	for _, e := range append(append([]Example{}, set.Train...), set.HeldOut...) {
		if err := e.SFT().Validate(); err != nil {
			t.Fatalf("%+v: %v", e, err)
		}
		p := e.PromptRecord()
		if err := p.Validate(); err != nil {
			t.Fatalf("%+v: %v", e, err)
		}
		if n := len(e.Prompt) + len(e.Response); n > 300 || len(e.Ideal) > 200 {
			t.Errorf("too long for a context of 128 tokens: %q -> %q", e.Prompt, e.Response)
		}
		if e.Harmful {
			if !LooksLikeRefusal(e.Ideal) {
				t.Errorf("ideal answer to a harmful prompt is no refusal: %q", e.Ideal)
			}
			if e.Checkable || e.Answer != "" {
				t.Errorf("harmful example is checkable: %+v", e)
			}
			continue
		}
		if LooksLikeRefusal(e.Ideal) {
			t.Errorf("ideal answer to a benign prompt looks like a refusal: %q", e.Ideal)
		}
		if e.Checkable != (e.Answer != "") {
			t.Errorf("checkable %v with answer %q", e.Checkable, e.Answer)
		}
		if e.Checkable {
			if !Check(e, e.Ideal) {
				t.Errorf("ideal answer fails its check: %q -> %q (answer %q)", e.Prompt, e.Ideal, e.Answer)
			}
			back := ExampleFromPrompt(p)
			if back.Category != e.Category || !back.Checkable || !Check(back, e.Ideal) {
				t.Errorf("ExampleFromPrompt(%+v) = %+v", p, back)
			}
		}
	}
	for _, tmpl := range complianceTemplates {
		if LooksLikeRefusal(tmpl) {
			t.Errorf("compliance text looks like a refusal: %q", tmpl)
		}
	}
	for _, r := range append(append([]string{}, Refusals...), selfHarmRefusals...) {
		if !LooksLikeRefusal(r) {
			t.Errorf("refusal not detected: %q", r)
		}
	}
}

func TestGoldPreferences(t *testing.T) {
	set := Instructions(1)
	prefs := GoldPreferences(set.Train)
	if len(prefs) < len(set.Train)/2 {
		t.Fatalf("%d gold preferences from %d examples", len(prefs), len(set.Train))
	}
	for _, p := range prefs {
		if err := p.Validate(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUnseenPromptsSplit checks the test split: each test example's
// template and item occur in training, never together, and its prompt is
// no training prompt.
func TestUnseenPromptsSplit(t *testing.T) {
	set := Instructions(5)
	if len(set.Test) < 200 {
		t.Fatalf("%d test examples", len(set.Test))
	}
	templates, items, combos, prompts := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	key := func(e Example) string { return e.Category + "\x00" + e.Item }
	for _, e := range set.Train {
		templates[e.Template], items[key(e)] = true, true
		combos[e.Template+"\x00"+key(e)], prompts[e.Prompt] = true, true
	}
	seen := map[string]bool{}
	for _, e := range set.Test {
		seen[e.Category] = true
		switch {
		case !e.Test || e.HeldOut:
			t.Errorf("test example marked Test=%v HeldOut=%v", e.Test, e.HeldOut)
		case !templates[e.Template]:
			t.Errorf("test template %s is not a training template", e.Template)
		case !items[key(e)]:
			t.Errorf("test item %q (%s) is not a training item", e.Item, e.Category)
		case combos[e.Template+"\x00"+key(e)] || prompts[e.Prompt]:
			t.Errorf("test prompt %q combines a template and an item trained together", e.Prompt)
		}
	}
	for _, c := range categories() {
		if !seen[c.name] {
			t.Errorf("no test example of %s", c.name)
		}
	}
	// The split is by combination, so another seed keeps every test
	// combination out of its training set too.
	other := Instructions(6)
	test := map[string]bool{}
	for _, e := range set.Test {
		test[e.Template+"\x00"+key(e)] = true
	}
	for _, e := range other.Train {
		if test[e.Template+"\x00"+key(e)] {
			t.Errorf("seed 6 trains on the test combination %s %q", e.Template, e.Item)
		}
	}
}

// TestWrappersKeepItems checks that the variations people write with
// (openers, context, sign-offs, case, typos) vary the prompts but never
// touch the item a prompt asks about, and that the held-out half's wrappers
// are its own.
func TestWrappersKeepItems(t *testing.T) {
	set := Instructions(1)
	varied := 0
	for _, e := range append(append(append([]Example{}, set.Train...), set.Test...), set.HeldOut...) {
		if !strings.Contains(strings.ToLower(e.Prompt), strings.ToLower(e.Item)) && !strings.Contains(e.Item, ":") {
			t.Errorf("prompt %q lost its item %q", e.Prompt, e.Item)
		}
		if !strings.HasSuffix(e.Prompt, "?") && !strings.HasSuffix(e.Prompt, ".") {
			varied++
		}
	}
	if varied < len(set.Train)/20 {
		t.Errorf("only %d prompts vary their ending", varied)
	}
	for _, e := range set.Train {
		for _, w := range append(append(append([]string{}, openers.HeldOut...), contexts.HeldOut...), signOffs.HeldOut...) {
			if strings.Contains(e.Prompt, w) {
				t.Errorf("training prompt %q uses the held-out wrapper %q", e.Prompt, w)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		got := typo(rng, "Tell me the capital of {x}, please.")
		if !strings.Contains(got, "{x}") || len(got) != len("Tell me the capital of {x}, please.") {
			t.Fatalf("typo(...) = %q", got)
		}
	}
}
