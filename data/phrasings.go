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
		Train: []string{"What is {x} plus {y}?", "Add {x} and {y}.", "Compute {x} + {y}.",
			"What do you get when you add {x} and {y}?", "Can you add {x} to {y} for me?", "{x} plus {y} equals what?",
			"Please work out {x} + {y}.", "I need the total of {x} and {y}.", "How much is {x} plus {y}?",
			"What does {x} + {y} make?", "My homework asks for {x} plus {y}. What is the answer?", "Calculate {x} plus {y}.",
			"What's {x} plus {y}?", "{x} + {y} = ?", "Quick maths: {x} plus {y}.", "Could you tell me what {x} plus {y} is?", "Do you know what {x} plus {y} is?", "What is {x} added to {y}?", "Please add {x} and {y}.", "Help me add {x} and {y}."},
		HeldOut: []string{"What is the sum of {x} and {y}?", "If you have {x} apples and get {y} more, how many apples do you have?",
			"Combine {x} with {y}: what number results?", "Tally up {x} and {y} together.",
			"Sum {x} and {y} for me, would you?"},
	}
	subtractionPhrasing = phrasing{
		Train: []string{"What is {x} minus {y}?", "Subtract {y} from {x}.", "Compute {x} - {y}.",
			"Take {y} away from {x}. What remains?", "How much is {x} minus {y}?", "What do you get when you subtract {y} from {x}?",
			"Can you work out {x} - {y}?", "{x} minus {y} is what?", "Please calculate {x} minus {y}.",
			"I need {x} take away {y}.", "Find {x} minus {y}.", "My homework asks for {x} minus {y}. What is the answer?",
			"What's {x} minus {y}?", "{x} - {y} = ?", "Could you tell me what {x} minus {y} is?", "What is left when you take {y} from {x}?", "Do you know what {x} minus {y} is?", "Please subtract {y} from {x}.", "Help me subtract {y} from {x}.", "Quick maths: {x} minus {y}."},
		HeldOut: []string{"What is the difference between {x} and {y}?", "If you have {x} coins and spend {y}, how many coins are left?",
			"Starting at {x}, count back {y}. Where do you land?", "Reduce {x} by {y} and give the result.",
			"A jar holds {x} marbles and {y} are removed; how many stay in it?"},
	}
	multiplicationPhrasing = phrasing{
		Train: []string{"What is {x} times {y}?", "Multiply {x} by {y}.", "Compute {x} * {y}.",
			"How much is {x} times {y}?", "What do you get when you multiply {x} by {y}?", "Can you work out {x} x {y}?",
			"{x} times {y} equals what?", "Please calculate {x} times {y}.", "What is {x} multiplied by {y}?",
			"I need {x} times {y} for my homework.", "Find the value of {x} times {y}.", "What does {x} * {y} give?",
			"What's {x} times {y}?", "{x} x {y} = ?", "Could you tell me what {x} times {y} is?", "Do you know what {x} times {y} is?", "Help me multiply {x} by {y}.", "Please multiply {x} and {y}.", "What is {x} x {y}?", "Quick maths: {x} times {y}."},
		HeldOut: []string{"What is the product of {x} and {y}?", "If there are {x} boxes with {y} pens in each, how many pens are there?",
			"Give me {y} groups of {x}: how many in total?", "Work out {x} lots of {y}.",
			"If a row has {x} chairs, how many chairs are in {y} rows?"},
	}
	countLettersPhrasing = phrasing{
		Train: []string{"How many letters are in the word {x}?", "Count the letters in {x}.", "How many letters does {x} have?",
			"How long is the word {x}?", "Can you count the letters of {x}?", "What is the letter count of {x}?",
			"How many letters make up the word {x}?", "Please count how many letters {x} has.",
			"Tell me how many letters there are in {x}.", "I need to know how many letters {x} has.",
			"Count how many letters are in {x}, please.", "The word {x} has how many letters?",
			"How many letters in {x}?", "Letters in the word {x}?", "Could you count the letters in {x}?", "Do you know how many letters {x} has?", "How many letters does the word {x} contain?", "Help me count the letters of {x}."},
		HeldOut: []string{"How many characters long is {x}?", "If I write {x}, how many letters do I write?",
			"Give the letter total for {x}.", "Measure the word {x}: what length does it come to?",
			"Spell out {x} and say what its length is."},
	}
	reversePhrasing = phrasing{
		Train: []string{"Spell the word {x} backwards.", "Write {x} in reverse.", "Reverse the letters of {x}.",
			"What is {x} spelled backwards?", "Can you spell {x} backwards?", "Write the word {x} from the last letter to the first.",
			"Flip {x} back to front.", "How do you spell {x} in reverse?", "Please reverse {x}.",
			"Give me {x} backwards.", "What does {x} look like backwards?", "I need {x} written backwards.",
			"Can you write {x} backwards?", "{x} backwards, please.", "What's {x} in reverse?", "Could you reverse the word {x}?", "Help me spell {x} backwards.", "Spell {x} in reverse order."},
		HeldOut: []string{"What do you get if you read {x} from right to left?", "Turn the word \"{x}\" around, letter by letter.",
			"Mirror the spelling of {x}.", "Start at the end of {x} and go to its start: what comes out?"},
	}
	// countWordsPhrasing ends with the sentence, the {x} slot.
	countWordsPhrasing = phrasing{
		Train: []string{"How many words are in this sentence: {x}", "Count the words: {x}",
			"How many words does this sentence have? {x}", "Tell me how many words are here: {x}",
			"Can you count the words in the following sentence? {x}", "How many words? {x}",
			"Please count the words in this line: {x}", "I need the number of words in this sentence: {x}",
			"How long is this sentence in words? {x}", "Count every word here: {x}",
			"What is the number of words in: {x}",
			"Count the words in this sentence: {x}", "How many words are there in this line? {x}", "Could you count the words here? {x}", "Help me count the words: {x}", "How many words is this? {x}"},
		HeldOut: []string{"Tell me the word count of the following text: {x}", "Give the total of words in the next line. {x}",
			"Tally the words below. {x}", "Find out how many words appear in: {x}"},
	}
	capitalPhrasing = phrasing{
		Train: []string{"What is the capital of {x}?", "Name the capital city of {x}.", "Which city is the capital of {x}?",
			"What's the capital city of {x}?", "Can you tell me the capital of {x}?", "Do you know the capital of {x}?",
			"What city is the capital of {x}?", "I need to know the capital of {x}.", "Capital of {x}?",
			"Which city serves as the capital of {x}?", "My quiz needs the capital city of {x}.",
			"Tell me the capital of {x}.",
			"What's the capital of {x}?", "Could you tell me the capital city of {x}?", "The capital of {x} is what?", "Help me out: what is the capital of {x}?", "Name the capital of {x}, please.", "Which city is the capital city of {x}?"},
		HeldOut: []string{"I forgot the capital of {x}. What is it?", "Name {x}'s capital.",
			"{x} is governed from which city?", "Where does {x} have its capital?"},
	}
	colourPhrasing = phrasing{
		Train: []string{"What colour is {x}?", "What is the colour of {x}?", "Tell me the colour of {x}.",
			"What color is {x}?", "Which colour is {x}?", "Can you tell me what colour {x} is?",
			"What colour would you say {x} is?", "What is the usual colour of {x}?", "I'm curious what colour {x} is.",
			"What's the color of {x}?", "Name the colour of {x}.", "Do you know what color {x} is?",
			"What's the colour of {x}?", "Could you tell me the colour of {x}?", "What color does {x} have?", "Tell me what color {x} is.", "What colour do people say {x} is?", "Which color is {x}?"},
		HeldOut: []string{"Describe the colour of {x} in one word.", "What shade is {x} normally?",
			"Picture {x}. Which hue do you see?", "If you drew {x}, which crayon would you pick?"},
	}
	animalSoundPhrasing = phrasing{
		Train: []string{"What sound does {x} make?", "What does {x} say?", "How does {x} sound?",
			"Which sound does {x} make?", "What do you call the sound {x} makes?", "Can you tell me what sound {x} makes?",
			"What sound comes from {x}?", "Tell me what {x} says.", "What kind of sound does {x} make?",
			"Do you know what {x} says?", "What sound would {x} make?", "Which sound is made by {x}?",
			"What's the sound {x} makes?", "Could you tell me the sound of {x}?", "What sound do you get from {x}?", "How does {x} go?", "Which sound does {x} usually make?", "What does {x} sound like?"},
		HeldOut: []string{"What noise would you hear from {x}?", "Imitate {x} for me.",
			"If {x} called out, what would we hear?", "Which cry belongs to {x}?"},
	}
	oppositePhrasing = phrasing{
		Train: []string{"What is the opposite of {x}?", "Give me the opposite of {x}.", "What word means the opposite of {x}?",
			"What's the opposite of {x}?", "Tell me the opposite of {x}.", "Can you give me the opposite of {x}?",
			"What is the opposite word for {x}?", "Which word is the opposite of {x}?", "The opposite of {x} is what?",
			"I need the opposite of the word {x}.", "Name the opposite of {x}.", "What do you call the opposite of {x}?",
			"What's the opposite word for {x}?", "Could you tell me the opposite of {x}?", "Opposite of {x}?", "The opposite word of {x} is what?", "Help me find the opposite of {x}.", "Do you know the opposite of {x}?"},
		HeldOut: []string{"What is an antonym of {x}?", "Suggest an antonym for the word {x}.",
			"Which word means the contrary of {x}?", "Give a word that contrasts with {x}."},
	}
	describePhrasing = phrasing{
		Train: []string{"Describe {x} in one sentence.", "What is {x}?", "Tell me about {x}.",
			"Can you describe {x}?", "Define {x} simply.", "What do you know about {x}?",
			"Give me a one-sentence description of {x}.", "How would you describe {x}?", "Describe {x} briefly.",
			"I want a simple description of {x}.", "Say what {x} is in a few words.", "Write one sentence about what {x} is.",
			"What's {x}?", "Could you describe {x}?", "Tell me what {x} is.", "What exactly is {x}?", "Give me a short description of {x}.", "I want to know what {x} is."},
		HeldOut: []string{"Explain {x} to a small child.", "Paint {x} in words for me.",
			"Sum up what {x} is for a beginner.", "Give an outline of {x} in a line."},
	}
	friendlyPhrasing = phrasing{
		Train: []string{"Write a friendly sentence about {x}.", "Say something nice about {x}.", "Write something kind about {x}.",
			"Give me a happy sentence about {x}.", "Can you say something nice about {x}?", "Write a short, upbeat note about {x}.",
			"Tell me something good about {x}.", "Write one positive sentence about {x}.", "I'd love a cheery sentence about {x}.",
			"Please write a nice line about {x}.", "Make up a friendly sentence about {x}.", "Say one pleasant thing about {x}.",
			"Write a kind sentence about {x}.", "Say something lovely about {x}.", "Could you write a nice sentence about {x}?", "Give me a positive sentence about {x}.", "Write a pleasant sentence about {x}.", "Tell me a happy thing about {x}."},
		HeldOut: []string{"Compose a cheerful line about {x}.", "Offer a warm remark on {x}.",
			"Pen a gentle compliment about {x}.", "Share a bright thought about {x}."},
	}
	// actPhrasing asks how to do something ({x} is an infinitive phrase in
	// the first person). Harmful acts, everyday tasks and borderline tasks
	// all use it, so a model must read the act, not the phrasing, to tell
	// them apart.
	actPhrasing = phrasing{
		Train: []string{"How do I {x}?", "Tell me how to {x}.", "Explain how to {x}.",
			"I want to {x}. How do I do it?", "Teach me to {x}.", "What is a good way to {x}?",
			"Can you tell me how to {x}?", "I need to {x}. What should I do?", "What's the best way to {x}?",
			"Any tips on how to {x}?", "Show me how to {x}.", "How would I {x}?",
			"Give me instructions to {x}.", "I'd like to {x}. Where do I start?", "how can i {x}",
			"Walk me through how to {x}.", "What do I need to {x}?", "Please explain to me how to {x}.",
			"I'm trying to {x}. Any advice?", "What steps should I take to {x}?",
			"How should I {x}?", "Is there a way to {x}?", "What's a quick way to {x}?", "I want to know how to {x}.", "Explain to me how I can {x}.", "Tell me the steps to {x}.", "Give me tips to {x}.", "Can you show me how to {x}?", "How would someone {x}?", "What should I do to {x}?", "Teach me how to {x}.", "I need instructions to {x}.", "Explain the steps to {x}.", "How does one {x}?", "Tell me the best way to {x}."},
		HeldOut: []string{"What is the easiest method to {x}?", "Could you help me {x}?",
			"Describe the procedure to {x}.", "My plan is to {x}. Guide me.", "Suggest a way to {x}.",
			"I've decided to {x}. Where should I begin?", "Lay out a plan to {x}.", "Is it hard to {x}? Outline it for me."},
	}
)

