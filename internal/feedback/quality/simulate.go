package quality

import "math/rand/v2"

// SimAnnotator is a simulated annotator. An honest one gives the true class
// with probability Accuracy and otherwise a wrong one (mostly the other side);
// a flipper gives the opposite side with probability 1-Accuracy.
type SimAnnotator struct {
	ID       int64
	Accuracy float64 // honest: P(true class); adversary: P(not flipping)
	Flipper  bool    // gives the opposite side of the truth (A↔B) with probability 1-Accuracy
}

// Simulation is labelled data with a known truth.
type Simulation struct {
	Labels []Label
	Truth  map[int64]int
	Gold   map[int64]bool // items whose truth the labels carry as Gold
}

// Simulate draws the items' true classes (mostly A or B, a few ties and both-bad),
// marks goldRate of them as gold, and has k distinct annotators, drawn at
// random, label each item.
func Simulate(rng *rand.Rand, annotators []SimAnnotator, items, k int, goldRate float64) *Simulation {
	sim := &Simulation{Truth: map[int64]int{}, Gold: map[int64]bool{}}
	for i := range items {
		id := int64(i + 1)
		var truth int
		switch x := rng.Float64(); {
		case x < 0.45:
			truth = ClassA
		case x < 0.9:
			truth = ClassB
		case x < 0.95:
			truth = ClassTie
		default:
			truth = ClassBad
		}
		sim.Truth[id] = truth
		gold := -1
		if rng.Float64() < goldRate {
			gold = truth
			sim.Gold[id] = true
		}
		for _, j := range rng.Perm(len(annotators))[:k] {
			a := annotators[j]
			sim.Labels = append(sim.Labels, Label{Item: id, Annotator: a.ID, Pref: a.answer(rng, truth), Gold: gold,
				Ratings: [2][3]float64{{5, 5, 5}, {5, 5, 5}}, DurationMs: 20000 * (0.5 + rng.Float64())})
		}
	}
	return sim
}

func (a SimAnnotator) answer(rng *rand.Rand, truth int) int {
	if a.Flipper {
		if rng.Float64() >= a.Accuracy {
			switch truth {
			case ClassA:
				return ClassB
			case ClassB:
				return ClassA
			}
			return rng.IntN(2) // ties and both-bad become a confident side
		}
		return truth
	}
	if rng.Float64() < a.Accuracy {
		return truth
	}
	// Honest mistakes: mostly the other side, sometimes a tie or both-bad.
	if rng.Float64() < 0.7 && truth <= ClassB {
		return 1 - truth
	}
	c := rng.IntN(NumClasses - 1)
	if c >= truth {
		c++
	}
	return c
}

// Accuracy is the share of items in pred, outside gold, whose class is the
// truth.
func (sim *Simulation) Accuracy(pred map[int64]int) float64 {
	n, ok := 0, 0
	for id, truth := range sim.Truth {
		if sim.Gold[id] {
			continue
		}
		n++
		if p, has := pred[id]; has && p == truth {
			ok++
		}
	}
	return float64(ok) / float64(n)
}
