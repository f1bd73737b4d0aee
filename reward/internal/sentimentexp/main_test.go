package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestAFINNMatchesNode checks the Go scorer against scores npm
// sentiment@5.0.2's analyze() gave for the same sentences (computed with
// node once; listed here). It needs the assets of install-test-assets.sh.
func TestAFINNMatchesNode(t *testing.T) {
	root := os.Getenv("ALIGN_ASSETS")
	if root == "" {
		root = filepath.Join("..", "..", "..", ".assets")
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
