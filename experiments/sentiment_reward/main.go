// Command sentiment_reward prepares the sentiment experiment of run.sh
// beside it and scores its lexicon baseline.
//
// It reads the labelled sentences of npm sentiment@5.0.2
// (test/fixtures/{imdb,yelp,amazon}.json: 500 positive and 500 negative
// each, real human labels). The IMDB sentences are split by a hash of the
// sentence: --heldout of them are the test part, a further --valid the
// validation part, the rest the training part. It writes, into --out:
//
//	corpus.jsonl           pretraining text: the Yelp and Amazon sentences
//	                       (and with --imdb-in-corpus the IMDB training
//	                       sentences), --corpus-reps times, and Moby-Dick;
//	                       never a test or validation sentence (checked)
//	sft.jsonl              SFT examples: "Write a positive|negative restaurant|
//	                       product review sentence." → a Yelp/Amazon sentence
//	                       (and "movie" → an IMDB training sentence)
//	train.jsonl            preference pairs: for "Write a positive movie review
//	                       sentence." a positive IMDB training sentence is
//	                       chosen over a negative one; with
//	                       --other-pairs-per-sentence also Yelp/Amazon pairs
//	                       for the restaurant and product prompts
//	train_noisy.jsonl      the same with --flip of the labels flipped at random
//	validation.jsonl       every positive × negative pair of the validation
//	validation_noisy.jsonl sentences, and the same with --flip flipped
//	heldout.jsonl          every positive × negative pair of the test sentences
//	afinn.json             the AFINN-165 lexicon's accuracy on heldout.jsonl,
//	                       scored exactly as npm sentiment's analyze does
//
// The noisy files flip whole pairs (chosen and rejected swapped). The lexicon
// only scores the test pairs: it labels nothing that is trained on.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/align-project/align/data"
	"github.com/align-project/align/judge"
)

// Prompt is the reward prompt of the experiment.
const Prompt = "Write a positive movie review sentence."

type labelled struct {
	Text  string `json:"text"`
	Class int    `json:"class"`
}

// options are the command's settings.
type options struct {
	pkg, out       string
	heldFrac       float64 // IMDB sentences held out for the test (by hash)
	validFrac      float64 // IMDB sentences held back for validation (by hash, disjoint from the test)
	perPos         int     // IMDB training pairs per positive sentence
	otherPerPos    int     // Yelp/Amazon training pairs per positive sentence
	imdbInCorpus   bool    // the IMDB training sentences join the pretraining text and SFT
	corpusReps     int     // times the review sentences repeat in the pretraining text
	flip           float64
	seed           uint64
	extraTextFiles []string // more pretraining text, one document per paragraph group
}

func main() {
	var o options
	var extra string
	flag.StringVar(&o.pkg, "sentiment", "", "unpacked npm sentiment@5.0.2 (the folder holding test/ and languages/)")
	flag.StringVar(&o.out, "out", "", "output directory")
	flag.Float64Var(&o.heldFrac, "heldout", 0.2, "fraction of the IMDB sentences held out for the test (by sentence hash)")
	flag.Float64Var(&o.validFrac, "valid", 0, "further fraction of the IMDB sentences held back for validation.jsonl (by sentence hash; never trained on)")
	flag.IntVar(&o.perPos, "pairs-per-sentence", 4, "IMDB training pairs per positive sentence (negatives drawn at random)")
	flag.IntVar(&o.otherPerPos, "other-pairs-per-sentence", 0, "Yelp/Amazon training pairs per positive sentence, with the restaurant|product prompt (0: none)")
	flag.BoolVar(&o.imdbInCorpus, "imdb-in-corpus", false, "add the IMDB training sentences (never a held-out or validation one) to the pretraining text and SFT")
	flag.IntVar(&o.corpusReps, "corpus-reps", 3, "times the review sentences repeat in the pretraining text")
	flag.StringVar(&extra, "extra-text", "", "comma-separated text files (or folders of .txt files) added to the pretraining text")
	flag.Float64Var(&o.flip, "flip", 0.2, "share of training labels flipped in train_noisy.jsonl")
	flag.Uint64Var(&o.seed, "seed", 1, "random seed")
	flag.Parse()
	if o.pkg == "" || o.out == "" {
		fmt.Fprintln(os.Stderr, "usage: sentiment_reward --sentiment DIR --out DIR")
		os.Exit(2)
	}
	for _, f := range strings.Split(extra, ",") {
		if f = strings.TrimSpace(f); f != "" {
			o.extraTextFiles = append(o.extraTextFiles, f)
		}
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "sentiment_reward: error:", err)
		os.Exit(1)
	}
}

