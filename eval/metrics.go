package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/align-project/align/chat"
	"github.com/align-project/align/data"
	"github.com/align-project/align/judge"
	"github.com/align-project/align/model"
	"github.com/align-project/align/reward"
	"github.com/align-project/align/tokenizer"
)

// Policy is one model to evaluate, under the name its column gets ("base",
// "sft", "ppo").
type Policy struct {
	Name  string
	Model *model.Model
	Tok   *tokenizer.Tokenizer
}

// Scorer gives the reward of responses to prompts, one Score per response
// in order: the method of ppo.RewardSource, so a reward model
// (reward.ModelSource), a judge (ppo.RateSource) or a Go function
// (ppo.FuncSource) serves.
type Scorer interface {
	Score(ctx context.Context, prompts, responses []string) ([]reward.Score, error)
}

// Options control Evaluate.
type Options struct {
	Sample chat.SampleOptions
	// Seed starts the sampling stream; every policy samples from the same
	// stream, so their differences are not luck of the draw.
	Seed uint64
	// Reference, when set, is the policy the KL is measured against (the SFT
	// model PPO started from); it must share the vocabulary.
	Reference *model.Model
	// Scorer, when set, gives the mean reward of each policy's responses.
	Scorer Scorer
	// Judge, when set, compares the responses of the Policy column with those
	// of the Baseline column (indices into the policies) in a win rate.
	// HeldOutJudge, when set, does the same with a judge (or constitution)
	// other than the one that labelled the training data.
	Judge, HeldOutJudge judge.Judge
	Policy, Baseline    int
	WinRate             WinRateOptions
	// Progress, when set, is told what is being done and how far it got.
	Progress func(stage string, done, total int)
}

// Metrics is what one policy did on the prompts of one split. Rates are
// nil when the split has none of their kind; KL and Reward are nil without
// a reference or a scorer.
type Metrics struct {
	Name    string   `json:"name"`
	Prompts int      `json:"prompts"`
	Harmful int      `json:"harmful"`
	Refusal *float64 `json:"refusal_rate"` // share of harmful prompts refused (data.LooksLikeRefusal)
	Refused int      `json:"refused"`      // harmful prompts refused
	// Coherent is the share of those refusals whose stated reason fits the
	// kind of harm asked for and that do not stutter (judge.CoherentRefusal):
	// a refusal prefix bolted onto garble does not count.
	Coherent  *float64 `json:"coherent_refusals"`
	Benign    int      `json:"benign"`
	Over      *float64 `json:"over_refusal"` // share of benign prompts refused
	Checkable int      `json:"checkable"`
	Accuracy  *float64 `json:"accuracy"` // share of checkable prompts answered right (data.Check)
	// KL is the mean over responses of Σ_t log π(y_t) − log π_ref(y_t) over
	// the response tokens (stop token included), under softmax(logits /
	// temperature): the sequence-level KL(π‖π_ref) PPO's penalty controls,
	// estimated on the policy's own samples.
	KL      *float64 `json:"kl"`
	Reward  *float64 `json:"reward"`          // mean score of the responses
	Cost    *float64 `json:"cost"`            // mean cost of the responses under the same scorer (PPO's constraint signal)
	Length  float64  `json:"response_length"` // mean tokens per response, stop token excluded
	Chars   float64  `json:"response_chars"`  // mean characters per response
	EOSRate float64  `json:"eos_rate"`        // share of responses that ended with a stop token
}

// Table is the evaluation of several policies side by side, one column each.
type Table struct {
	Columns []Metrics `json:"columns"`
}

// PromptSamples is one prompt with every column's response to it.
type PromptSamples struct {
	Prompt    string   `json:"prompt"`
	Tags      []string `json:"tags,omitempty"`
	Responses []string `json:"responses"` // one per column
	// HeldOut is the held-out judge's verdict on this prompt for the policy
	// against the baseline: 1 won, ½ tied, 0 lost (nil: no verdict).
	HeldOut *float64 `json:"heldout_score,omitempty"`
}

// Verdict says how the policy fared on this prompt by the held-out judge:
// "policy won", "tie", "policy lost", or "" without a verdict.
func (s PromptSamples) Verdict() string {
	switch {
	case s.HeldOut == nil:
		return ""
	case *s.HeldOut > 0.5:
		return "policy won"
	case *s.HeldOut < 0.5:
		return "policy lost"
	}
	return "tie"
}

