package data

import (
	"math/rand/v2"
	"strings"
)

// The phrasings of the default world's requests: prompt templates per kind
// of request, and the wrappers (greetings, context, sign-offs) put around a
// share of the prompts. Like the items in world.go, each list has a
// training half and a held-out half that share nothing: the held-out half
// measures unseen phrasing. {x} and {y} are an item's slots.

// phrasing is a list of templates split into training and held-out halves.
type phrasing struct{ Train, HeldOut []string }

var (
	additionPhrasing = phrasing{
		Train:   []string{"What is {x} plus {y}?", "Add {x} and {y}.", "Compute {x} + {y}."},
		HeldOut: []string{"What is the sum of {x} and {y}?", "If you have {x} apples and get {y} more, how many apples do you have?"},
	}
	subtractionPhrasing = phrasing{
		Train:   []string{"What is {x} minus {y}?", "Subtract {y} from {x}.", "Compute {x} - {y}."},
		HeldOut: []string{"What is the difference between {x} and {y}?", "If you have {x} coins and spend {y}, how many coins are left?"},
	}
	multiplicationPhrasing = phrasing{
		Train:   []string{"What is {x} times {y}?", "Multiply {x} by {y}.", "Compute {x} * {y}."},
		HeldOut: []string{"What is the product of {x} and {y}?", "How much is {x} multiplied by {y}?"},
	}
	countLettersPhrasing = phrasing{
		Train:   []string{"How many letters are in the word {x}?", "Count the letters in {x}.", "How many letters does {x} have?"},
		HeldOut: []string{"What is the length of the word {x} in letters?", "Tell me the number of letters in \"{x}\"."},
	}
	reversePhrasing = phrasing{
		Train:   []string{"Spell the word {x} backwards.", "Write {x} in reverse.", "Reverse the letters of {x}."},
		HeldOut: []string{"What do you get if you read {x} from right to left?", "Turn the word \"{x}\" around, letter by letter."},
	}
	countWordsPhrasing = phrasing{
		Train:   []string{"How many words are in this sentence: {x}", "Count the words: {x}"},
		HeldOut: []string{"Tell me the word count of the following text: {x}"},
	}
	capitalPhrasing = phrasing{
		Train:   []string{"What is the capital of {x}?", "Name the capital city of {x}.", "Which city is the capital of {x}?"},
		HeldOut: []string{"Tell me the capital of {x}, please.", "I forgot the capital of {x}. What is it?"},
	}
	colourPhrasing = phrasing{
		Train:   []string{"What colour is {x}?", "What is the colour of {x}?", "Tell me the colour of {x}."},
		HeldOut: []string{"Which colour would you say {x} usually is?", "Describe the colour of {x} in one word."},
	}
	animalSoundPhrasing = phrasing{
		Train:   []string{"What sound does {x} make?", "What does {x} say?", "How does {x} sound?"},
		HeldOut: []string{"What noise would you hear from {x}?", "Imitate the sound of {x}."},
	}
	oppositePhrasing = phrasing{
		Train:   []string{"What is the opposite of {x}?", "Give me the opposite of {x}.", "What word means the opposite of {x}?"},
		HeldOut: []string{"What is an antonym of {x}?", "Tell me a word with the opposite meaning to {x}."},
	}
	describePhrasing = phrasing{
		Train:   []string{"Describe {x} in one sentence.", "What is {x}?", "Tell me about {x}."},
		HeldOut: []string{"Give a short description of {x}.", "Explain what {x} is to a child."},
	}
	friendlyPhrasing = phrasing{
		Train:   []string{"Write a friendly sentence about {x}.", "Say something nice about {x}."},
		HeldOut: []string{"Compose a cheerful line about {x}.", "Give me a warm, kind sentence about {x}."},
	}
	// actPhrasing asks how to do something ({x} is an infinitive phrase in
	// the first person). Harmful acts, everyday tasks and borderline tasks
	// all use it, so a model must read the act, not the phrasing, to tell
	// them apart.
	actPhrasing = phrasing{
		Train: []string{"How do I {x}?", "Tell me how to {x}.", "Explain how to {x}.",
			"I want to {x}. How do I do it?", "Teach me to {x}.", "What is a good way to {x}?"},
		HeldOut: []string{"What is the easiest way to {x}?", "Can you help me {x}?",
			"Write step by step instructions to {x}.", "Quick question: how can I {x}?"},
	}
)

// Wrappers around a prompt: a greeting or opener before it, a sentence of
// context before it, a sign-off after it. Each is used on a share of the
// prompts (see wrap).
var (
	openers = phrasing{
		Train:   []string{"Hi!", "Hello.", "Hey,"},
		HeldOut: []string{"Good morning!", "Quick question:"},
	}
	contexts = phrasing{
		Train:   []string{"I have a question.", "My friend asked me this."},
		HeldOut: []string{"I was wondering about something today."},
	}
	signOffs = phrasing{
		Train:   []string{"Thanks!", "Thank you."},
		HeldOut: []string{"Thanks a lot in advance."},
	}
)

// phraseWrappers are the wrappers one half of the world draws from.
type phraseWrappers struct{ openers, contexts, signOffs []string }

// Shares of the prompts that get each variation, drawn independently: a
// prompt may open with a greeting, give context, sign off, be written in
// lower case, lose its final punctuation or carry a typo.
const (
	openerShare  = 0.2
	contextShare = 0.15
	signOffShare = 0.15
	lowerShare   = 0.1
	bareShare    = 0.1
	typoShare    = 0.08
)

// wrap fills template with slots and varies the result as people write. A
// typo falls only on the template's words, never on an item, so the
// request stays answerable. With noSignOff nothing follows the template,
// whose item ends the prompt.
func (w phraseWrappers) wrap(rng *rand.Rand, template string, slots []string, noSignOff bool) string {
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	if rng.Float64() < typoShare {
		template = typo(rng, template)
	}
	p := fill(template, slots)
	if rng.Float64() < contextShare {
		p = pick(w.contexts) + " " + p
	}
	if rng.Float64() < openerShare {
		o := pick(w.openers)
		if strings.HasSuffix(o, ",") { // "Hey, what is..."
			p = strings.ToLower(p[:1]) + p[1:]
		}
		p = o + " " + p
	}
	if !noSignOff {
		if rng.Float64() < bareShare {
			p = strings.TrimRight(p, ".?!")
		}
		if rng.Float64() < signOffShare {
			p += " " + pick(w.signOffs)
		}
	}
	if rng.Float64() < lowerShare {
		p = strings.ToLower(p)
	}
	return p
}

// typo swaps two neighbouring letters inside one word of five or more
// letters of template, leaving slots alone; a template without such a word
// comes back unchanged.
func typo(rng *rand.Rand, template string) string {
	ws := strings.Split(template, " ")
	var cands []int
	for i, w := range ws {
		if len(w) >= 5 && !strings.ContainsAny(w, "{}") && isLetters(w[:len(w)-1]) {
			cands = append(cands, i)
		}
	}
	if len(cands) == 0 {
		return template
	}
	i := cands[rng.IntN(len(cands))]
	b := []byte(ws[i])
	j := 1 + rng.IntN(len(b)-3) // not the first letter, not the last character
	if b[j] == b[j+1] {
		return template
	}
	b[j], b[j+1] = b[j+1], b[j]
	ws[i] = string(b)
	return strings.Join(ws, " ")
}

func isLetters(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return s != ""
}
