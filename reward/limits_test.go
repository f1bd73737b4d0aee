package reward

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/chat/chattest"
	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/atomicfile"
	"github.com/align-project/align/internal/yamlconf"
)

// 1,500 independent pairs under one instruction (the IMDB case) used to
// be folded into elements of 36 pairs, 72 sequences each (one element of
// 3,000 sequences without the cap): each is now an element of its own.
func TestGroupsAreRankingsNotPrompts(t *testing.T) {
	const n = 1500
	var prefs []data.Preference
	for i := range n {
		prefs = append(prefs, data.Preference{Prompt: "Write a positive review sentence.",
			Chosen: fmt.Sprintf("a fine film %d", i), Rejected: fmt.Sprintf("a dull film %d", i)})
	}
	c := DefaultConfig()
	gs := MakeGroups(prefs, c.Group, c.MaxGroupPairs, c.LossConfig)
	if len(gs) != n {
		t.Fatalf("%d independent pairs under one prompt made %d elements, want %d", n, len(gs), n)
	}
	for i, g := range gs {
		if len(g.Pairs) != 1 || len(g.Responses) != 2 {
			t.Fatalf("element %d: %d pairs, %d responses", i, len(g.Pairs), len(g.Responses))
		}
	}

	// What label writes: the K(K−1)/2 comparisons of each pair share its
	// id. Two rankings of the same prompt stay apart; a ranking stays whole.
	ranking := func(id string, k int) []data.Preference {
		var rs []string
		for i := range k {
			rs = append(rs, fmt.Sprintf("%s response %d", id, i))
		}
		out := RankingPreferences("same prompt", rs)
		for i := range out {
			out[i].ID = id
		}
		return out
	}
	prefs = append(ranking("pair-a", 3), ranking("pair-b", 3)...)
	prefs = append(prefs, data.Preference{Prompt: "same prompt", Chosen: "x", Rejected: "y"})
	gs = MakeGroups(prefs, true, c.MaxGroupPairs, c.LossConfig)
	if len(gs) != 3 || len(gs[0].Pairs) != 3 || len(gs[0].Responses) != 3 || len(gs[1].Pairs) != 3 || len(gs[2].Pairs) != 1 {
		t.Fatalf("two rankings of 3 and a lone pair of one prompt: %d elements %+v", len(gs), gs)
	}
	// The same id under another prompt is another ranking.
	other := ranking("pair-a", 2)
	for i := range other {
		other[i].Prompt = "another prompt"
	}
	if gs := MakeGroups(append(ranking("pair-a", 2), other...), true, 0, c.LossConfig); len(gs) != 2 {
		t.Errorf("one id under two prompts: %d elements, want 2", len(gs))
	}

	// The largest ranking (16 responses, 120 comparisons) is split by the
	// default cap of 36 pairs.
	gs = MakeGroups(ranking("big", data.MaxResponses), true, c.MaxGroupPairs, c.LossConfig)
	if len(gs) != 4 || len(gs[0].Pairs) != 36 || len(gs[3].Pairs) != 120-3*36 {
		t.Errorf("a ranking of 16 under the default cap: %d elements", len(gs))
	}
	// An id shared by unrelated pairs cannot make an element larger than
	// a ranking can be, even without a cap on pairs.
	var shared []data.Preference
	for i := range 100 {
		shared = append(shared, data.Preference{ID: "imdb", Prompt: "p", Chosen: fmt.Sprint("good ", i), Rejected: fmt.Sprint("bad ", i)})
	}
	for _, g := range MakeGroups(shared, true, 0, c.LossConfig) {
		if len(g.Responses) > MaxGroupResponses {
			t.Fatalf("an element of %d responses, at most %d", len(g.Responses), MaxGroupResponses)
		}
	}
}

// The quick run's preferences come from label: three responses per pair,
// one pair per prompt, the pair's id on each comparison. Grouping them by
// ranking gives exactly the elements that grouping by prompt gave.
func TestLabelledPreferencesGroupAsBefore(t *testing.T) {
	var prefs []data.Preference
	for p := range 20 {
		prompt := fmt.Sprintf("prompt %d", p)
		pair := data.Pair{Prompt: prompt, Responses: []string{"a" + prompt, "b" + prompt, "c" + prompt}}
		for _, pr := range RankingPreferences(prompt, pair.Responses) {
			pr.ID = data.PairID(pair)
			prefs = append(prefs, pr)
		}
	}
	byPrompt := map[string]int{}
	gs := MakeGroups(prefs, true, DefaultConfig().MaxGroupPairs, LossConfig{})
	for i, g := range gs {
		byPrompt[g.Prompt]++
		if g.Prompt != fmt.Sprintf("prompt %d", i) || len(g.Pairs) != 3 || len(g.Responses) != 3 {
			t.Fatalf("element %d: %+v", i, g)
		}
	}
	if len(gs) != 20 || len(byPrompt) != 20 {
		t.Errorf("%d elements over %d prompts, want 20 of 20", len(gs), len(byPrompt))
	}
}