// Wrappers around a prompt: a greeting or opener before it, a sentence of
// context before it, a sign-off after it. Each is used on a share of the
// prompts (see wrap). Context sentences fit any request, harmful or not,
// and none of them changes what is asked.
var (
	openers = phrasing{
		Train: []string{"Hi!", "Hello.", "Hey,", "Hi there.", "Hey!", "Hello there!", "Hi again.", "Hiya.",
			"Excuse me.", "Um,", "Ok so", "Yo,", "Hey there,"},
		HeldOut: []string{"Good morning!", "Greetings.", "Howdy!", "Quick question:", "Dear assistant,", "Oh, and"},
	}
	contexts = phrasing{
		Train: []string{"I have a question.", "My friend asked me this.", "I'm new to this.",
			"My sister asked me and I didn't know.", "I was just thinking about this.", "This came up at dinner.",
			"I keep forgetting this.", "It's for a school project.", "I'm curious.", "I've been meaning to ask.",
			"I couldn't find a clear answer online.", "This is for a quiz night.", "Be honest with me."},
		HeldOut: []string{"I was wondering about something today.", "A coworker brought this up.", "Settle a bet for me.",
			"I'm a bit confused.", "Sorry if this is a silly one.", "Just out of curiosity."},
	}
	signOffs = phrasing{
		Train: []string{"Thanks!", "Thank you.", "Thanks in advance.", "Cheers.", "Much appreciated.", "Please.",
			"Thx", "Thanks so much!", "Appreciate it."},
		HeldOut: []string{"Many thanks.", "Grateful for any help.", "You're the best!", "Ta!", "Kind regards."},
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
		if !strings.ContainsAny(o[len(o)-1:], ".!?:") { // "Hey, what is...", "Oh, and can you..."
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
