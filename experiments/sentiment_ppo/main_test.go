package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/align-project/align/eval"
	"github.com/align-project/align/judge"
	"github.com/align-project/align/ppo"
)

const installHint = "run scripts/install-test-assets.sh (it installs the npm packages into $ALIGN_ASSETS or <repo>/.assets), or go test -short to skip"

// vaderScript returns the command that runs vader_score.mjs, or
// fails the test with the fix when node or vader-sentiment@1.1.3 is
// missing (only -short skips).
func vaderScript(t *testing.T) []string {
	t.Helper()
	assets := os.Getenv("ALIGN_ASSETS")
	if assets == "" {
		assets = filepath.Join("..", "..", ".assets")
	}
	bundle := filepath.Join(assets, "npm", "vader-sentiment@1.1.3", "package", "build", "vaderSentiment.bundle.js")
	_, nodeErr := exec.LookPath("node")
	if _, err := os.Stat(bundle); err != nil || nodeErr != nil {
		if testing.Short() {
			t.Skip("-short: node or npm vader-sentiment@1.1.3 missing")
		}
		t.Fatalf("the VADER judge needs node and npm vader-sentiment@1.1.3 (%s): %s", bundle, installHint)
	}
	return []string{"node", "vader_score.mjs"}
}

// TestVaderScore checks vader_score.mjs on fixed sentences against
// VADER's compound scores: the first is the example of vader-sentiment's
// README (0.8545, also the Python original's), the others were computed
// with the package once and are listed here.
func TestVaderScore(t *testing.T) {
	script := vaderScript(t)
	cases := []struct {
		text string
		want float64
	}{
		{"VADER is very smart, handsome, and funny", 0.8545},
		{"The food was terrible.", -0.4767},
		{"The food was not terrible.", 0.3724},
		{"Great service, I love this place!", 0.8622},
		{"I ordered the soup.", 0},
		{"", 0},
	}
	var in bytes.Buffer
	for i, c := range cases {
		b, _ := json.Marshal(VaderLine{I: i, Model: "policy", Text: c.text})
		in.Write(append(b, '\n'))
	}
	cmd := exec.Command(script[0], script[1:]...)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("vader_score.mjs: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("%d lines out for %d in:\n%s", len(lines), len(cases), out)
	}
	for i, line := range lines {
		var v VaderLine
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if v.I != i || v.Text != cases[i].text || v.Vader == nil {
			t.Fatalf("line %d: %s: fields not kept or no score", i+1, line)
		}
		if got := v.Vader.Compound; math.Abs(got-cases[i].want) > 1e-4 {
			t.Errorf("%q: compound %v, want %v", cases[i].text, got, cases[i].want)
		}
	}

	// A line without the text field is an error, not a silent zero.
	cmd = exec.Command(script[0], script[1:]...)
	cmd.Stdin = strings.NewReader(`{"other": "great"}` + "\n")
	if err := cmd.Run(); err == nil {
		t.Error("a line without the text field was accepted")
	}
}

func TestPreference(t *testing.T) {
	base := []float64{0, 0.5, -0.3, 0.2}
	pol := []float64{0.4, 0.5, -0.5, 0.9}
	if got := Preference(base, pol); got != (1+0.5+0+1)/4.0 {
		t.Errorf("Preference = %v, want 0.625", got)
	}
	if got := Wins(base, pol); !slices.Equal(got, []float64{1, 0.5, 0, 1}) {
		t.Errorf("Wins = %v, want [1 0.5 0 1]", got)
	}
	lo, hi := eval.Bootstrap(Wins(base, pol), 500, 0.95, 1)
	if !(lo <= 0.625 && 0.625 <= hi && lo >= 0 && hi <= 1) {
		t.Errorf("bootstrap interval [%v, %v] does not hold the estimate", lo, hi)
	}
}

func TestOpening(t *testing.T) {
	lex := judge.Lexicon{"great": 3, "not": 1}
	for _, c := range []struct {
		s    string
		n    int
		want string
		ok   bool
	}{
		{"The food was cold and bland.", 3, "The food was", true},
		{"The food was great.", 4, "", false}, // AFINN word
		{"I did not like it.", 3, "", false},  // negator
		{"I don't like it.", 2, "", false},    // n't
		{"The 2 of us came.", 3, "", false},   // digits
		{"Wow... just wow.", 2, "", false},    // punctuation
		{"Short one", 2, "", false},           // nothing left to continue
		{"My wife's steak came late.", 2, "My wife's", true},
	} {
		got, ok := Opening(c.s, c.n, lex)
		if got != c.want || ok != c.ok {
			t.Errorf("Opening(%q, %d) = %q, %v; want %q, %v", c.s, c.n, got, ok, c.want, c.ok)
		}
	}
}

