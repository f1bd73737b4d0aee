package eval

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/align-project/align/judge"
)

// Matchup is one held-out prompt with the policy's and the baseline's
// answers to it.
type Matchup struct {
	Prompt    string
	Policy    string
	Baseline  string
	Reference string   // known answer of a checkable prompt, if any
	Tags      []string // the prompt's tags
}

// WinRateOptions control WinRate.
type WinRateOptions struct {
	Resamples  int     // bootstrap resamples; 0 means 1000
	Confidence float64 // of the interval; 0 means 0.95
	Seed       uint64  // of the bootstrap
	Workers    int     // comparisons in flight; 0 means 4
}

// WinRate is the share of held-out prompts on which a judge prefers the
// policy's answer to the baseline's, ties counted half.
type WinRate struct {
	Judge        string  `json:"judge"`
	Constitution string  `json:"constitution,omitempty"`
	Prompts      int     `json:"prompts"` // prompts with a verdict in at least one order
	Rate         float64 `json:"rate"`
	CILow        float64 `json:"ci_low"`
	CIHigh       float64 `json:"ci_high"`
	Confidence   float64 `json:"confidence"`
	Resamples    int     `json:"resamples"`
	Wins         int     `json:"wins"`   // prompts whose score is above ½
	Ties         int     `json:"ties"`   // exactly ½ (a tie, or one win and one loss across the orders)
	Losses       int     `json:"losses"` // below ½
	Abstained    int     `json:"abstained"`
	// Inconsistent counts prompts whose two orders disagreed on the winner.
	Inconsistent int `json:"inconsistent"`
	// MeanP is the mean probability the judge gave the policy's answer.
	MeanP float64 `json:"mean_p"`
	// Decided is Wins / (Wins + Losses): the share of the prompts where the
	// judge prefers one side that it gives to the policy. Ties count half in
	// Rate, which therefore cannot go far above ½ when both sides answer
	// most prompts alike; Decided shows who wins where they differ. Nil
	// when no prompt was decided.
	Decided *float64 `json:"decided_rate,omitempty"`
	// Scores holds each prompt's score (1 win, ½ tie, 0 loss, averaged over
	// the orders that were answered), in matchup order; NaN when abstained.
	Scores []float64 `json:"-"`
	// Warning says that more than judge.FailWarnShare of the comparisons
	// could not be judged, why and what to fix ("" when not).
	Warning string `json:"warning,omitempty"`
}

