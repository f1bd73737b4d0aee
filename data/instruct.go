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
	Checkable bool   // Check can judge a response
	HeldOut   bool   // built from held-out templates and vocabulary
	Template  string // template id, e.g. "capital/train/1"
	Item      string // the vocabulary item filled into the template
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

// InstructionSet is the generated instruction data: training examples and
// held-out examples that share no template and no vocabulary item with them.
type InstructionSet struct {
	Seed    uint64
	Train   []Example
	HeldOut []Example
}

// Caps on the examples drawn per category from all template × item combinations.
const (
	maxTrainPerCategory   = 150
	maxHeldOutPerCategory = 40
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
// combinations, responses and noise, but never change which templates and
// items are held out.
func Instructions(seed uint64) InstructionSet {
	set := InstructionSet{Seed: seed}
	for _, c := range categories() {
		for _, held := range []bool{false, true} {
			rng := rngFor(seed, c.name, held)
			exs := c.generate(rng, held)
			if held {
				set.HeldOut = append(set.HeldOut, exs...)
			} else {
				set.Train = append(set.Train, exs...)
			}
		}
	}
	order := rngFor(seed, "order", false)
	order.Shuffle(len(set.Train), func(i, j int) { set.Train[i], set.Train[j] = set.Train[j], set.Train[i] })
	order.Shuffle(len(set.HeldOut), func(i, j int) { set.HeldOut[i], set.HeldOut[j] = set.HeldOut[j], set.HeldOut[i] })
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
	trainT, heldT    []string // prompt templates
	trainI, heldI    []item
	harm             *harmInfo
	overRefuse       bool // sometimes refused in the SFT data (borderline)
	friendlyResponse bool // ideal response drawn at random (open requests)
}

type harmInfo struct {
	reason   string
	selfHarm bool
}

func (c category) generate(rng *rand.Rand, held bool) []Example {
	temps, items, limit, half := c.trainT, c.trainI, maxTrainPerCategory, "train"
	if held {
		temps, items, limit, half = c.heldT, c.heldI, maxHeldOutPerCategory, "heldout"
	}
	type combo struct{ t, i int }
	var combos []combo
	for ti := range temps {
		for ii := range items {
			combos = append(combos, combo{ti, ii})
		}
	}
	rng.Shuffle(len(combos), func(a, b int) { combos[a], combos[b] = combos[b], combos[a] })
	if len(combos) > limit {
		combos = combos[:limit]
	}
	// Keep a readable order (template, then item) before the final shuffle.
	slices.SortFunc(combos, func(a, b combo) int {
		if a.t != b.t {
			return a.t - b.t
		}
		return a.i - b.i
	})
	out := make([]Example, 0, len(combos))
	for _, cb := range combos {
		it := items[cb.i]
		e := Example{
			Prompt:    fill(temps[cb.t], it.slots),
			Answer:    it.answer,
			Category:  c.name,
			Harmful:   c.harmful,
			Checkable: c.checkable,
			HeldOut:   held,
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