func readFixture(pkg, name string) ([]labelled, error) {
	b, err := os.ReadFile(filepath.Join(pkg, "test", "fixtures", name+".json"))
	if err != nil {
		return nil, err
	}
	var out []labelled
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	kept := out[:0]
	for _, s := range out {
		if s.Text = strings.TrimSpace(s.Text); s.Text != "" {
			kept = append(kept, s)
		}
	}
	return kept, nil
}

// prompts of the preference pairs and SFT examples, by domain.
var domainPrompt = map[string]string{
	"imdb":   Prompt,
	"yelp":   "Write a positive restaurant review sentence.",
	"amazon": "Write a positive product review sentence.",
}

// split holds one domain's sentences by label.
type split struct{ pos, neg []string }

func (s *split) add(text string, class int) {
	if class == 1 {
		s.pos = append(s.pos, text)
	} else {
		s.neg = append(s.neg, text)
	}
}

func (s *split) all() []string { return append(append([]string{}, s.pos...), s.neg...) }

func run(o options) error {
	rng := rand.New(rand.NewPCG(o.seed, 0x73656e74))
	imdb, err := readFixture(o.pkg, "imdb")
	if err != nil {
		return err
	}
	other := map[string][]labelled{}
	for _, n := range []string{"yelp", "amazon"} {
		if other[n], err = readFixture(o.pkg, n); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}

	// Split the IMDB sentences by sentence: the test part (hash below
	// heldFrac) is the same whatever validFrac is.
	var imdbTrain, imdbValid, imdbHeld split
	seen := map[string]bool{}
	for _, s := range imdb {
		if seen[s.Text] {
			continue // keep one copy of a repeated sentence
		}
		seen[s.Text] = true
		switch {
		case data.HeldOut(s.Text, o.heldFrac):
			imdbHeld.add(s.Text, s.Class)
		case data.HeldOut(s.Text, o.heldFrac+o.validFrac):
			imdbValid.add(s.Text, s.Class)
		default:
			imdbTrain.add(s.Text, s.Class)
		}
	}

	// Pretraining text: the Yelp and Amazon sentences (and, if asked, the
	// IMDB training sentences) corpusReps times, Moby-Dick and any extra text.
	var reviews []string
	for _, n := range []string{"yelp", "amazon"} {
		for _, s := range other[n] {
			reviews = append(reviews, s.Text)
		}
	}
	if o.imdbInCorpus {
		reviews = append(reviews, imdbTrain.all()...)
	}
	var corpus []data.Text
	for rep := 0; rep < o.corpusReps; rep++ {
		for _, i := range rng.Perm(len(reviews)) {
			corpus = append(corpus, data.Text{Text: reviews[i]})
		}
	}
	book, err := data.MobyDick()
	if err != nil {
		return err
	}
	corpus = append(corpus, chunks(book)...)
	for _, f := range o.extraTextFiles {
		texts, err := readTexts(f)
		if err != nil {
			return err
		}
		for _, t := range texts {
			corpus = append(corpus, chunks(t)...)
		}
	}
	rng.Shuffle(len(corpus), func(i, j int) { corpus[i], corpus[j] = corpus[j], corpus[i] })
	var all strings.Builder
	for _, d := range corpus {
		all.WriteString(d.Text)
		all.WriteByte('\n')
	}
	text := all.String()
	for _, s := range append(imdbHeld.all(), imdbValid.all()...) {
		if len(s) > 25 && strings.Contains(text, s) {
			return fmt.Errorf("the pretraining text contains the held-out IMDB sentence %q", s)
		}
	}
	if err := data.WriteRecords(filepath.Join(o.out, "corpus.jsonl"), corpus); err != nil {
		return err
	}

	// SFT: the policy learns to write review sentences on request.
	var sft []data.SFT
	kinds := map[string]string{"yelp": "restaurant", "amazon": "product", "imdb": "movie"}
	addSFT := func(domain string, texts []string, mood string) {
		for _, t := range texts {
			sft = append(sft, data.SFT{Prompt: fmt.Sprintf("Write a %s %s review sentence.", mood, kinds[domain]), Completion: t})
		}
	}
	otherSplit := map[string]*split{}
	for _, n := range []string{"yelp", "amazon"} {
		sp := &split{}
		for _, s := range other[n] {
			sp.add(s.Text, s.Class)
		}
		otherSplit[n] = sp
		addSFT(n, sp.pos, "positive")
		addSFT(n, sp.neg, "negative")
	}
	if o.imdbInCorpus {
		addSFT("imdb", imdbTrain.pos, "positive")
		addSFT("imdb", imdbTrain.neg, "negative")
	}
	rng.Shuffle(len(sft), func(i, j int) { sft[i], sft[j] = sft[j], sft[i] })
	if err := data.WriteRecords(filepath.Join(o.out, "sft.jsonl"), sft); err != nil {
		return err
	}

	// Preferences: a positive sentence is chosen over a negative one of the
	// same domain, for the domain's prompt.
	pref := func(domain, c, r string) data.Preference {
		return data.Preference{Prompt: domainPrompt[domain], Chosen: c, Rejected: r, Source: "human:" + domain + "-sentiment", Tags: []string{domain}}
	}
	pairs := func(domain string, sp *split, per int) []data.Preference {
		var out []data.Preference
		per = min(per, len(sp.neg))
		for _, p := range sp.pos {
			for _, j := range rng.Perm(len(sp.neg))[:per] {
				out = append(out, pref(domain, p, sp.neg[j]))
			}
		}
		return out
	}
	train := pairs("imdb", &imdbTrain, o.perPos)
	imdbPairs := len(train)
	if o.otherPerPos > 0 {
		for _, n := range []string{"yelp", "amazon"} {
			train = append(train, pairs(n, otherSplit[n], o.otherPerPos)...)
		}
	}
	rng.Shuffle(len(train), func(i, j int) { train[i], train[j] = train[j], train[i] })
	noisy := append([]data.Preference(nil), train...)
	nFlip := int(o.flip*float64(len(noisy)) + 0.5)
	for _, i := range rng.Perm(len(noisy))[:nFlip] {
		noisy[i].Chosen, noisy[i].Rejected = noisy[i].Rejected, noisy[i].Chosen
	}
	every := func(domain string, sp *split) []data.Preference {
		var out []data.Preference
		for _, p := range sp.pos {
			for _, n := range sp.neg {
				out = append(out, pref(domain, p, n))
			}
		}
		return out
	}
	held := every("imdb", &imdbHeld)
	files := map[string][]data.Preference{"train.jsonl": train, "train_noisy.jsonl": noisy, "heldout.jsonl": held}
	if o.validFrac > 0 {
		// The noisy run selects its model on equally noisy validation labels.
		valid := every("imdb", &imdbValid)
		validNoisy := append([]data.Preference(nil), valid...)
		for _, i := range rng.Perm(len(validNoisy))[:int(o.flip*float64(len(validNoisy))+0.5)] {
			validNoisy[i].Chosen, validNoisy[i].Rejected = validNoisy[i].Rejected, validNoisy[i].Chosen
		}
		files["validation.jsonl"], files["validation_noisy.jsonl"] = valid, validNoisy
	}
	for name, recs := range files {
		if err := data.WriteRecords(filepath.Join(o.out, name), recs); err != nil {
			return err
		}
	}
	heldPos, heldNeg := imdbHeld.pos, imdbHeld.neg

	// The lexicon baseline.
	lex, err := loadAFINN(o.pkg)
	if err != nil {
		return err
	}
	score := map[string]float64{}
	for _, s := range append(append([]string{}, heldPos...), heldNeg...) {
		score[s] = lex.score(s)
	}
	var right float64
	var ties int
	for _, p := range held {
		switch d := score[p.Chosen] - score[p.Rejected]; {
		case d > 0:
			right++
		case d == 0:
			right += 0.5
			ties++
		}
	}
	// Sentence-level accuracy too (score > 0 positive, < 0 negative, 0 half).
	var sentRight float64
	for _, s := range heldPos {
		sentRight += sign01(score[s])
	}
	for _, s := range heldNeg {
		sentRight += sign01(-score[s])
	}
	res := map[string]any{
		"lexicon":            "AFINN-165 (npm sentiment@5.0.2 languages/en/labels.json, negators, tokenizer)",
		"heldout_pairs":      len(held),
		"pair_accuracy":      right / float64(len(held)),
		"pair_ties":          ties,
		"sentence_accuracy":  sentRight / float64(len(heldPos)+len(heldNeg)),
		"heldout_sentences":  len(heldPos) + len(heldNeg),
		"train_pairs":        len(train),
		"train_pairs_imdb":   imdbPairs,
		"train_sentences":    len(imdbTrain.pos) + len(imdbTrain.neg),
		"valid_sentences":    len(imdbValid.pos) + len(imdbValid.neg),
		"valid_pairs":        len(files["validation.jsonl"]),
		"flipped_pairs":      nFlip,
		"pretrain_documents": len(corpus),
		"sft_examples":       len(sft),
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(filepath.Join(o.out, "afinn.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Printf("sentiment_reward: %d training pairs (%d IMDB ones from %d sentences), %d validation pairs, %d held-out pairs (%d sentences), %d flipped in train_noisy.jsonl\n",
		len(train), imdbPairs, len(imdbTrain.pos)+len(imdbTrain.neg), len(files["validation.jsonl"]), len(held), len(heldPos)+len(heldNeg), nFlip)
	fmt.Printf("sentiment_reward: AFINN held-out pair accuracy %.4f (%d ties counted half)\n", right/float64(len(held)), ties)
	return nil
}

// chunks cuts a text into documents of about 600 characters at paragraph
// breaks, white space collapsed.
func chunks(text string) []data.Text {
	var out []data.Text
	var chunk strings.Builder
	for _, p := range strings.Split(text, "\n\n") {
		p = strings.Join(strings.Fields(p), " ")
		if p == "" {
			continue
		}
		if chunk.Len() > 0 {
			chunk.WriteString("\n\n")
		}
		chunk.WriteString(p)
		if chunk.Len() > 600 {
			out = append(out, data.Text{Text: chunk.String()})
			chunk.Reset()
		}
	}
	if chunk.Len() > 0 {
		out = append(out, data.Text{Text: chunk.String()})
	}
	return out
}

// readTexts reads a text file, or every .txt file of a folder.
func readTexts(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	files := []string{path}
	if st.IsDir() {
		if files, err = filepath.Glob(filepath.Join(path, "*.txt")); err != nil {
			return nil, err
		}
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, strings.ReplaceAll(string(b), "\r", ""))
	}
	return out, nil
}

func sign01(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x == 0:
		return 0.5
	}
	return 0
}

