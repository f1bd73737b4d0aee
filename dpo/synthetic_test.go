package dpo

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/align-project/align/model"
)

// The synthetic task's vocabulary: letters, a separator that ends the
// prompt (the assistant header) and an end of turn.
const (
	synLetters = 12
	synSep     = synLetters
	synEOS     = synLetters + 1
	synVocab   = synLetters + 2
)

// synthPairs makes n preference pairs of the synthetic task: a prompt of
// 2–5 random letters; the chosen response uses letters from the half of the
// alphabet the prompt's first letter is in, the rejected one from the other
// half. Learning it needs the prompt: a policy that only shifts its letter
// frequencies gets half the pairs right.
func synthPairs(rng *rand.Rand, n int) []Pair {
	half := synLetters / 2
	out := make([]Pair, n)
	for i := range out {
		prompt := make([]int32, 2+rng.IntN(4))
		for j := range prompt {
			prompt[j] = int32(rng.IntN(synLetters))
		}
		prompt = append(prompt, synSep)
		good, bad := 0, half
		if prompt[0] >= int32(half) {
			good, bad = half, 0
		}
		resp := func(base int) []int32 {
			s := append([]int32(nil), prompt...)
			for range 1 + rng.IntN(4) {
				s = append(s, int32(base+rng.IntN(half)))
			}
			return append(s, synEOS)
		}
		out[i] = Pair{Chosen: resp(good), Rejected: resp(bad), PromptLen: len(prompt)}
	}
	return out
}

func synthModel(t testing.TB) *model.Model {
	t.Helper()
	m, err := model.New(model.Config{VocabSize: synVocab, Context: 16, Layers: 2, Heads: 2, Channels: 32}, 4)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func synthConfig() Config {
	c := DefaultConfig()
	c.LR, c.MinLR, c.Warmup = 3e-3, 3e-4, 5
	c.BatchSize, c.Steps = 16, 120
	c.EvalEvery, c.SaveEvery = 40, 0
	c.KLPrompts, c.KLMaxNewTokens = 4, 6
	return c
}

// TestSyntheticTask trains a tiny policy from scratch on the synthetic task
// and requires the implicit reward to rank 95% of the held-out pairs right.
func TestSyntheticTask(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 1))
	train, held := synthPairs(rng, 320), synthPairs(rng, 96)
	for _, tc := range []struct {
		name string
		cfg  func(*Config)
	}{
		{"sigmoid", func(c *Config) {}},
		{"ipo", func(c *Config) { c.Loss, c.Beta = IPO, 0.5 }},
		{"robust", func(c *Config) { c.Loss, c.LabelFlipRate = Robust, 0.1 }},
		{"conservative", func(c *Config) { c.Loss, c.LabelFlipRate = Conservative, 0.1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && tc.name != "sigmoid" {
				t.Skip("one loss is enough with -short")
			}
			cfg := synthConfig()
			tc.cfg(&cfg)
			tr := &Trainer{Config: cfg, Policy: synthModel(t), Train: train, HeldOut: held, StopTokens: []int32{synEOS}}
			res, err := tr.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			e := res.Last.Eval
			if e == nil {
				t.Fatal("no evaluation at the last step")
			}
			t.Logf("%s: best held-out accuracy %.3f at step %d; last: accuracy %.3f, margin %.3f, chosen %+.2f, rejected %+.2f, KL %.3f",
				tc.name, res.BestAccuracy, res.BestStep, e.HeldOutAccuracy, e.HeldOutMargin, e.ChosenDelta, e.RejectedDelta, *e.KL)
			if res.BestAccuracy < 0.95 {
				t.Errorf("best held-out accuracy %.3f, want ≥ 0.95", res.BestAccuracy)
			}
			if !(e.HeldOutMargin > 0) || !(e.RejectedDelta < e.ChosenDelta) {
				t.Errorf("margin %v, chosen delta %v, rejected delta %v: the rejected responses should lose more", e.HeldOutMargin, e.ChosenDelta, e.RejectedDelta)
			}
		})
	}
}

// TestChosenDropWarns checks the warning about DPO's known failure: on the
// synthetic task the chosen responses lose probability too (less than the
// rejected ones), so a low threshold must trigger it, in the log and in
// metrics.jsonl.
func TestChosenDropWarns(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 1))
	cfg := synthConfig()
	cfg.ChosenDropWarn, cfg.KLPrompts = 0.5, 0
	var warnings []string
	var logged int
	tr := &Trainer{Config: cfg, Policy: synthModel(t), Train: synthPairs(rng, 320), HeldOut: synthPairs(rng, 96),
		Warn: func(msg string) { warnings = append(warnings, msg) },
		Progress: func(st Stats) {
			if st.Eval != nil && strings.Contains(st.Warning, "chosen log-prob fell") {
				logged++
			}
		}}
	res, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := res.Last.ChosenDelta; d > -cfg.ChosenDropWarn {
		t.Fatalf("chosen delta %v: the example lost its point", d)
	}
	if len(warnings) == 0 || !strings.Contains(warnings[len(warnings)-1], "chosen log-prob fell") || logged == 0 {
		t.Errorf("warnings %q (%d metrics lines with it); want one about the chosen log-prob", warnings, logged)
	}
}