func TestPromptsSplit(t *testing.T) {
	var sents []string
	for _, a := range []string{"The", "My", "Our", "This", "That", "Their"} {
		for _, b := range []string{"waiter", "phone", "film", "soup", "case", "plot", "staff", "charger"} {
			for _, c := range []string{"arrived", "came", "was", "had"} {
				sents = append(sents, a+" "+b+" "+c+" on time today and then some more words")
			}
		}
	}
	train, held := Prompts(sents, judge.Lexicon{}, 0.25)
	if len(train) == 0 || len(held) == 0 {
		t.Fatalf("%d training and %d held-out prompts", len(train), len(held))
	}
	in := map[string]bool{}
	for _, p := range train {
		in[strings.ToLower(p)] = true
	}
	for _, p := range held {
		if in[strings.ToLower(p)] {
			t.Errorf("held-out prompt %q is also a training prompt", p)
		}
		if !strings.HasPrefix(p, PromptPrefix) {
			t.Errorf("prompt %q lacks the prefix", p)
		}
	}
}

// TestDPOPairs: the best and worst response of each prompt make a pair;
// a prompt whose responses score alike makes none.
func TestDPOPairs(t *testing.T) {
	got := DPOPairs([]ScoredLine{
		{"p1", "meh", 0.1}, {"p2", "same", 0.3}, {"p1", "great", 0.9}, {"p1", "awful", -0.8}, {"p2", "same too", 0.3}, {"p1", "ok", 0.2},
	})
	if len(got) != 1 || got[0].Prompt != "p1" || got[0].Chosen != "great" || got[0].Rejected != "awful" {
		t.Errorf("pairs %+v", got)
	}
}

// TestSummary runs the summary on a small eval result and scored lines.
func TestSummary(t *testing.T) {
	dir := t.TempDir()
	ev := `{"splits": [{"name": "prompts.jsonl", "kind": "file", "table": {"columns": [
	  {"name": "sft", "prompts": 3, "kl": 0, "reward": -0.2, "response_length": 12, "eos_rate": 1},
	  {"name": "ppo", "prompts": 3, "kl": 2.5, "reward": 1.1, "response_length": 10, "eos_rate": 1}]},
	 "samples": [
	  {"prompt": "Continue the review: The soup", "responses": ["It was bad.", "It was great!"]},
	  {"prompt": "Continue the review: My phone", "responses": ["It broke.", "I love it."]},
	  {"prompt": "Continue the review: The staff", "responses": ["Fine.", "Fine."]}]}]}`
	scores := [][2]float64{{-0.54, 0.66}, {0, 0.64}, {0.2, 0.2}}
	var vl bytes.Buffer
	var res eval.Result
	if err := json.Unmarshal([]byte(ev), &res); err != nil {
		t.Fatal(err)
	}
	for i, s := range res.Splits[0].Samples {
		for c, role := range roles {
			fmt.Fprintf(&vl, `{"i": %d, "model": %q, "text": %q, "vader": {"compound": %v}}`+"\n", i, role, s.Responses[c], scores[i][c])
		}
	}
	cfg := ppo.DefaultConfig()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	args := []string{"--eval", write("eval.json", ev), "--vader", write("vader.jsonl", vl.String()),
		"--config", write("config.yaml", string(cfg.YAML())), "--target-kl", "6", "--out", filepath.Join(dir, "summary.json"), "--target", "0.8"}
	var out bytes.Buffer
	if err := cmdSummary(args, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	var s Summary
	b, _ := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if want := 2.5 / 3; math.Abs(s.VaderPreference-want) > 1e-12 || s.VaderTies != 1 || !s.Pass || s.KL != 2.5 || s.TargetKL != 6 || s.Method != "ppo" {
		t.Errorf("summary %+v: want ppo's preference %v with 1 tie, KL 2.5 within 6, pass", s, want)
	}
	if s.Config["target_kl"] != cfg.TargetKL {
		t.Errorf("config target_kl %v, want %v", s.Config["target_kl"], cfg.TargetKL)
	}
	if !strings.Contains(out.String(), "VADER prefers PPO over SFT on 0.833") {
		t.Errorf("printed summary lacks the preference:\n%s", out.String())
	}

	// A KL beyond the bound fails the summary with errMissed.
	args[len(args)-1] = "0.5"
	args[7] = "2"
	if err := cmdSummary(args, &out); err != errMissed {
		t.Errorf("KL 2.5 over target 2: err %v, want errMissed", err)
	}

	// A scored text that is not the eval's response is an error.
	write("vader.jsonl", strings.Replace(vl.String(), "It broke.", "It broke!", 1))
	if err := cmdSummary(args, &out); err == nil || err == errMissed {
		t.Errorf("mismatched text: err %v", err)
	}
}
