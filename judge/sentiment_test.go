package judge

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/align-project/align/data"
)

// labelledSentence is a record of npm sentiment's test fixtures: a sentence
// from a review with a human label (1 positive, 0 negative).
type labelledSentence struct {
	Text  string `json:"text"`
	Class int    `json:"class"`
}

func loadSentences(t *testing.T, set string) []labelledSentence {
	t.Helper()
	b, err := os.ReadFile(asset(t, filepath.Join(sentimentPkg, "test", "fixtures", set+".json")))
	if err != nil {
		t.Fatal(err)
	}
	var recs []labelledSentence
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatal(err)
	}
	return recs
}

// sentimentPairs pairs each held-out positive sentence with a random
// held-out negative one (seeded), in random A/B order, and returns the
// comparisons with the human label of each (First: A is the positive one).
func sentimentPairs(recs []labelledSentence, seed uint64) ([]Comparison, []int) {
	var pos, neg []string
	for _, r := range recs {
		if !data.HeldOut(r.Text, 0.5) { // the other half is left for tuning
			continue
		}
		if r.Class == 1 {
			pos = append(pos, r.Text)
		} else {
			neg = append(neg, r.Text)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	rng.Shuffle(len(neg), func(i, j int) { neg[i], neg[j] = neg[j], neg[i] })
	n := min(len(pos), len(neg))
	cs := make([]Comparison, n)
	human := make([]int, n)
	for i := range n {
		c := Comparison{Prompt: "Write a positive movie review sentence.", A: pos[i], B: neg[i]}
		if rng.IntN(2) == 1 {
			c.A, c.B = c.B, c.A
			human[i] = Second
		}
		cs[i] = c
	}
	return cs, human
}

func positiveConstitution(t *testing.T) *Constitution {
	t.Helper()
	c, err := LoadConstitution(filepath.Join("..", "testdata", "judge", "positive.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSentimentAgreement is the acceptance check of the built-in judge on
// human labels: with "prefer the more positive response", on held-out pairs
// of a positive and a negative IMDB review sentence, it must agree with the
// human label on at least 80% (ties count as disagreement).
func TestSentimentAgreement(t *testing.T) {
	afinn, err := LoadLexicon(asset(t, afinnLabels))
	if err != nil {
		t.Fatal(err)
	}
	c := positiveConstitution(t)
	for _, set := range []string{"imdb", "yelp", "amazon"} {
		cs, human := sentimentPairs(loadSentences(t, set), 1)
		for _, lx := range []struct {
			name string
			lex  Lexicon
			min  float64
		}{{"AFINN-165", afinn, 0.80}, {"basic", BasicLexicon(), 0.75}} {
			j, err := NewBuiltin(c)
			if err != nil {
				t.Fatal(err)
			}
			j.Lexicon = lx.lex
			got := make([]int, len(cs))
			for i, cmp := range cs {
				v, err := j.Compare(context.Background(), cmp)
				if err != nil {
					t.Fatal(err)
				}
				got[i] = Tie
				if p := v.Preferred(); p >= 0 {
					got[i] = p
				}
			}
			ag, err := CompareLabels(human, got)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s, %s lexicon: %s", set, lx.name, ag)
			if set == "imdb" && ag.Rate < lx.min {
				t.Errorf("%s, %s lexicon: agreement %.1f%% < %.0f%%", set, lx.name, 100*ag.Rate, 100*lx.min)
			}
		}
	}
}

func TestReadLexiconKeepsEntriesAsWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "labels.json")
	if err := os.WriteFile(path, []byte(`{"self-confident": 2, "Good": 3, "can't stand": -3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	raw, err := ReadLexicon(path)
	if err != nil {
		t.Fatal(err)
	}
	norm, err := LoadLexicon(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		lex  Lexicon
		keys []string
	}{{raw, []string{"self-confident", "Good", "can't stand"}}, {norm, []string{"self confident", "good", "can't stand"}}} {
		if len(c.lex) != len(c.keys) {
			t.Errorf("%v: want the keys %q", c.lex, c.keys)
		}
		for _, k := range c.keys {
			if _, ok := c.lex[k]; !ok {
				t.Errorf("%v lacks %q", c.lex, k)
			}
		}
	}
	if err := os.WriteFile(path, []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadLexicon(path); err == nil {
		t.Error("an empty lexicon was accepted")
	}
}
