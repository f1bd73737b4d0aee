package ppo

import (
	"context"
	"fmt"
	"sync"

	"github.com/align-project/align/reward"
)

// ModelSource scores responses with a reward model checkpoint: the reward
// is the model's normalised combined reward, Raw the same weighted
// combination of its heads before any normalisation, and the cost the
// negated normalised safety head (reward.Scores.Cost), which a constrained
// run keeps under its limit. The reward model renders each prompt with the
// chat template and appends the EOS, as it was trained.
type ModelSource struct {
	Model *reward.Model
	Batch int // sequences per forward pass; 0 means 16

	mu sync.Mutex // a reward.Model runs one batch at a time
}

// NewModelSource loads the reward model saved in dir.
func NewModelSource(dir string) (*ModelSource, error) {
	m, err := reward.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("reward source: %w", err)
	}
	return &ModelSource{Model: m}, nil
}

// Score runs the reward model on the pairs.
func (s *ModelSource) Score(ctx context.Context, prompts, responses []string) ([]Score, error) {
	if err := checkPairs(prompts, responses); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	batch := s.Batch
	if batch <= 0 {
		batch = 16
	}
	s.mu.Lock()
	sc, err := s.Model.Score(prompts, responses, batch)
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("score: reward model: %w", err)
	}
	w := s.Model.Info.Weights
	out := make([]Score, len(sc))
	for i, x := range sc {
		var raw float64
		for k := range x.Raw {
			if k < len(w) {
				raw += w[k] * x.Raw[k]
			}
		}
		out[i] = Score{Reward: x.Reward, Raw: raw, Cost: x.Cost}
	}
	return out, checkScores(out)
}