// afinn is npm sentiment@5.0.2's English scorer: its labels (AFINN-165)
// and negators, as written, since its tokenizer keeps "self-confident" one
// word.
type afinn struct {
	labels   judge.Lexicon
	negators judge.Lexicon
}

func loadAFINN(pkg string) (*afinn, error) {
	dir := filepath.Join(pkg, "languages", "en")
	labels, err := judge.ReadLexicon(filepath.Join(dir, "labels.json"))
	if err != nil {
		return nil, err
	}
	negators, err := judge.ReadLexicon(filepath.Join(dir, "negators.json"))
	if err != nil {
		return nil, err
	}
	return &afinn{labels: labels, negators: negators}, nil
}

// punct is the character class sentiment's tokenizer blanks out.
var punct = regexp.MustCompile("[.,/#!?$%^&*;:{}=_`\"~()]")

// tokens mirrors lib/tokenize.js: lower case, newlines and punctuation to
// spaces, runs of white space collapsed, trimmed, split on spaces.
func tokens(s string) []string {
	s = strings.ToLower(s)
	s = strings.ReplaceAll(s, "\n", " ")
	s = punct.ReplaceAllString(s, " ")
	s = regexp.MustCompile(`\s\s+`).ReplaceAllString(s, " ")
	return strings.Split(strings.TrimSpace(s), " ")
}

// score mirrors Sentiment.prototype.analyze's score: the sum of the labels
// of the tokens, each negated when the token before it is a negator.
func (a *afinn) score(s string) float64 {
	toks := tokens(s)
	var total float64
	for i, t := range toks {
		v, ok := a.labels[t]
		if !ok {
			continue
		}
		if i > 0 && a.negators[toks[i-1]] != 0 {
			v = -v
		}
		total += v
	}
	return total
}
