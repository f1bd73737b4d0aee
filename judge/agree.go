package judge

import (
	"fmt"
	"math"

	"github.com/align-project/align/data"
)

// Labels for agreement: which of two responses was preferred, or a tie.
const (
	First  = 0
	Second = 1
	Tie    = 2
)

// Agreement compares two raters' labels of the same items.
type Agreement struct {
	N     int     // items labelled by both
	Agree int     // items given the same label
	Rate  float64 // Agree / N
	// Kappa is Cohen's κ: agreement corrected for chance, (pₒ − pₑ)/(1 − pₑ),
	// where pₑ = Σₖ pA(k)·pB(k) over the labels First, Second and Tie.
	Kappa float64
	// OnlyA and OnlyB count items only one side labelled (file agreement).
	OnlyA, OnlyB int
}

func (a Agreement) String() string {
	s := fmt.Sprintf("%d items, agreement %.1f%% (%d), Cohen's κ %.3f", a.N, 100*a.Rate, a.Agree, a.Kappa)
	if a.OnlyA+a.OnlyB > 0 {
		s += fmt.Sprintf("; %d only in A, %d only in B", a.OnlyA, a.OnlyB)
	}
	return s
}

// CompareLabels computes agreement and Cohen's κ between label slices of
// equal length (each label First, Second or Tie).
func CompareLabels(a, b []int) (Agreement, error) {
	if len(a) != len(b) {
		return Agreement{}, fmt.Errorf("agreement: %d labels against %d", len(a), len(b))
	}
	var ag Agreement
	var ca, cb [3]float64
	for i := range a {
		if a[i] < First || a[i] > Tie || b[i] < First || b[i] > Tie {
			return Agreement{}, fmt.Errorf("agreement: label %d is (%d, %d), want 0, 1 or 2", i, a[i], b[i])
		}
		ag.N++
		if a[i] == b[i] {
			ag.Agree++
		}
		ca[a[i]]++
		cb[b[i]]++
	}
	if ag.N == 0 {
		return ag, nil
	}
	n := float64(ag.N)
	po := float64(ag.Agree) / n
	var pe float64
	for k := range ca {
		pe += ca[k] / n * cb[k] / n
	}
	ag.Rate = po
	if pe >= 1 {
		ag.Kappa = 1 // both raters used one label throughout, and so agree
		if po < 1 {
			ag.Kappa = 0
		}
	} else {
		ag.Kappa = (po - pe) / (1 - pe)
	}
	return ag, nil
}

// pairKey identifies a comparison independently of which response was
// chosen: the prompt and the two responses in sorted order. It returns the
// label of the record: First when chosen sorts first, Second otherwise, Tie
// when p_chosen is exactly 0.5.
func pairKey(p data.Preference) (string, int) {
	lo, hi, label := p.Chosen, p.Rejected, First
	if hi < lo {
		lo, hi, label = hi, lo, Second
	}
	if p.PChosen != nil && *p.PChosen == 0.5 {
		label = Tie
	}
	return p.Prompt + "\x00" + lo + "\x00" + hi, label
}

// ComparePreferences computes the agreement between two label sets of the
// same pairs (AI against human, judge against judge, a run against its
// order-swapped rerun). Records are matched by prompt and response pair, so
// A/B order and ids do not matter; a pair labelled twice in one set counts
// once (its last label).
func ComparePreferences(a, b []data.Preference) (Agreement, error) {
	la, lb := make(map[string]int), make(map[string]int)
	var order []string
	for _, p := range a {
		k, l := pairKey(p)
		if _, ok := la[k]; !ok {
			order = append(order, k)
		}
		la[k] = l
	}
	for _, p := range b {
		k, l := pairKey(p)
		lb[k] = l
	}
	var xs, ys []int
	for _, k := range order {
		if l, ok := lb[k]; ok {
			xs = append(xs, la[k])
			ys = append(ys, l)
		}
	}
	ag, err := CompareLabels(xs, ys)
	ag.OnlyA = len(la) - ag.N
	ag.OnlyB = len(lb) - ag.N
	return ag, err
}

// Tags the labeller puts on preferences from judges that answered both
// presentation orders.
const (
	TagConsistent   = "position-consistent"
	TagInconsistent = "position-inconsistent"
)

// PositionConsistency counts the preferences tagged by an LLM judge that
// answered both orders: the fraction whose two answers agreed (NaN when
// none is tagged).
func PositionConsistency(prefs []data.Preference) (consistent, total int, rate float64) {
	for _, p := range prefs {
		for _, t := range p.Tags {
			switch t {
			case TagConsistent:
				consistent++
				total++
			case TagInconsistent:
				total++
			}
		}
	}
	if total == 0 {
		return 0, 0, math.NaN()
	}
	return consistent, total, float64(consistent) / float64(total)
}