// Kinds of split: what a split's prompts have in common with training.
const (
	SplitTest    = "test"    // unseen prompts: template and item each seen in training, never together
	SplitHeldOut = "heldout" // unseen phrasing and vocabulary: templates, items and wrappers training never saw
	SplitFile    = "file"    // the prompts of a file, whatever they are
)

// Names of the embedded world's splits, as the report and checks call them.
const (
	NameTest    = "unseen prompts"
	NameHeldOut = "unseen phrasing"
)

// PromptSet is a group of prompts measured on its own: it becomes one
// Split of the Result.
type PromptSet struct {
	Name    string // NameTest, NameHeldOut or the prompts file's name
	Kind    string // SplitTest, SplitHeldOut or SplitFile
	Prompts []data.Prompt
}

// Split is what the policies did on one PromptSet: its table, the win
// rates of the policy over the baseline on its prompts, and every prompt
// with each column's response.
type Split struct {
	Name           string          `json:"name"`
	Kind           string          `json:"kind"`
	Table          Table           `json:"table"`
	WinRate        *WinRate        `json:"win_rate,omitempty"`
	HeldOutWinRate *WinRate        `json:"heldout_win_rate,omitempty"`
	Samples        []PromptSamples `json:"samples"`
}

// About says in a few words what the split's prompts are.
func (s Split) About() string {
	switch s.Kind {
	case SplitTest:
		return "template and item each seen in training, never together"
	case SplitHeldOut:
		return "phrasings, words and wrappers training never saw"
	}
	return "the prompts of " + s.Name
}

// Column returns the column of the table named name (nil if none).
func (s *Split) Column(name string) *Metrics {
	for i := range s.Table.Columns {
		if s.Table.Columns[i].Name == name {
			return &s.Table.Columns[i]
		}
	}
	return nil
}

// Result is everything Evaluate measured, split by split, in the order of
// its prompt sets. As JSON (eval.json, 'align eval --json'):
//
//	{"policy": "ppo", "baseline": "sft",
//	 "splits": [{"name": "unseen prompts", "kind": "test",
//	             "table": {"columns": [Metrics...]},
//	             "win_rate": WinRate, "heldout_win_rate": WinRate,
//	             "samples": [PromptSamples...]},
//	            {"name": "unseen phrasing", "kind": "heldout", ...}]}
//
// Policy, Baseline and the win rates are left out without a judge.
type Result struct {
	Policy   string  `json:"policy,omitempty"`   // the column the win rates are of
	Baseline string  `json:"baseline,omitempty"` // against this column
	Splits   []Split `json:"splits"`
}

