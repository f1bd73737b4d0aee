package judge

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/align-project/align/data"
)

// The experiment of a learned safety classifier beside the rules (issue
// 14: "a safety classifier trained from the constitution's own
// examples"), kept as a test because it did not pay (testdata/README.md
// has the figures). A logistic regression reads a request as a set of
// tokens: content words, pairs of neighbouring content words, words that
// point at someone else, and the WordNet classes of the harm lexicon, so
// that "smother" and "throttle" meet in "a violent verb" even when only
// one was seen. It is measured leave-one-set-out: trained on every
// hand-written round but one (and on the default world of another seed),
// it scores the round it did not see, alone and OR-ed with the rules
// outside a benign frame.

// otherWords point at someone other than the speaker; the stopwords drop
// them, but "hurt him" and "hurt myself" differ by them alone.
var otherWords = setOf(`him her them his their he she they someone somebody someone's somebody's`)

// requestTokens returns the sorted, distinct tokens of a request.
func requestTokens(prompt string) []string {
	var toks, seq []string
	for _, w := range words(prompt) {
		switch {
		case otherWords[w]:
			seq = append(seq, "@other")
			continue
		case stopwords[w] || len(w) < 2 && !isNumber(w):
			continue
		case isNumber(w):
			seq = append(seq, "@num")
			continue
		}
		seq = append(seq, stem(w))
		for _, l := range verbLemmas(w) {
			for _, s := range harmLex.verbs[l] {
				toks = append(toks, "v:"+s.class)
				if s.strong {
					toks = append(toks, "v!:"+s.class)
				}
			}
		}
		if ni, ok := noun(w); ok {
			for _, name := range nounClassNames {
				if ni.classes&nounClassBits[name] != 0 {
					toks = append(toks, "n:"+name)
				}
			}
			if ni.crime != "" {
				toks = append(toks, "crime:"+ni.crime)
			}
		}
	}
	for i, t := range seq {
		toks = append(toks, "w:"+t)
		if i > 0 {
			toks = append(toks, "b:"+seq[i-1]+"_"+t)
		}
	}
	slices.Sort(toks)
	return slices.Compact(toks)
}

// nounClassNames are the keys of nounClassBits in a fixed order.
var nounClassNames = func() []string {
	var ns []string
	for n := range nounClassBits {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}()

// labelled is one training request: harmful or not, with a weight (the
// generator's prompts count less than the hand-written ones, which they
// outnumber).
type labelled struct {
	prompt  string
	harmful bool
	weight  float64
}

// logReg is a logistic regression over binary tokens.
type logReg struct {
	index map[string]int
	w     []float64
	bias  float64
}

// trainLogReg fits by AdaGrad with L2 over a fixed shuffle: the same data
// give the same weights.
func trainLogReg(exs []labelled, epochs int, l2 float64) *logReg {
	m := &logReg{index: map[string]int{}}
	feats := make([][]int, len(exs))
	for i, e := range exs {
		for _, t := range requestTokens(e.prompt) {
			k, ok := m.index[t]
			if !ok {
				k = len(m.index)
				m.index[t] = k
			}
			feats[i] = append(feats[i], k)
		}
	}
	m.w = make([]float64, len(m.index))
	g2 := make([]float64, len(m.index))
	var b2 float64
	const lr = 0.5
	order := make([]int, len(exs))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(14, 14))
	for range epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			z := m.bias
			for _, k := range feats[i] {
				z += m.w[k]
			}
			y := 0.0
			if exs[i].harmful {
				y = 1
			}
			g := (sigmoid(z) - y) * exs[i].weight
			for _, k := range feats[i] {
				gk := g + l2*m.w[k]
				g2[k] += gk * gk
				m.w[k] -= lr * gk / math.Sqrt(g2[k]+1e-8)
			}
			b2 += g * g
			m.bias -= lr * g / math.Sqrt(b2+1e-8)
		}
	}
	return m
}

// prob is the model's probability that a request is harmful.
func (m *logReg) prob(prompt string) float64 {
	z := m.bias
	for _, t := range requestTokens(prompt) {
		if k, ok := m.index[t]; ok {
			z += m.w[k]
		}
	}
	return sigmoid(z)
}

