package reward

import (
	"context"
	"fmt"
	"math"
	"sync"
)

// Score is the verdict of a reward source on one response: what PPO
// maximises and constrains and what an evaluation averages, whichever
// source gave it (a reward model, a judge, a service, a Go function).
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

// CheckScores rejects NaN and infinite scores, which would poison a whole
// PPO update or an evaluation's mean; the error names the response.
func CheckScores(s []Score) error {
	for i, sc := range s {
		for _, v := range []float64{sc.Reward, sc.Raw, sc.Cost} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("score: response %d has a non-finite score %+v", i, sc)
			}
		}
	}
	return nil
}

// ModelSource scores responses with a reward model checkpoint, as PPO's
// reward source and an evaluation's scorer: each response gets the Score
// of its Output. The reward model renders each prompt with the chat
// template and appends the EOS, as it was trained. It is safe for
// concurrent use.
type ModelSource struct {
	Model *Model
	Batch int // sequences per forward pass; 0 means 16

	mu sync.Mutex // a Model runs one batch at a time
}

// NewModelSource loads the reward model saved in dir.
func NewModelSource(dir string) (*ModelSource, error) {
	m, err := Load(dir)
	if err != nil {
		return nil, fmt.Errorf("reward source: %w", err)
	}
	// Scoring never differentiates: a frozen view keeps one layer's
	// activations and lets the gradient buffer go.
	m.Net = m.Net.Base()
	return &ModelSource{Model: m}, nil
}

// Score runs the reward model on the pairs: responses[i] answers
// prompts[i].
func (s *ModelSource) Score(ctx context.Context, prompts, responses []string) ([]Score, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	batch := s.Batch
	if batch <= 0 {
		batch = 16
	}
	s.mu.Lock()
	outs, err := s.Model.Score(prompts, responses, batch)
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("score: reward model: %w", err)
	}
	scores := make([]Score, len(outs))
	for i, o := range outs {
		scores[i] = o.Score
	}
	return scores, CheckScores(scores)
}