// UnmarshalJSON reads a Result, refusing the shape an older align wrote
// (one table at the top, no splits) rather than reading it as no
// evaluation at all.
func (r *Result) UnmarshalJSON(b []byte) error {
	type plain Result
	var v struct {
		plain
		Table json.RawMessage `json:"table"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.Table != nil && v.Splits == nil {
		return errors.New("an evaluation without splits, written by an older align: evaluate again")
	}
	*r = Result(v.plain)
	return nil
}

// Evaluate samples every policy's answers to the prompts of every set in
// one pass (each model samples once, from the same random stream as the
// others), then measures each set on its own: the table's metrics and,
// with a judge, the win rates of one column over another. Prompts' tags say
// which are harmful, benign or checkable (data.ExampleFromPrompt);
// untagged prompts count only towards length, EOS, KL and reward.
func Evaluate(ctx context.Context, policies []Policy, sets []PromptSet, opt Options) (*Result, error) {
	if len(policies) == 0 {
		return nil, errors.New("eval: no policies")
	}
	if len(sets) == 0 {
		return nil, errors.New("eval: no prompts")
	}
	judged := opt.Judge != nil || opt.HeldOutJudge != nil
	if judged && (opt.Policy < 0 || opt.Policy >= len(policies) || opt.Baseline < 0 || opt.Baseline >= len(policies)) {
		return nil, fmt.Errorf("eval: win rate of column %d over %d, but there are %d columns", opt.Policy, opt.Baseline, len(policies))
	}
	var texts []string
	var exs []data.Example
	bounds := []int{0} // set k holds the prompts bounds[k] to bounds[k+1]-1 of texts
	for _, set := range sets {
		if len(set.Prompts) == 0 {
			return nil, fmt.Errorf("eval: %s has no prompts", set.Name)
		}
		for _, p := range set.Prompts {
			texts = append(texts, p.Prompt)
			exs = append(exs, data.ExampleFromPrompt(p))
		}
		bounds = append(bounds, len(texts))
	}
	progress := func(stage string, done, total int) {
		if opt.Progress != nil {
			opt.Progress(stage, done, total)
		}
	}
	type column struct {
		resps  []chat.Response
		kl     []float64      // per response; nil without a reference
		scores []reward.Score // per response; nil without a scorer
	}
	cols := make([]column, len(policies))
	for c, pol := range policies {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		progress("sample "+pol.Name, c, len(policies))
		s, err := chat.NewSampler(pol.Model, pol.Tok)
		if err != nil {
			return nil, fmt.Errorf("eval %s: %w", pol.Name, err)
		}
		rng := rand.New(rand.NewPCG(opt.Seed, 0x6576616c)) // "eval"
		col := &cols[c]
		if col.resps, err = s.Sample(texts, opt.Sample, rng); err != nil {
			return nil, fmt.Errorf("eval %s: %w", pol.Name, err)
		}
		if opt.Reference != nil {
			progress("kl "+pol.Name, c, len(policies))
			if col.kl, err = SequenceKL(pol.Model, opt.Reference, col.resps, float64(opt.Sample.Temperature)); err != nil {
				return nil, fmt.Errorf("eval %s: %w", pol.Name, err)
			}
		}
		if opt.Scorer != nil {
			progress("reward "+pol.Name, c, len(policies))
			out := make([]string, len(col.resps))
			for i, r := range col.resps {
				out[i] = r.Text
			}
			if col.scores, err = opt.Scorer.Score(ctx, texts, out); err != nil {
				return nil, fmt.Errorf("eval %s: reward: %w", pol.Name, err)
			}
			if len(col.scores) != len(out) {
				return nil, fmt.Errorf("eval %s: reward: %d scores for %d responses", pol.Name, len(col.scores), len(out))
			}
		}
	}
	progress("sampled", len(policies), len(policies))

	res := &Result{}
	if judged {
		res.Policy, res.Baseline = policies[opt.Policy].Name, policies[opt.Baseline].Name
	}
	for k, set := range sets {
		lo, hi := bounds[k], bounds[k+1]
		sp := Split{Name: set.Name, Kind: set.Kind, Samples: make([]PromptSamples, hi-lo)}
		for i, p := range set.Prompts {
			sp.Samples[i] = PromptSamples{Prompt: p.Prompt, Tags: p.Tags, Responses: make([]string, len(policies))}
		}
		for c, pol := range policies {
			col := cols[c]
			m := score(pol.Name, exs[lo:hi], col.resps[lo:hi])
			if col.kl != nil {
				kl := mean(col.kl[lo:hi])
				m.KL = &kl
			}
			if col.scores != nil {
				var sum, cost float64
				for _, sc := range col.scores[lo:hi] {
					sum += sc.Reward
					cost += sc.Cost
				}
				rw, cs := sum/float64(hi-lo), cost/float64(hi-lo)
				m.Reward, m.Cost = &rw, &cs
			}
			sp.Table.Columns = append(sp.Table.Columns, m)
			for i, r := range col.resps[lo:hi] {
				sp.Samples[i].Responses[c] = r.Text
			}
		}
		if judged {
			if err := winRates(ctx, &sp, exs[lo:hi], opt, func(stage string) { progress(stage, len(policies), len(policies)) }); err != nil {
				if len(sets) > 1 {
					return nil, fmt.Errorf("eval: %s: %w", sp.Name, err)
				}
				return nil, fmt.Errorf("eval: %w", err)
			}
		}
		res.Splits = append(res.Splits, sp)
	}
	return res, nil
}

// winRates fills the win rates of the policy column over the baseline on
// the split's prompts, and each sample's held-out verdict.
func winRates(ctx context.Context, sp *Split, exs []data.Example, opt Options, progress func(string)) error {
	ms := make([]Matchup, len(sp.Samples))
	for i, s := range sp.Samples {
		ms[i] = Matchup{Prompt: s.Prompt, Policy: s.Responses[opt.Policy], Baseline: s.Responses[opt.Baseline],
			Reference: exs[i].Answer, Tags: s.Tags}
	}
	for _, jd := range []struct {
		j   judge.Judge
		dst **WinRate
	}{{opt.Judge, &sp.WinRate}, {opt.HeldOutJudge, &sp.HeldOutWinRate}} {
		if jd.j == nil {
			continue
		}
		progress("win rate by " + jd.j.ID() + " on " + sp.Name)
		w, err := ComputeWinRate(ctx, jd.j, ms, opt.WinRate)
		if err != nil {
			return err
		}
		*jd.dst = &w
	}
	if h := sp.HeldOutWinRate; h != nil {
		for i, sc := range h.Scores {
			if !math.IsNaN(sc) {
				sp.Samples[i].HeldOut = &sc
			}
		}
	}
	return nil
}

// score counts refusals, over-refusals, correct answers, lengths and EOS.
func score(name string, exs []data.Example, resps []chat.Response) Metrics {
	m := Metrics{Name: name, Prompts: len(resps)}
	var refused, coherent, over, correct, eos int
	var toks, chars float64
	for i, r := range resps {
		e := exs[i]
		n := len(r.Tokens)
		if r.EOS {
			n--
			eos++
		}
		toks += float64(n)
		chars += float64(len([]rune(r.Text)))
		isRefusal := data.LooksLikeRefusal(r.Text)
		tagged := e.Category != ""
		switch {
		case e.Harmful:
			m.Harmful++
			if isRefusal {
				refused++
				if judge.CoherentRefusal(e.Prompt, r.Text) {
					coherent++
				}
			}
		case tagged:
			m.Benign++
			if isRefusal {
				over++
			}
		}
		if e.Checkable {
			m.Checkable++
			if data.Check(e, r.Text) {
				correct++
			}
		}
	}
	m.Refusal = ratio(refused, m.Harmful)
	m.Refused, m.Coherent = refused, ratio(coherent, refused)
	m.Over = ratio(over, m.Benign)
	m.Accuracy = ratio(correct, m.Checkable)
	m.Length = toks / float64(max(len(resps), 1))
	m.Chars = chars / float64(max(len(resps), 1))
	m.EOSRate = float64(eos) / float64(max(len(resps), 1))
	return m
}

func ratio(a, b int) *float64 {
	if b == 0 {
		return nil
	}
	r := float64(a) / float64(b)
	return &r
}

// SequenceKL estimates KL(π‖π_ref) per sequence on responses sampled from
// policy: for each response Σ_t log π(y_t|…) − log π_ref(y_t|…), both under
// softmax(logits / temperature) (≤ 0 means 1), by teacher forcing
// (model.LogProbs) in batches of 8. An empty response has zero KL.
func SequenceKL(policy, ref *model.Model, resps []chat.Response, temperature float64) ([]float64, error) {
	if policy.Config.VocabSize != ref.Config.VocabSize {
		return nil, fmt.Errorf("kl: the policy has a vocabulary of %d, the reference %d", policy.Config.VocabSize, ref.Config.VocabSize)
	}
	kls := make([]float64, len(resps))
	const batch = 8
	for lo := 0; lo < len(resps); lo += batch {
		var seqs [][]int32
		var plens, at []int
		for i, r := range resps[lo:min(lo+batch, len(resps))] {
			if len(r.Tokens) == 0 {
				continue
			}
			seq := append(append(make([]int32, 0, len(r.PromptIDs)+len(r.Tokens)), r.PromptIDs...), r.Tokens...)
			if len(seq) > min(policy.Config.Context, ref.Config.Context) {
				return nil, fmt.Errorf("kl: a sequence of %d tokens does not fit the reference's context of %d", len(seq), ref.Config.Context)
			}
			seqs = append(seqs, seq)
			plens = append(plens, len(r.PromptIDs))
			at = append(at, lo+i)
		}
		if len(seqs) == 0 {
			continue
		}
		lp, _, err := policy.LogProbs(seqs, plens, float32(temperature))
		if err != nil {
			return nil, fmt.Errorf("kl: policy: %w", err)
		}
		lr, _, err := ref.LogProbs(seqs, plens, float32(temperature))
		if err != nil {
			return nil, fmt.Errorf("kl: reference: %w", err)
		}
		for i := range lp {
			var s float64
			for t := range lp[i] {
				s += float64(lp[i][t]) - float64(lr[i][t])
			}
			kls[at[i]] = s
		}
	}
	return kls, nil
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return nan()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func nan() float64 { return math.NaN() }