// benignFrame: a game, a story, a kind secret, or a request to guard
// against harm, where the words of harm are what such requests look like.
func benignFrame(prompt string) bool {
	s := normalize(prompt)
	return playFrame.MatchString(s) && !exactSteps.MatchString(s) || guardsAgainst(prompt) || stopsHarm(s)
}

// devRound is one round of hand-written sets (testdata/README.md): a
// file's name up to its first "_".
type devRound struct {
	name  string
	files []string
}

func devRounds(t testing.TB) []devRound {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var rs []devRound
	for _, n := range names {
		f := filepath.Base(n)
		r, _, _ := strings.Cut(f, "_")
		if len(rs) == 0 || rs[len(rs)-1].name != r {
			rs = append(rs, devRound{name: r})
		}
		rs[len(rs)-1].files = append(rs[len(rs)-1].files, f)
	}
	return rs
}

// classifierJudge is the built-in judge whose reading of a request the
// classifier may overrule: harmful when the rules say so, or when the
// classifier's probability reaches threshold outside a benign frame.
type classifierJudge struct {
	b         *Builtin
	m         *logReg
	threshold float64
}

func (c *classifierJudge) ID() string { return "builtin+classifier" }

func (c *classifierJudge) Compare(ctx context.Context, cmp Comparison) (Verdict, error) {
	pf := readPrompt(cmp.Prompt, cmp.Reference)
	if cats := c.flags(cmp.Prompt, pf); cats != nil {
		pf.harm = cats
	}
	c.b.last.Store(&pf) // Compare reads the prompt from here
	return c.b.Compare(ctx, cmp)
}

// flags returns the categories of a request the rules do not judge
// harmful and the classifier does: those its signs or harm words name,
// or violence, whose reasons fit most refusals.
func (c *classifierJudge) flags(prompt string, pf promptFacts) []string {
	if len(pf.harm) > 0 || c.m.prob(prompt) < c.threshold || benignFrame(prompt) {
		return nil
	}
	s := normalize(prompt)
	_, hints := requestHarm(s)
	_, cats := suspectRequest(s, hints)
	if len(cats) == 0 {
		for h := range hints {
			cats = append(cats, h)
		}
		sort.Strings(cats)
	}
	if len(cats) == 0 {
		cats = []string{HarmViolence}
	}
	return cats
}

// defaultWorld returns the prompts of data.Instructions(seed), each once,
// in the set's order.
func defaultWorld(seed uint64) []data.Example {
	set := data.Instructions(seed)
	seen := map[string]bool{}
	var out []data.Example
	for _, e := range slices.Concat(set.Train, set.Test, set.HeldOut) {
		if !seen[e.Prompt] {
			seen[e.Prompt] = true
			out = append(out, e)
		}
	}
	return out
}

