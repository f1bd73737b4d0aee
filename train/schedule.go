package train

import "math"

// LRAt returns the learning rate of step (0-based) under c's schedule: a
// linear warm-up over the first Warmup steps from LR/Warmup up to LR, then a
// cosine decay from LR to MinLR at the last step.
func (c Config) LRAt(step int) float64 {
	if step < c.Warmup {
		return c.LR * float64(step+1) / float64(c.Warmup)
	}
	span := c.Steps - 1 - c.Warmup
	if span <= 0 {
		return c.LR
	}
	p := math.Min(1, float64(step-c.Warmup)/float64(span))
	return c.MinLR + 0.5*(1+math.Cos(math.Pi*p))*(c.LR-c.MinLR)
}
