package ppo

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/align-project/align/reward"
)

// RewardSource scores responses to prompts: responses[i] answers
// prompts[i], and the result has one reward.Score per response, in order. The
// response text excludes the stop token. A source must honour ctx and
// return an error, never a partial result, when it cannot score them all.
type RewardSource interface {
	Score(ctx context.Context, prompts, responses []string) ([]reward.Score, error)
}

// FuncSource is a Go function as a reward source: verifiable rewards
// (a checked answer, a format rule) and tests.
type FuncSource func(prompt, response string) reward.Score

// Score calls f on each pair in order.
func (f FuncSource) Score(ctx context.Context, prompts, responses []string) ([]reward.Score, error) {
	if err := checkPairs(prompts, responses); err != nil {
		return nil, err
	}
	out := make([]reward.Score, len(prompts))
	for i := range prompts {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("score: %w", err)
			}
		}
		out[i] = f(prompts[i], responses[i])
	}
	return out, reward.CheckScores(out)
}

// RateFunc scores one response; an AI judge's pointwise rating wrapped as
// a Score is the direct-RLAIF reward.
type RateFunc func(ctx context.Context, prompt, response string) (reward.Score, error)

// RateSource scores each response with a pointwise rater, Workers calls at
// a time (0 means 4): a judge scoring responses directly (direct RLAIF).
// The first error cancels the outstanding calls and is returned.
type RateSource struct {
	Rate    RateFunc
	Workers int
}

// Score rates every pair, concurrently.
func (s RateSource) Score(ctx context.Context, prompts, responses []string) ([]reward.Score, error) {
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
	out := make([]reward.Score, len(prompts))
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
	return out, reward.CheckScores(out)
}

func checkPairs(prompts, responses []string) error {
	if len(prompts) != len(responses) {
		return fmt.Errorf("score: %d prompts for %d responses", len(prompts), len(responses))
	}
	return nil
}
