// Command sentimentexp prepares the sentiment experiment of
// scripts/sentiment_reward.sh and scores its lexicon baseline.
//
// It reads the labelled sentences of npm sentiment@5.0.2
// (test/fixtures/{imdb,yelp,amazon}.json: 500 positive and 500 negative
// each, real human labels) and writes, into --out:
//
//	corpus.jsonl         pretraining text: the Yelp and Amazon sentences and
//	                     Moby-Dick, never an IMDB sentence (checked)
//	sft.jsonl            SFT examples: "Write a positive|negative restaurant|
//	                     product review sentence." → a Yelp/Amazon sentence
//	train.jsonl          preference pairs from the IMDB training sentences:
//	                     for "Write a positive movie review sentence." the
//	                     positive sentence is chosen over a negative one
//	train_noisy.jsonl    the same with 20% of the labels flipped at random
//	heldout.jsonl        every positive × negative pair of the held-out IMDB
//	                     sentences (split by a hash of the sentence, so no
//	                     held-out sentence occurs in training)
//	afinn.json           the AFINN-165 lexicon's accuracy on heldout.jsonl,
//	                     scored exactly as npm sentiment's analyze does
//
// The noisy file flips whole pairs (chosen and rejected swapped).
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
)

// Prompt is the reward prompt of the experiment.
const Prompt = "Write a positive movie review sentence."

type labelled struct {
	Text  string `json:"text"`
	Class int    `json:"class"`
}

func main() {
	pkg := flag.String("sentiment", "", "unpacked npm sentiment@5.0.2 (the folder holding test/ and languages/)")
	out := flag.String("out", "", "output directory")
	heldFrac := flag.Float64("heldout", 0.2, "fraction of the IMDB sentences held out (by sentence hash)")
	perPos := flag.Int("pairs-per-sentence", 4, "training pairs per positive sentence (negatives drawn at random)")
	flip := flag.Float64("flip", 0.2, "share of training labels flipped in train_noisy.jsonl")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *pkg == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: sentimentexp --sentiment DIR --out DIR")
		os.Exit(2)
	}
	if err := run(*pkg, *out, *heldFrac, *perPos, *flip, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "sentimentexp: error:", err)
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

