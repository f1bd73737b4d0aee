package trainkit

import (
	"math"
	"testing"
)

func TestScheduleWarmupAndCosine(t *testing.T) {
	s := Schedule{LR: 1, MinLR: 0.1, Warmup: 10, Steps: 111}
	for _, c := range []struct {
		step int
		want float64
	}{
		{0, 0.1},   // LR/Warmup
		{4, 0.5},   // half-way up
		{9, 1},     // the end of the warm-up
		{10, 1},    // the cosine starts at the peak
		{60, 0.55}, // half-way down: (LR+MinLR)/2
		{110, 0.1}, // the last step
		{500, 0.1}, // beyond the end it stays at the floor
	} {
		if got := s.At(c.step); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("At(%d) = %v, want %v", c.step, got, c.want)
		}
	}
	for step := 10; step < 110; step++ {
		if s.At(step+1) > s.At(step) {
			t.Fatalf("the rate rises after the warm-up, at step %d", step)
		}
	}
}

func TestScheduleWithoutRoomToDecay(t *testing.T) {
	for _, s := range []Schedule{
		{LR: 2, MinLR: 1, Warmup: 0, Steps: 1},
		{LR: 2, MinLR: 1, Warmup: 5, Steps: 6},
	} {
		if got := s.At(s.Steps - 1); got != 2 {
			t.Errorf("%+v: last step at %v, want the peak 2 (no span to decay over)", s, got)
		}
	}
	if got := (Schedule{LR: 2, MinLR: 1, Steps: 3}).At(0); got != 2 {
		t.Errorf("without warm-up the first step is at %v, want the peak 2", got)
	}
}