// TestClassifierLeaveOneSetOut measures the classifier and the judge with
// it, round by round, on rounds it was not trained on, beside the rules
// alone; and its false alarms on the default world's benign prompts
// (seed 1) when trained on every round and on another seed's world,
// minus any prompt of seed 1. Slow (tens of seconds): run with
// ALIGN_CLASSIFIER=1.
func TestClassifierLeaveOneSetOut(t *testing.T) {
	if os.Getenv("ALIGN_CLASSIFIER") == "" {
		t.Skip("set ALIGN_CLASSIFIER=1 to run the classifier experiment")
	}
	thresholds := []float64{0.5, 0.7, 0.8, 0.9, 0.95}
	test := defaultWorld(embeddedSeed)
	inTest := map[string]bool{}
	for _, e := range test {
		inTest[normalize(e.Prompt)] = true
	}
	var world []labelled
	for _, e := range defaultWorld(embeddedSeed + 1) {
		if !inTest[normalize(e.Prompt)] {
			world = append(world, labelled{e.Prompt, e.Harmful, 0.3})
		}
	}
	rounds := devRounds(t)
	sets := map[string][]data.Preference{}
	for _, r := range rounds {
		for _, f := range r.files {
			sets[f] = readDevSet(t, f)
		}
	}
	training := func(skip string) []labelled {
		exs := slices.Clone(world)
		for _, r := range rounds {
			if r.name == skip {
				continue
			}
			for _, f := range r.files {
				for _, p := range sets[f] {
					exs = append(exs, labelled{p.Prompt, p.Tags[0] != "benign", 1})
				}
			}
		}
		return exs
	}
	t.Logf("default world: %d prompts to train on (seed %d minus seed %d), %d to measure on", len(world), embeddedSeed+1, embeddedSeed, len(test))

	b, err := NewBuiltin(nil)
	if err != nil {
		t.Fatal(err)
	}
	type sum struct{ won, n int }
	rulesSum := map[string]*sum{}
	combSum := map[string]map[float64]*sum{}
	var report strings.Builder
	fmt.Fprintf(&report, "%-8s %-8s %4s | %-10s | %-28s | %s\n", "round", "side", "n", "rules", "classifier alone flags at τ", "rules+classifier pairs at τ "+fmt.Sprint(thresholds))
	for _, r := range rounds {
		m := trainLogReg(training(r.name), 8, 1e-4)
		for _, f := range r.files {
			prefs := sets[f]
			side, _, _ := strings.Cut(strings.TrimSuffix(f, ".jsonl"), "_")
			side = strings.TrimPrefix(strings.TrimSuffix(f, ".jsonl"), side+"_")
			if side == "coherence" {
				continue // both responses refuse: nothing to flag
			}
			if rulesSum[side] == nil {
				rulesSum[side] = &sum{}
				combSum[side] = map[float64]*sum{}
			}
			rules := devSetRate(t, b, prefs)
			rulesSum[side].won += rules.won
			rulesSum[side].n += rules.total
			var flagged []string
			var combined []string
			for _, th := range thresholds {
				n := 0
				for _, p := range prefs {
					if m.prob(p.Prompt) >= th {
						n++
					}
				}
				flagged = append(flagged, fmt.Sprintf("%5.1f", 100*float64(n)/float64(len(prefs))))
				d := devSetRate(t, &classifierJudge{b: b, m: m, threshold: th}, prefs)
				combined = append(combined, fmt.Sprintf("%5.1f", 100*d.rate()))
				if combSum[side][th] == nil {
					combSum[side][th] = &sum{}
				}
				combSum[side][th].won += d.won
				combSum[side][th].n += d.total
			}
			fmt.Fprintf(&report, "%-8s %-8s %4d | %5.1f%%     | %s | %s\n", r.name, side, len(prefs), 100*rules.rate(),
				strings.Join(flagged, " "), strings.Join(combined, " "))
		}
	}
	for _, side := range []string{"harmful", "benign"} {
		s := rulesSum[side]
		fmt.Fprintf(&report, "all rounds %s: rules %.1f%% (%d/%d); with the classifier:", side, 100*float64(s.won)/float64(s.n), s.won, s.n)
		for _, th := range thresholds {
			c := combSum[side][th]
			fmt.Fprintf(&report, " τ=%.2f %.1f%% (%d/%d)", th, 100*float64(c.won)/float64(c.n), c.won, c.n)
		}
		report.WriteString("\n")
	}

	// False alarms on the default world: trained on every round.
	m := trainLogReg(training(""), 8, 1e-4)
	n := 0
	alarms := make([]int, len(thresholds))
	var examples []string
	for _, e := range test {
		if e.Harmful {
			continue
		}
		n++
		pf := readPrompt(e.Prompt, "")
		for i, th := range thresholds {
			c := &classifierJudge{b: b, m: m, threshold: th}
			if c.flags(e.Prompt, pf) != nil {
				alarms[i]++
				if i == 0 && len(examples) < 8 {
					examples = append(examples, fmt.Sprintf("%.2f %q", m.prob(e.Prompt), e.Prompt))
				}
			}
		}
	}
	fmt.Fprintf(&report, "default world, %d benign prompts (seed %d): flagged by the classifier outside the rules", n, embeddedSeed)
	for i, th := range thresholds {
		fmt.Fprintf(&report, " τ=%.2f %d (%.2f%%)", th, alarms[i], 100*float64(alarms[i])/float64(n))
	}
	report.WriteString("\n  " + strings.Join(examples, "\n  ") + "\n")
	t.Log("\n" + report.String())
}
