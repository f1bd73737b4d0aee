package train

import "github.com/align-project/align/internal/trainkit"

// LRAt returns the learning rate of step (0-based) under c's schedule: a
// linear warm-up over the first Warmup steps from LR/Warmup up to LR, then a
// cosine decay from LR to MinLR at the last step (see trainkit.Schedule).
func (c Config) LRAt(step int) float64 {
	return trainkit.Schedule{LR: c.LR, MinLR: c.MinLR, Warmup: c.Warmup, Steps: c.Steps}.At(step)
}
