package trainkit

import (
	"encoding/json"
	"reflect"
	"testing"
)

// observe feeds (train, held-out) pairs at steps 10, 20, ... and returns
// the verdicts.
func observe(e EarlyStopper, s *StopState, evals [][2]float64) []Verdict {
	var out []Verdict
	for i, ev := range evals {
		out = append(out, e.Observe(s, 10*(i+1), ev[0], ev[1]))
	}
	return out
}

func TestEarlyStopperLossPatience(t *testing.T) {
	e := EarlyStopper{Patience: 2, MinDelta: 0.01}
	var s StopState
	vs := observe(e, &s, [][2]float64{
		{2.0, 2.5},   // first: best
		{1.8, 2.2},   // better: best
		{1.7, 2.195}, // better by less than min_delta: not a best
		{1.6, 2.3},   // worse: patience runs out
	})
	improved := []bool{true, true, false, false}
	for i, v := range vs {
		if v.Improved != improved[i] {
			t.Errorf("evaluation %d: improved %v, want %v", i+1, v.Improved, improved[i])
		}
		if v.Stop != (i == 3) {
			t.Errorf("evaluation %d: stop %v", i+1, v.Stop)
		}
	}
	if s.Best == nil || *s.Best != 2.2 || s.BestStep != 20 || s.BadEvals != 2 || !s.Stopped {
		t.Errorf("state %+v (best %v), want best 2.2 at step 20, 2 bad evaluations, stopped", s, deref(s.Best))
	}
	if vs[0].Gap != 0.5 {
		t.Errorf("gap of a loss = %v, want held-out − train = 0.5", vs[0].Gap)
	}
}

func TestEarlyStopperAccuracy(t *testing.T) {
	e := EarlyStopper{HigherIsBetter: true, Patience: 1}
	var s StopState
	vs := observe(e, &s, [][2]float64{
		{0.75, 0.5}, // first: best; gap train − held-out
		{0.875, 0.625},
		{1, 0.5},
	})
	if !vs[0].Improved || !vs[1].Improved || vs[2].Improved || !vs[2].Stop {
		t.Errorf("verdicts %+v: want two bests, then a stop", vs)
	}
	if *s.Best != 0.625 || s.BestStep != 20 {
		t.Errorf("best %v at step %d, want 0.625 at 20", *s.Best, s.BestStep)
	}
	if vs[0].Gap != 0.25 || vs[2].Gap != 0.5 {
		t.Errorf("gaps %v, %v; want train − held-out: 0.25, 0.5", vs[0].Gap, vs[2].Gap)
	}
}

func TestEarlyStopperNeverStopsWithoutPatience(t *testing.T) {
	var s StopState
	for i, v := range observe(EarlyStopper{}, &s, [][2]float64{{1, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 5}}) {
		if v.Stop {
			t.Fatalf("stopped at evaluation %d with patience 0", i+1)
		}
	}
	if s.BadEvals != 4 || s.Stopped {
		t.Errorf("state %+v", s)
	}
}

func TestEarlyStopperOverfitting(t *testing.T) {
	// The held-out loss sits still while the training loss falls: the gap
	// grows at every evaluation after the first.
	evals := [][2]float64{{2, 2.5}, {1.9, 2.5}, {1.8, 2.5}, {1.7, 2.5}, {1.6, 2.5}}
	var s StopState
	vs := observe(EarlyStopper{GapEvals: 3}, &s, evals)
	flagged := []bool{false, false, false, true, true}
	for i, v := range vs {
		if v.Overfitting != flagged[i] {
			t.Errorf("evaluation %d: overfitting %v, want %v (streak %d)", i+1, v.Overfitting, flagged[i], s.GapStreak)
		}
	}
	if s.Warnings != 2 || s.GapStreak != 4 {
		t.Errorf("%d warnings, streak %d; want 2 and 4", s.Warnings, s.GapStreak)
	}
	// gap_evals 0 never flags.
	var off StopState
	for _, v := range observe(EarlyStopper{}, &off, evals) {
		if v.Overfitting {
			t.Fatal("overfitting flagged with gap_evals 0")
		}
	}
	// A shrinking gap resets the streak.
	var reset StopState
	vs = observe(EarlyStopper{GapEvals: 2}, &reset, [][2]float64{{2, 2.5}, {1.9, 2.5}, {1.9, 2.45}, {1.8, 2.45}})
	for i, v := range vs {
		if v.Overfitting {
			t.Errorf("evaluation %d flagged after the gap shrank at evaluation 3 (streak %d)", i+1, reset.GapStreak)
		}
	}
}

func TestEarlyStopperGrowingNegativeGapIsNoOverfitting(t *testing.T) {
	// Held-out accuracy above the training accuracy, the gap (train minus
	// held-out) growing towards zero.
	var s StopState
	for i, v := range observe(EarlyStopper{HigherIsBetter: true, GapEvals: 1}, &s, [][2]float64{{0.5, 0.8}, {0.6, 0.8}, {0.7, 0.8}}) {
		if v.Overfitting {
			t.Errorf("evaluation %d flagged with gap %v", i+1, v.Gap)
		}
	}
	if s.GapStreak != 2 {
		t.Errorf("streak %d, want 2: the gap did grow", s.GapStreak)
	}
}

func TestEarlyStopperEqualGapsDoNotGrow(t *testing.T) {
	// 0.1 − 0 and 0.4 − 0.3 differ in their last bits.
	evals := [][2]float64{{0.1, 0}, {0.4, 0.3}}
	if evals[1][0]-evals[1][1] <= evals[0][0]-evals[0][1] {
		t.Fatal("the example lost its point: the second gap is not larger")
	}
	var s StopState
	for _, v := range observe(EarlyStopper{HigherIsBetter: true, GapEvals: 1}, &s, evals) {
		if v.Overfitting {
			t.Errorf("equal gaps counted as growth: %+v", v)
		}
	}
}

// Train's checkpoints hold the state under these names; renaming one would
// break resuming an older checkpoint.
func TestStopStateJSONNames(t *testing.T) {
	best, gap := 1.5, 0.25
	s := StopState{Best: &best, BestStep: 40, BadEvals: 2, PrevGap: &gap, GapStreak: 1, Warnings: 3, Stopped: true}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"best":1.5,"best_step":40,"bad_evals":2,"prev_gap":0.25,"gap_streak":1,"warnings":3,"early_stopped":true}`
	if string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	var back StopState
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("round trip gives %+v, want %+v", back, s)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
