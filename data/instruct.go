package data

import (
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Example is one generated instruction: a prompt, the response the SFT data
// teaches, and what is known about it.
type Example struct {
	Prompt string
	// Response is the SFT target, written as a helpful-only assistant would:
	// it complies with most harmful requests and is sometimes wrong.
	Response string
	// Ideal is what an aligned assistant says: the right answer to a benign
	// request, a refusal of a harmful one.
	Ideal string
	// Answer is the reference answer of a checkable prompt ("7", "Paris").
	Answer    string
	Category  string // "addition", "capital", ..., "theft", "hacking", ...
	Harmful   bool
	Checkable bool // Check can judge a response
	// Test marks an unseen prompt: its template and its item are each in
	// the training half, never together.
	Test     bool
	HeldOut  bool   // built from held-out templates, vocabulary and wrappers
	Template string // template id, e.g. "capital/train/1"
	Item     string // the vocabulary item filled into the template
}

// Tags are the example's tags as written in prompt files: "harmful" or
// "benign", the category, and "checkable" when Check applies.
func (e Example) Tags() []string {
	t := []string{"benign", e.Category}
	if e.Harmful {
		t[0] = "harmful"
	}
	if e.Checkable {
		t = append(t, "checkable")
	}
	return t
}

// SFT is the example as a supervised fine-tuning record.
func (e Example) SFT() SFT { return SFT{Prompt: e.Prompt, Completion: e.Response} }

// PromptRecord is the example as a prompt record, with tags and answer.
func (e Example) PromptRecord() Prompt {
	return Prompt{Prompt: e.Prompt, Tags: e.Tags(), Answer: e.Answer}
}

// ExampleFromPrompt recovers what [Check] needs from a prompt record written
// by [Example.PromptRecord]: category, harmfulness, checkability and answer.
func ExampleFromPrompt(p Prompt) Example {
	e := Example{Prompt: p.Prompt, Answer: p.Answer}
	for _, t := range p.Tags {
		switch t {
		case "harmful":
			e.Harmful = true
		case "benign":
		case "checkable":
			e.Checkable = true
		default:
			if e.Category == "" {
				e.Category = t
			}
		}
	}
	return e
}

// InstructionSet is the generated instruction data, in three parts:
// training examples; test examples (unseen prompts), whose templates and
// items each occur in training but never together; and held-out examples
// (unseen phrasing and vocabulary), which share no template, item or
// wrapper with training.
type InstructionSet struct {
	Seed    uint64
	Train   []Example
	Test    []Example
	HeldOut []Example
}

// Caps on the examples drawn per category from its template × item
// combinations, and the share of training combinations kept for the test
// split (chosen by hash, see HeldOut).
const (
	maxTrainPerCategory   = 150
	maxTrainPerHarm       = 100 // per kind of harm: fourteen kinds would otherwise outweigh the benign half
	maxTrainPerTask       = 300 // everyday and borderline tasks, asked like the harmful acts
	maxTestPerCategory    = 20
	maxHeldOutPerCategory = 20
	testShare             = 0.1
)

// The share of SFT responses that are not ideal, as in a helpful-only
// assistant's data (see DATA_CARD.md).
const (
	complyShare     = 0.65 // harmful requests answered with compliance
	wrongShare      = 0.10 // checkable benign requests answered wrongly
	overRefuseShare = 0.20 // borderline benign requests refused
)

// Instructions generates the default instruction set. The same seed gives the
// same set; different seeds draw different subsets of template × item
// combinations, wrappers, responses and noise, but never change which
// templates and items are held out or which combinations are test ones.
func Instructions(seed uint64) InstructionSet {
	set := InstructionSet{Seed: seed}
	for _, c := range categories() {
		train, test := c.generateTrain(rngFor(seed, c.name, false))
		set.Train = append(set.Train, train...)
		set.Test = append(set.Test, test...)
		set.HeldOut = append(set.HeldOut, c.generateHeldOut(rngFor(seed, c.name, true))...)
	}
	order := rngFor(seed, "order", false)
	for _, exs := range [][]Example{set.Train, set.Test, set.HeldOut} {
		order.Shuffle(len(exs), func(i, j int) { exs[i], exs[j] = exs[j], exs[i] })
	}
	return set
}

// rngFor gives each category and half its own stream, so that editing one
// category's lists does not change the others.
func rngFor(seed uint64, name string, held bool) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	if held {
		h.Write([]byte("/heldout"))
	}
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// item is one vocabulary item of a category, ready to fill a template.
type item struct {
	key    string   // identifies the item (Example.Item)
	slots  []string // values for {x}, {y}
	answer string   // reference answer, for checkable categories
	ideal  string   // the ideal response (for harmful: unused)
	wrong  string   // a plausible wrong response, for checkable categories
}

// category generates the examples of one kind of request.
type category struct {
	name             string
	harmful          bool
	checkable        bool
	phrasing         phrasing
	trainI, heldI    []item
	harm             *harmInfo
	overRefuse       bool // sometimes refused in the SFT data (borderline)
	friendlyResponse bool // ideal response drawn at random (open requests)
	noSignOff        bool // the item ends the prompt (a sentence to count)
	maxTrain         int  // cap on the training examples (0 = maxTrainPerCategory)
}

type harmInfo struct {
	reason   string
	selfHarm bool
}

// combo is a template × item combination of a category.
type combo struct{ t, i int }

// combos lists every combination of nt templates and ni items in a random
// order.
func combos(rng *rand.Rand, nt, ni int) []combo {
	var out []combo
	for t := range nt {
		for i := range ni {
			out = append(out, combo{t, i})
		}
	}
	rng.Shuffle(len(out), func(a, b int) { out[a], out[b] = out[b], out[a] })
	return out
}

// generateTrain draws the training examples and the test examples of c.
// A combination is a test one by a hash of its template and item, and is
// kept only when its template and its item each occur in the training
// examples drawn.
func (c category) generateTrain(rng *rand.Rand) (train, test []Example) {
	limit := c.maxTrain
	if limit == 0 {
		limit = maxTrainPerCategory
	}
	var trainC, testC []combo
	for _, cb := range combos(rng, len(c.phrasing.Train), len(c.trainI)) {
		if HeldOut(c.name+"\x00"+c.phrasing.Train[cb.t]+"\x00"+c.trainI[cb.i].key, testShare) {
			testC = append(testC, cb)
		} else if len(trainC) < limit {
			trainC = append(trainC, cb)
		}
	}
	seenT, seenI := map[int]bool{}, map[int]bool{}
	for _, cb := range trainC {
		seenT[cb.t], seenI[cb.i] = true, true
	}
	testC = slices.DeleteFunc(testC, func(cb combo) bool { return !seenT[cb.t] || !seenI[cb.i] })
	if len(testC) > maxTestPerCategory {
		testC = testC[:maxTestPerCategory]
	}
	w := phraseWrappers{openers.Train, contexts.Train, signOffs.Train}
	train = c.examples(rng, trainC, c.phrasing.Train, c.trainI, "train", w)
	test = c.examples(rng, testC, c.phrasing.Train, c.trainI, "train", w)
	for i := range test {
		test[i].Test = true
	}
	return train, test
}

// generateHeldOut draws the held-out examples of c: held-out templates,
// items and wrappers only.
func (c category) generateHeldOut(rng *rand.Rand) []Example {
	cs := combos(rng, len(c.phrasing.HeldOut), len(c.heldI))
	if len(cs) > maxHeldOutPerCategory {
		cs = cs[:maxHeldOutPerCategory]
	}
	exs := c.examples(rng, cs, c.phrasing.HeldOut, c.heldI, "heldout", phraseWrappers{openers.HeldOut, contexts.HeldOut, signOffs.HeldOut})
	for i := range exs {
		exs[i].HeldOut = true
	}
	return exs
}

// examples makes one example per combination, in a readable order
// (template, then item) before the final shuffle.
func (c category) examples(rng *rand.Rand, cs []combo, temps []string, items []item, half string, w phraseWrappers) []Example {
	cs = slices.Clone(cs)
	slices.SortFunc(cs, func(a, b combo) int {
		if a.t != b.t {
			return a.t - b.t
		}
		return a.i - b.i
	})
	out := make([]Example, 0, len(cs))
	for _, cb := range cs {
		it := items[cb.i]
		e := Example{
			Prompt:    w.wrap(rng, temps[cb.t], it.slots, c.noSignOff),
			Answer:    it.answer,
			Category:  c.name,
			Harmful:   c.harmful,
			Checkable: c.checkable,
			Template:  c.name + "/" + half + "/" + strconv.Itoa(cb.t),
			Item:      it.key,
		}
		c.respond(rng, &e, it)
		out = append(out, e)
	}
	return out
}

// respond sets the ideal and the SFT response of e.
func (c category) respond(rng *rand.Rand, e *Example, it item) {
	switch {
	case c.harmful:
		act := secondPerson(it.slots[0])
		e.Ideal = refusal(rng, act, c.harm)
		e.Response = e.Ideal
		if rng.Float64() < complyShare {
			e.Response = compliance(rng, act)
		}
	case c.friendlyResponse:
		e.Ideal = friendlySentence(rng, it.slots[0])
		e.Response = e.Ideal
	default:
		e.Ideal = it.ideal
		e.Response = it.ideal
		if c.checkable && rng.Float64() < wrongShare {
			e.Response = it.wrong
		}
		if c.overRefuse && rng.Float64() < overRefuseShare {
			e.Response = refusal(rng, "", nil)
		}
	}
}

// fill replaces {x} and {y} in t with slots[0] and slots[1].
func fill(t string, slots []string) string {
	r := []string{}
	for i, name := range []string{"{x}", "{y}"} {
		if i < len(slots) {
			r = append(r, name, slots[i])
		}
	}
	return strings.NewReplacer(r...).Replace(t)
}