// Settings that can only overflow the loss are refused with their key.
func TestConfigBoundsRealSettings(t *testing.T) {
	for _, tc := range []struct {
		key  string
		edit func(*Config)
	}{
		{"margin_scale", func(c *Config) { c.MarginScale = 1e308 }},
		{"margin_scale", func(c *Config) { c.MarginScale = 11 }},
		{"margin_scale", func(c *Config) { c.MarginScale = math.NaN() }},
		{"center", func(c *Config) { c.Center = math.Inf(1) }},
		{"rating_weight", func(c *Config) { c.RatingWeight = 1e6 }},
		{"head_lr_mult", func(c *Config) { c.HeadLRMult = 1e300 }},
		{"lr", func(c *Config) { c.LR = 1e308 }},
		{"weight_decay", func(c *Config) { c.WeightDecay = 1e9 }},
		{"clip", func(c *Config) { c.Clip = math.Inf(1) }},
		{"min_delta", func(c *Config) { c.MinDelta = math.NaN() }},
		{"norm_temperature", func(c *Config) { c.NormTemperature = math.Inf(1) }},
		{"weights", func(c *Config) { c.Weights = map[string]float64{"preference": 1e308} }},
	} {
		c := DefaultConfig()
		tc.edit(&c)
		err := c.Validate()
		if ke, ok := errors.AsType[*yamlconf.KeyError](err); !ok || ke.Key != tc.key {
			t.Errorf("%s: got %v, want a *yamlconf.KeyError of %s", tc.key, err, tc.key)
		}
	}
	c := DefaultConfig()
	c.MarginScale, c.Center, c.RatingWeight, c.HeadLRMult = data.MaxMargin, MaxLossWeight, MaxLossWeight, MaxLossWeight
	if err := c.Validate(); err != nil {
		t.Errorf("the bounds themselves: %v", err)
	}
}

// A margin of 1e308 used to pass validation and end training with "json:
// unsupported value: +Inf", naming no file or line; 1e6 trained silently
// with a loss of 1e6. The reader now names the file, the line and the field.
func TestTrainRefusesAbsurdMargin(t *testing.T) {
	base := chattest.PolicyDir(t, "sft", 1, 0)
	dir := t.TempDir()
	for _, m := range []string{"1e308", "1e6"} {
		prefs := writeFile(t, filepath.Join(dir, "prefs.jsonl"),
			`{"prompt":"say a word","chosen":"good","rejected":"bad"}`,
			`{"prompt":"say a word","chosen":"good one","rejected":"bad one","margin":`+m+`}`)
		out := filepath.Join(dir, "rm")
		_, err := Train(context.Background(), TrainSpec{Config: tinyTrainConfig(), Base: base, Data: prefs, HeldOutFrac: 0, Out: out})
		ke, ok := errors.AsType[*yamlconf.KeyError](err)
		if !ok || ke.Key != "data" || !strings.Contains(err.Error(), `prefs.jsonl:2: field "margin": `) || !strings.Contains(err.Error(), "outside [0, 10]") {
			t.Errorf("margin %s: %v", m, err)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("margin %s: the refused run wrote %s", m, out)
		}
	}
	// Records built in code are checked too.
	huge := 1e308
	tr := &Trainer{Config: tinyTrainConfig(), Model: tiny(t),
		Train: []data.Preference{{Prompt: "q", Chosen: "a", Rejected: "b", Margin: &huge}}}
	if _, err := tr.Run(context.Background()); err == nil || !strings.Contains(err.Error(), `training preference 1: field "margin"`) {
		t.Errorf("a margin of 1e308 built in code: %v", err)
	}
}

// A model whose numbers are no longer finite stops training with an error
// that says so and what to do, before anything is written; before, the run
// ended in "json: unsupported value: NaN" from the metrics or eval.json.
func TestNonFiniteNumbersNeverReachJSON(t *testing.T) {
	m := tiny(t)
	for i := range m.Net.Params() {
		m.Net.Params()[i] = float32(math.NaN())
	}
	out := filepath.Join(t.TempDir(), "rm")
	c := tinyTrainConfig()
	c.NormSamples = 0
	tr := &Trainer{Config: c, Model: m, Out: out,
		Train: []data.Preference{{Prompt: "say a word", Chosen: "good", Rejected: "bad"}}}
	_, err := tr.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "the loss of the first step is NaN, before any update: the base checkpoint's weights hold a NaN") {
		t.Fatalf("training a NaN model: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, EvalFile)); err == nil {
		t.Error("eval.json written by a diverged run")
	}

	in := writeFile(t, filepath.Join(t.TempDir(), "in.jsonl"), `{"prompt":"q","response":"r"}`)
	_, err = ScoreFile(context.Background(), m, in, filepath.Join(t.TempDir(), "out.jsonl"), 1)
	if err == nil || !strings.Contains(err.Error(), "record 1: the reward model's score is not a finite number") {
		t.Errorf("scoring with a NaN model: %v", err)
	}

	m.Info.Gain[HeadSafety] = math.Inf(1)
	if err := m.Save(filepath.Join(t.TempDir(), "saved")); err == nil || !strings.Contains(err.Error(), "gain[3] is not a finite number") {
		t.Errorf("saving an infinite gain: %v", err)
	}
	if p := atomicfile.FirstNonFinite(Metrics{Step: 3, Loss: math.Inf(1)}); p != "train_loss" {
		t.Errorf("firstNonFinite of a metrics line: %q", p)
	}
}
