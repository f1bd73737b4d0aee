package ppo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
)

// Score is a reward source's verdict on one response.
type Score struct {
	// Reward is the normalised reward PPO maximises (a reward model's
	// gain·raw + bias, a judge's score mapped onto [−1, 1]...).
	Reward float64 `json:"reward"`
	// Raw is the score as the source computed it before normalisation, for
	// the logs; sources without normalisation set it equal to Reward.
	Raw float64 `json:"raw"`
	// Cost is the constraint's cost (e.g. the harm a safety head or judge
	// sees: higher is worse); 0 when the source has none.
	Cost float64 `json:"cost"`
}

// RewardSource scores responses to prompts: responses[i] answers
// prompts[i], and the result has one Score per response, in order. The
// response text excludes the stop token. A source must honour ctx and
// return an error, never a partial result, when it cannot score them all.
type RewardSource interface {
	Score(ctx context.Context, prompts, responses []string) ([]Score, error)
}

// FuncSource is a Go function as a reward source: verifiable rewards
// (a checked answer, a format rule) and tests.
type FuncSource func(prompt, response string) Score

// Score calls f on each pair in order.
func (f FuncSource) Score(ctx context.Context, prompts, responses []string) ([]Score, error) {
	if err := checkPairs(prompts, responses); err != nil {
		return nil, err
	}
	out := make([]Score, len(prompts))
	for i := range prompts {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("score: %w", err)
			}
		}
		out[i] = f(prompts[i], responses[i])
	}
	return out, checkScores(out)
}

// RateFunc scores one response; an AI judge's pointwise rating wrapped as
// a Score is the direct-RLAIF reward.
type RateFunc func(ctx context.Context, prompt, response string) (Score, error)

// RateSource scores each response with a pointwise rater, Workers calls at
// a time (0 means 4): a judge scoring responses directly (direct RLAIF).
// The first error cancels the outstanding calls and is returned.
type RateSource struct {
	Rate    RateFunc
	Workers int
}

// Score rates every pair, concurrently.
func (s RateSource) Score(ctx context.Context, prompts, responses []string) ([]Score, error) {
	if err := checkPairs(prompts, responses); err != nil {
		return nil, err
	}
	if s.Rate == nil {
		return nil, errors.New("score: rate source has no rate function")
	}
	workers := s.Workers
	if workers <= 0 {
		workers = 4
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	out := make([]Score, len(prompts))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(prompts)) {
		wg.Go(func() {
			for i := range jobs {
				sc, err := s.Rate(ctx, prompts[i], responses[i])
				if err != nil {
					cancel(fmt.Errorf("score: response %d: %w", i, err))
					continue
				}
				out[i] = sc
			}
		})
	}
	for i := range prompts {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("score: %w", err)
		}
		return nil, err
	}
	return out, checkScores(out)
}

func checkPairs(prompts, responses []string) error {
	if len(prompts) != len(responses) {
		return fmt.Errorf("score: %d prompts for %d responses", len(prompts), len(responses))
	}
	return nil
}

// checkScores rejects NaN and infinite scores, which would poison the
// whole update.
func checkScores(s []Score) error {
	for i, sc := range s {
		for _, v := range []float64{sc.Reward, sc.Raw, sc.Cost} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("score: response %d has a non-finite score %+v", i, sc)
			}
		}
	}
	return nil
}
