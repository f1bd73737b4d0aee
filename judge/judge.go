package judge

import (
	"context"
	"errors"
	"math"
)

// The criteria the built-in judge can score. A constitution may name others;
// the LLM judge asks about any criterion by name.
const (
	Coherence   = "coherence"   // fluent, not repetitive, low perplexity
	Relevance   = "relevance"   // addresses what the prompt asks
	Safety      = "safety"      // refuses harmful requests, no toxic language
	Helpfulness = "helpfulness" // answers benign requests instead of refusing
	Correctness = "correctness" // the right answer where the prompt is checkable
	Positivity  = "positivity"  // positive sentiment (valence lexicon)
)

// Comparison is one pairwise question: which of two responses to a prompt is
// better. Reference, when set, is the known answer of a checkable prompt.
type Comparison struct {
	Prompt    string
	A, B      string
	Reference string
	Tags      []string
}

// Rating holds 1–10 scores of one response, by criterion name.
type Rating map[string]int

// Verdict is a judge's answer to a [Comparison].
type Verdict struct {
	// PA is the probability that A is preferred (a soft label in [0, 1]).
	PA float64
	// Ratings are the per-criterion 1–10 ratings of A (index 0) and B (1);
	// a judge may leave them empty.
	Ratings [2]Rating
	// Rationale explains the verdict; may be empty.
	Rationale string
	// Judge and Constitution identify who judged under which rules: the
	// label's source is "ai:<Judge>@<Constitution>".
	Judge        string
	Constitution string
	// Principles are the ids of the principles the verdict was judged on.
	Principles []string
	// Orders is how many presentation orders contributed (LLM judges ask
	// both A/B and B/A); Consistent reports whether they agreed and is nil
	// unless two orders were answered.
	Orders     int
	Consistent *bool
	// Abstained is set when the judge could not reach a verdict (the answer
	// was never parseable, or every request failed); PA is then 0.5 and
	// must not be used as a label. Reason says why.
	Abstained bool
	Reason    string
	// SoftFrom says where PA came from: "scores", "logprobs", "answer" or
	// "mixed" (one order each).
	SoftFrom string
	// Margin is how much better the preferred response is, in rating points
	// (0 when unknown).
	Margin float64
}

// Preferred is 0 when A is preferred, 1 when B is, and -1 for a tie or an
// abstention.
func (v Verdict) Preferred() int {
	switch {
	case v.Abstained || v.PA == 0.5 || math.IsNaN(v.PA):
		return -1
	case v.PA > 0.5:
		return 0
	}
	return 1
}

// Source is the preference "source" field for the verdict.
func (v Verdict) Source() string { return "ai:" + v.Judge + "@" + v.Constitution }

// Judge compares two responses to a prompt. Implementations must be safe for
// concurrent use. An error means the judge cannot go on (a cancelled context,
// an exhausted request budget, a broken configuration); a comparison it
// merely could not decide comes back as an abstained Verdict.
type Judge interface {
	// ID names the judge in preference sources, e.g. "builtin" or
	// "openai:llama3".
	ID() string
	Compare(ctx context.Context, c Comparison) (Verdict, error)
}

// Assessment is a judge's pointwise verdict on one response: 1–10
// ratings per criterion and their weighted total, with the reasons. It is
// ratings, not a reward: Reward maps the total onto PPO's scale, and ppo
// turns an Assessment into a reward.Score.
type Assessment struct {
	// Total is the weighted 1–10 rating over the applicable criteria.
	Total float64
	// Ratings are the per-criterion 1–10 ratings.
	Ratings Rating
	// Explanation says why, one clause per criterion; Why holds the clause
	// of each criterion.
	Explanation string
	Why         map[string]string
	Judge       string
	// Constitution is the version of the constitution the ratings follow.
	Constitution string
}

// Reward maps Total from [1, 10] onto [-1, 1], a scale fit for PPO rewards.
func (a Assessment) Reward() float64 { return (a.Total - 5.5) / 4.5 }

// Rater rates a single response: direct RLAIF rewards for PPO. The
// built-in judge and the LLM judge implement it.
type Rater interface {
	Rate(ctx context.Context, prompt, response string) (Assessment, error)
}

// ReferenceRater is a Rater that can also rate a response to a checkable
// prompt against its known answer, as Compare does with a
// Comparison.Reference: a judge scoring rollouts directly then pays for
// correct answers it could not work out itself ("how many letters are in
// silver", "what does a snake say").
type ReferenceRater interface {
	Rater
	RateReference(ctx context.Context, prompt, reference, response string) (Assessment, error)
}

// ErrBudget is returned once a judge has spent its request budget.
var ErrBudget = errors.New("judge: request budget exhausted")

// clampRating rounds a score to the nearest integer in [1, 10].
func clampRating(x float64) int {
	if math.IsNaN(x) {
		return 1
	}
	return int(math.Round(min(10, max(1, x))))
}

func clamp(x, lo, hi float64) float64 { return min(hi, max(lo, x)) }

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
