package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAFINNMatchesNode checks the Go scorer against scores npm
// sentiment@5.0.2's analyze() gave for the same sentences (computed with
// node once; listed here). It needs the assets of install-test-assets.sh.
func TestAFINNMatchesNode(t *testing.T) {
	root := os.Getenv("ALIGN_ASSETS")
	if root == "" {
		root = filepath.Join("..", "..", ".assets")
	}
	pkg := filepath.Join(root, "npm", "sentiment@5.0.2", "package")
	if _, err := os.Stat(filepath.Join(pkg, "languages", "en", "labels.json")); err != nil {
		t.Skip("sentiment@5.0.2 not installed (scripts/install-test-assets.sh)")
	}
	lex, err := loadAFINN(pkg)
	if err != nil {
		t.Fatal(err)
	}
	var cases [][2]any
	if err := json.Unmarshal([]byte(nodeScores), &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		s, want := c[0].(string), c[1].(float64)
		if got := lex.score(s); got != want {
			t.Errorf("%q: %v, npm sentiment says %v", s, got, want)
		}
	}
}

const nodeScores = `[
["A very, very, very slow-moving, aimless movie about a distressed, drifting young man.",-2],
["Not sure who was more lost - the flat characters or the audience, nearly half of whom walked out.",-3],
["Attempting artiness with black & white and clever camera angles, the movie disappointed - became even more ridiculous - as the acting was poor and the plot and lines almost non-existent.",-5],
["I don't like it, it isn't good.",-5],
["Great food, can't complain!",5]
]`

// TestSplitKeepsTestAndValidationOut runs the command on made-up fixtures and
// checks that no test or validation sentence reaches the pretraining text,
// SFT or training pairs, and that the test pairs do not depend on --valid.
func TestSplitKeepsTestAndValidationOut(t *testing.T) {
	if testing.Short() {
		t.Skip("writes the Moby-Dick pretraining text")
	}
	pkg := t.TempDir()
	for _, d := range []string{"test/fixtures", "languages/en"} {
		if err := os.MkdirAll(filepath.Join(pkg, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name string, v any) {
		b, _ := json.Marshal(v)
		if err := os.WriteFile(filepath.Join(pkg, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, dom := range []string{"imdb", "yelp", "amazon"} {
		var recs []labelled
		for i := range 60 {
			recs = append(recs, labelled{Text: fmt.Sprintf("the %s sentence number %d is %s", dom, i, map[int]string{0: "awful", 1: "great"}[i%2]), Class: i % 2})
		}
		write("test/fixtures/"+dom+".json", recs)
	}
	write("languages/en/labels.json", map[string]int{"great": 3, "awful": -3})
	write("languages/en/negators.json", map[string]int{"not": 1})

	read := func(dir, name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	base := options{pkg: pkg, heldFrac: 0.2, perPos: 4, otherPerPos: 2, imdbInCorpus: true, corpusReps: 2, flip: 0.2, seed: 1}
	plain, split := base, base
	plain.out, split.out = t.TempDir(), t.TempDir()
	split.validFrac = 0.2
	for _, o := range []options{plain, split} {
		if err := run(o); err != nil {
			t.Fatal(err)
		}
	}
	if read(plain.out, "heldout.jsonl") != read(split.out, "heldout.jsonl") {
		t.Error("the test pairs change with --valid")
	}
	var held []string
	for _, name := range []string{"heldout.jsonl", "validation.jsonl"} {
		for _, line := range strings.Split(strings.TrimSpace(read(split.out, name)), "\n") {
			var p struct{ Chosen, Rejected string }
			if err := json.Unmarshal([]byte(line), &p); err != nil {
				t.Fatal(err)
			}
			held = append(held, p.Chosen, p.Rejected)
		}
	}
	if len(held) == 0 {
		t.Fatal("no test or validation pairs")
	}
	for _, name := range []string{"corpus.jsonl", "sft.jsonl", "train.jsonl", "train_noisy.jsonl"} {
		text := read(split.out, name)
		for _, s := range held {
			if strings.Contains(text, `"`+s+`"`) || strings.Contains(text, s+"\n") {
				t.Errorf("%s holds the held-out sentence %q", name, s)
			}
		}
	}
	if !strings.Contains(read(split.out, "train.jsonl"), "restaurant") {
		t.Error("no Yelp pairs in train.jsonl")
	}
}
