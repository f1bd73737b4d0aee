package trainkit

import "math"

// Schedule is a learning-rate schedule over Steps optimizer steps: a linear
// warm-up over the first Warmup steps from LR/Warmup up to LR, then a cosine
// decay from LR to MinLR at the last step.
type Schedule struct {
	LR     float64 // peak, reached at the end of the warm-up
	MinLR  float64 // at the last step
	Warmup int     // steps of warm-up; 0 = none
	Steps  int     // steps in total
}

// At returns the learning rate of step (0-based). Trainers keep their models
// bit-identical across versions, so the arithmetic (its operations and their
// order) must not change.
func (s Schedule) At(step int) float64 {
	if step < s.Warmup {
		return s.LR * float64(step+1) / float64(s.Warmup)
	}
	span := s.Steps - 1 - s.Warmup
	if span <= 0 {
		return s.LR
	}
	p := math.Min(1, float64(step-s.Warmup)/float64(span))
	return s.MinLR + 0.5*(1+math.Cos(math.Pi*p))*(s.LR-s.MinLR)
}
