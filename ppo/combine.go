package ppo

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/align-project/align/data"
	"github.com/align-project/align/reward"
)

// Weighted is one part of a WeightedSource.
type Weighted struct {
	Source RewardSource
	Weight float64
	Name   string // in errors: the flag or key that chose the source
}

// WeightedSource combines reward sources: each response's reward, raw
// score and cost are the weighted sums of those of the parts (a part
// without a cost adds 0). The parts score the whole batch one after the
// other, in order.
type WeightedSource []Weighted

// Score asks every part, then sums.
func (w WeightedSource) Score(ctx context.Context, prompts, responses []string) ([]reward.Score, error) {
	if err := checkPairs(prompts, responses); err != nil {
		return nil, err
	}
	out := make([]reward.Score, len(prompts))
	for _, p := range w {
		scores, err := p.Source.Score(ctx, prompts, responses)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		if len(scores) != len(prompts) {
			return nil, fmt.Errorf("%s: %d scores for %d responses", p.Name, len(scores), len(prompts))
		}
		for i, s := range scores {
			out[i].Reward += p.Weight * s.Reward
			out[i].Raw += p.Weight * s.Raw
			out[i].Cost += p.Weight * s.Cost
		}
	}
	return out, reward.CheckScores(out)
}

// VerifySource is the verifiable reward (RLVR) of the prompts recs: a
// response to a prompt with an answer scores 1 when data.Check accepts it
// and 0 otherwise, with no cost. A prompt without an answer scores 0 for
// every response, so alone it teaches nothing (a group of such responses is
// flat) and in a combination the other sources decide; Train drops such
// prompts when the checker is the only source.
//
// The check is the default world's (data.Check) for prompts whose tags name
// a category it knows, as 'align data' writes them. A prompt of another
// file that gives only an answer is checked by its form: an integer answer
// must be the last number of the response, any other must appear in it as
// a whole word or phrase.
func VerifySource(recs []data.Prompt) FuncSource {
	byPrompt := make(map[string]data.Example, len(recs))
	for _, r := range recs {
		if ex, ok := checkable(r); ok {
			byPrompt[r.Prompt] = ex
		}
	}
	return func(prompt, response string) reward.Score {
		ex, ok := byPrompt[prompt]
		if !ok || !data.Check(ex, response) {
			return reward.Score{}
		}
		return reward.Score{Reward: 1, Raw: 1}
	}
}

// checkable returns what data.Check needs to check answers to r, and false
// when r has no answer.
func checkable(r data.Prompt) (data.Example, bool) {
	if r.Answer == "" {
		return data.Example{}, false
	}
	ex := data.ExampleFromPrompt(r)
	ex.Checkable = true
	if data.Check(ex, ex.Answer) {
		return ex, true // a category the checker knows, and the answer passes it
	}
	// Check's rules for numbers and for reversed words are the two forms.
	ex.Category = "reverse"
	if _, err := strconv.Atoi(strings.TrimSpace(r.Answer)); err == nil {
		ex.Category = "addition"
	}
	return ex, true
}