func run(pkg, out string, heldFrac float64, perPos int, flip float64, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0x73656e74))
	imdb, err := readFixture(pkg, "imdb")
	if err != nil {
		return err
	}
	var other []labelled
	for _, n := range []string{"yelp", "amazon"} {
		s, err := readFixture(pkg, n)
		if err != nil {
			return err
		}
		if n == "yelp" {
			for i := range s {
				s[i].Class += 10 // mark the domain: 10/11 restaurant, 0/1 product
			}
		}
		other = append(other, s...)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}

	// Pretraining text: Yelp and Amazon sentences (three times) and Moby-Dick.
	book, err := data.MobyDick()
	if err != nil {
		return err
	}
	var corpus []data.Text
	for rep := 0; rep < 3; rep++ {
		for _, i := range rng.Perm(len(other)) {
			corpus = append(corpus, data.Text{Text: other[i].Text})
		}
	}
	paras := strings.Split(book, "\n\n")
	var chunk strings.Builder
	for _, p := range paras {
		p = strings.Join(strings.Fields(p), " ")
		if p == "" {
			continue
		}
		if chunk.Len() > 0 {
			chunk.WriteString("\n\n")
		}
		chunk.WriteString(p)
		if chunk.Len() > 600 {
			corpus = append(corpus, data.Text{Text: chunk.String()})
			chunk.Reset()
		}
	}
	if chunk.Len() > 0 {
		corpus = append(corpus, data.Text{Text: chunk.String()})
	}
	rng.Shuffle(len(corpus), func(i, j int) { corpus[i], corpus[j] = corpus[j], corpus[i] })
	var all strings.Builder
	for _, d := range corpus {
		all.WriteString(d.Text)
		all.WriteByte('\n')
	}
	text := all.String()
	for _, s := range imdb {
		if len(s.Text) > 25 && strings.Contains(text, s.Text) {
			return fmt.Errorf("the pretraining text contains the IMDB sentence %q", s.Text)
		}
	}
	if err := data.WriteRecords(filepath.Join(out, "corpus.jsonl"), corpus); err != nil {
		return err
	}

	// SFT: the policy learns to write review sentences on request.
	var sft []data.SFT
	for _, s := range other {
		mood := map[int]string{0: "negative", 1: "positive"}[s.Class%10]
		kind := "product"
		if s.Class >= 10 {
			kind = "restaurant"
		}
		sft = append(sft, data.SFT{Prompt: fmt.Sprintf("Write a %s %s review sentence.", mood, kind), Completion: s.Text})
	}
	rng.Shuffle(len(sft), func(i, j int) { sft[i], sft[j] = sft[j], sft[i] })
	if err := data.WriteRecords(filepath.Join(out, "sft.jsonl"), sft); err != nil {
		return err
	}

	// Preferences: split the IMDB sentences by sentence.
	var trainPos, trainNeg, heldPos, heldNeg []string
	seen := map[string]bool{}
	for _, s := range imdb {
		if seen[s.Text] {
			continue // a repeated sentence would straddle nothing, but keep one copy
		}
		seen[s.Text] = true
		held := data.HeldOut(s.Text, heldFrac)
		switch {
		case held && s.Class == 1:
			heldPos = append(heldPos, s.Text)
		case held:
			heldNeg = append(heldNeg, s.Text)
		case s.Class == 1:
			trainPos = append(trainPos, s.Text)
		default:
			trainNeg = append(trainNeg, s.Text)
		}
	}
	pref := func(c, r string) data.Preference {
		return data.Preference{Prompt: Prompt, Chosen: c, Rejected: r, Source: "human:imdb-sentiment", Tags: []string{"imdb"}}
	}
	var train []data.Preference
	for _, p := range trainPos {
		for _, j := range rng.Perm(len(trainNeg))[:perPos] {
			train = append(train, pref(p, trainNeg[j]))
		}
	}
	rng.Shuffle(len(train), func(i, j int) { train[i], train[j] = train[j], train[i] })
	noisy := append([]data.Preference(nil), train...)
	nFlip := int(flip*float64(len(noisy)) + 0.5)
	for _, i := range rng.Perm(len(noisy))[:nFlip] {
		noisy[i].Chosen, noisy[i].Rejected = noisy[i].Rejected, noisy[i].Chosen
	}
	var held []data.Preference
	for _, p := range heldPos {
		for _, n := range heldNeg {
			held = append(held, pref(p, n))
		}
	}
	for name, recs := range map[string][]data.Preference{"train.jsonl": train, "train_noisy.jsonl": noisy, "heldout.jsonl": held} {
		if err := data.WriteRecords(filepath.Join(out, name), recs); err != nil {
			return err
		}
	}

	// The lexicon baseline.
	lex, err := loadAFINN(pkg)
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
		"train_sentences":    len(trainPos) + len(trainNeg),
		"flipped_pairs":      nFlip,
		"pretrain_documents": len(corpus),
		"sft_examples":       len(sft),
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(filepath.Join(out, "afinn.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Printf("sentimentexp: %d training pairs (%d sentences), %d held-out pairs (%d sentences), %d flipped in train_noisy.jsonl\n",
		len(train), len(trainPos)+len(trainNeg), len(held), len(heldPos)+len(heldNeg), nFlip)
	fmt.Printf("sentimentexp: AFINN held-out pair accuracy %.4f (%d ties counted half)\n", right/float64(len(held)), ties)
	return nil
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
// and negators.
type afinn struct {
	labels   map[string]float64
	negators map[string]bool
}

func loadAFINN(pkg string) (*afinn, error) {
	a := &afinn{}
	dir := filepath.Join(pkg, "languages", "en")
	b, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &a.labels); err != nil {
		return nil, err
	}
	b, err = os.ReadFile(filepath.Join(dir, "negators.json"))
	if err != nil {
		return nil, err
	}
	var neg map[string]int
	if err := json.Unmarshal(b, &neg); err != nil {
		return nil, err
	}
	a.negators = map[string]bool{}
	for k, v := range neg {
		a.negators[k] = v != 0
	}
	return a, nil
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
		if i > 0 && a.negators[toks[i-1]] {
			v = -v
		}
		total += v
	}
	return total
}