// ComputeWinRate asks j about every matchup in both orders (policy as A,
// then as B), scores each order 1, ½ or 0 for the policy by whether P(policy
// preferred) is above, at or below ½, averages the orders of a prompt and
// returns the mean over prompts with a percentile bootstrap confidence
// interval over prompts. Abstained orders are left out; a prompt abstained
// in both is not counted. A judge that could not judge any comparison, or
// judge.FailStreak in a row, is an error (a *judge.FailureError: the
// counts, the server, the last failure and the fix), not a win rate of
// nothing; above judge.FailWarnShare, Warning says so.
func ComputeWinRate(ctx context.Context, j judge.Judge, ms []Matchup, opt WinRateOptions) (WinRate, error) {
	if j == nil {
		return WinRate{}, errors.New("win rate: no judge")
	}
	if opt.Resamples <= 0 {
		opt.Resamples = 1000
	}
	if opt.Confidence <= 0 || opt.Confidence >= 1 {
		opt.Confidence = 0.95
	}
	if opt.Workers <= 0 {
		opt.Workers = 4
	}
	type order struct{ p, score float64 } // P(policy), outcome for the policy
	res := make([][2]*order, len(ms))
	var constitution string
	var mu sync.Mutex
	var firstErr error
	tally := judge.NewTally(j)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range opt.Workers {
		wg.Go(func() {
			for k := range jobs {
				m := ms[k/2]
				c := judge.Comparison{Prompt: m.Prompt, A: m.Policy, B: m.Baseline, Reference: m.Reference, Tags: m.Tags}
				if k%2 == 1 {
					c.A, c.B = m.Baseline, m.Policy
				}
				v, err := j.Compare(ctx, c)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("win rate: prompt %d: %w", k/2+1, err)
				}
				if err == nil {
					if terr := tally.Add(v); terr != nil && firstErr == nil {
						firstErr = terr
					}
				}
				if err == nil && !v.Abstained {
					p := v.PA
					if k%2 == 1 {
						p = 1 - v.PA
					}
					res[k/2][k%2] = &order{p: p, score: outcome(p)}
					constitution = v.Constitution
				}
				mu.Unlock()
			}
		})
	}
	for k := range 2 * len(ms) {
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop || ctx.Err() != nil {
			break
		}
		jobs <- k
	}
	close(jobs)
	wg.Wait()
	if firstErr == nil && ctx.Err() == nil {
		firstErr = tally.Err()
	}
	if fe, ok := errors.AsType[*judge.FailureError](firstErr); ok {
		fe.Then = "run the evaluation again"
		return WinRate{}, fmt.Errorf("win rate: %w", fe)
	}
	if firstErr != nil {
		return WinRate{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return WinRate{}, err
	}
	w := WinRate{Judge: j.ID(), Constitution: constitution, Confidence: opt.Confidence, Resamples: opt.Resamples,
		Scores: make([]float64, len(ms)), Warning: tally.Warning()}
	var valid []float64
	var sumP float64
	var nP int
	for i, r := range res {
		var s float64
		n := 0
		for _, o := range r {
			if o != nil {
				s += o.score
				sumP += o.p
				n++
				nP++
			}
		}
		if n == 0 {
			w.Abstained++
			w.Scores[i] = nan()
			continue
		}
		s /= float64(n)
		w.Scores[i] = s
		valid = append(valid, s)
		switch {
		case s > 0.5:
			w.Wins++
		case s < 0.5:
			w.Losses++
		default:
			w.Ties++
		}
		if n == 2 && r[0].score != r[1].score && r[0].score != 0.5 && r[1].score != 0.5 {
			w.Inconsistent++
		}
	}
	w.Prompts = len(valid)
	if nP > 0 {
		w.MeanP = sumP / float64(nP)
	}
	if d := w.Wins + w.Losses; d > 0 {
		r := float64(w.Wins) / float64(d)
		w.Decided = &r
	}
	if len(valid) > 0 { // else all stay 0, with Prompts = 0 saying why
		w.Rate = mean(valid)
		w.CILow, w.CIHigh = Bootstrap(valid, opt.Resamples, opt.Confidence, opt.Seed)
	}
	return w, nil
}

// outcome scores one order for the policy: 1 for a win, ½ for a tie, 0 for
// a loss.
func outcome(p float64) float64 {
	switch {
	case p > 0.5:
		return 1
	case p < 0.5:
		return 0
	}
	return 0.5
}

// Bootstrap returns the percentile bootstrap confidence interval of the mean
// of xs: the mean of resamples drawn with replacement, cut at (1−conf)/2 and
// (1+conf)/2. The same seed gives the same interval. With no data both ends
// are NaN.
func Bootstrap(xs []float64, resamples int, conf float64, seed uint64) (lo, hi float64) {
	if len(xs) == 0 {
		return nan(), nan()
	}
	if resamples <= 0 {
		resamples = 1000
	}
	rng := rand.New(rand.NewPCG(seed, 0x626f6f74)) // "boot"
	means := make([]float64, resamples)
	for r := range means {
		var s float64
		for range xs {
			s += xs[rng.IntN(len(xs))]
		}
		means[r] = s / float64(len(xs))
	}
	slices.Sort(means)
	return quantile(means, (1-conf)/2), quantile(means, (1+conf)/2)
}

// quantile interpolates linearly in sorted xs.
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	i := int(pos)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	f := pos - float64(i)
	return sorted[i]*(1-f) + sorted[i+1]*f
}

// HeldOutConstitution derives from c (nil: the default) a constitution
// for a held-out judge: the same principles with their weights moved away
// from the ones the training labels were judged by (correctness and
// coherence count double, relevance and positivity half), under a version
// of its own. A policy that gained win rate only by exploiting the training
// judge's weighting loses it under this one; a large gap between the two
// win rates is a sign of reward hacking. An independent judge (an LLM, or a
// constitution written separately) is the stronger check.
func HeldOutConstitution(c *judge.Constitution) *judge.Constitution {
	if c == nil {
		c = judge.DefaultConstitution()
	}
	h := *c
	h.Name = c.Name + "-heldout"
	h.Version = c.Version + "+heldout"
	h.Principles = slices.Clone(c.Principles)
	for i := range h.Principles {
		switch h.Principles[i].Criterion {
		case judge.Correctness, judge.Coherence:
			h.Principles[i].Weight *= 2
		case judge.Relevance, judge.Positivity:
			h.Principles[i].Weight /= 2
		}
	}
	return &h
}
