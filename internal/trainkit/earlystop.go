package trainkit

// EarlyStopper judges each evaluation of a held-out metric: is it a new
// best (the trainer keeps that model), has patience run out (the trainer
// stops), and is the gap between the held-out and the training metric
// growing (a sign of overfitting, which the trainer reports). Its fields
// are the settings; the progress lives in a StopState, which a resumable
// trainer saves with its checkpoint.
type EarlyStopper struct {
	// HigherIsBetter is set for a metric such as an accuracy; unset, lower
	// is better, as for a loss.
	HigherIsBetter bool
	Patience       int     // stop after this many evaluations without a new best; 0 = never
	MinDelta       float64 // a new best must beat the old one by more than this
	// GapEvals flags overfitting when the gap has grown this many
	// evaluations running and is positive; 0 = never.
	GapEvals int
}

// StopState is an EarlyStopper's progress over the evaluations so far. The
// JSON names are those of train's checkpoints, which embed it.
type StopState struct {
	Best      *float64 `json:"best"` // best held-out metric; nil before the first evaluation
	BestStep  int      `json:"best_step"`
	BadEvals  int      `json:"bad_evals"` // evaluations since the best
	PrevGap   *float64 `json:"prev_gap"`
	GapStreak int      `json:"gap_streak"` // evaluations the gap has grown running
	Warnings  int      `json:"warnings"`   // evaluations flagged as overfitting
	Stopped   bool     `json:"early_stopped"`
}

// Verdict is what one evaluation means.
type Verdict struct {
	// Gap is how much worse the held-out metric is than the training one:
	// held-out minus train for a loss, train minus held-out for an accuracy.
	Gap         float64
	Improved    bool // a new best (always at the first evaluation)
	Overfitting bool // the gap is positive and has grown GapEvals evaluations running
	Stop        bool // Patience evaluations without a new best; State.Stopped is set
}

// gapGrowth is how much the gap must grow to count: accuracies are ratios of
// counts, and two equal gaps computed from different counts can differ in
// their last bit.
const gapGrowth = 1e-9

// Observe records the evaluation at step of the held-out metric beside the
// training metric (the mean since the previous evaluation) in s.
func (e EarlyStopper) Observe(s *StopState, step int, train, heldOut float64) Verdict {
	var v Verdict
	if e.HigherIsBetter {
		v.Gap = train - heldOut
	} else {
		v.Gap = heldOut - train
	}
	if s.PrevGap != nil && v.Gap > *s.PrevGap+gapGrowth {
		s.GapStreak++
	} else {
		s.GapStreak = 0
	}
	gap := v.Gap
	s.PrevGap = &gap
	// A gap that grows while the held-out metric is still the better one is
	// no sign of overfitting.
	if e.GapEvals > 0 && s.GapStreak >= e.GapEvals && v.Gap > 0 {
		v.Overfitting = true
		s.Warnings++
	}
	if s.Best == nil || e.beats(heldOut, *s.Best) {
		best := heldOut
		s.Best, s.BestStep, s.BadEvals = &best, step, 0
		v.Improved = true
		return v
	}
	s.BadEvals++
	if e.Patience > 0 && s.BadEvals >= e.Patience {
		s.Stopped, v.Stop = true, true
	}
	return v
}

// beats reports whether x is a new best over best.
func (e EarlyStopper) beats(x, best float64) bool {
	if e.HigherIsBetter {
		return x > best+e.MinDelta
	}
	return x < best-e.MinDelta
}
