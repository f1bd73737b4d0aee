package quality

import (
	"math/rand/v2"
	"testing"
)

// TestSimulationAdversaries is the acceptance simulation: 20 honest
// annotators of varied accuracy and 2 who flip labels. Dawid–Skene ranks the
// flippers last, both are flagged, and the reliability-weighted aggregate
// with them quarantined beats plain majority vote.
func TestSimulationAdversaries(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var anns []SimAnnotator
	for i := range 20 {
		anns = append(anns, SimAnnotator{ID: int64(i + 1), Accuracy: 0.55 + 0.4*float64(i)/19})
	}
	anns = append(anns, SimAnnotator{ID: 101, Accuracy: 0.1, Flipper: true}, SimAnnotator{ID: 102, Accuracy: 0.1, Flipper: true})
	sim := Simulate(rng, anns, 600, 5, 0.1)

	first := Analyze(sim.Labels, Options{})
	n := len(first.Annotators)
	last2 := map[int64]bool{first.Annotators[n-1].ID: true, first.Annotators[n-2].ID: true}
	if !last2[101] || !last2[102] {
		t.Errorf("Dawid–Skene ranks last %v, want the flippers 101 and 102", last2)
	}
	exclude := map[int64]bool{}
	for _, a := range first.Annotators {
		if a.Flagged {
			exclude[a.ID] = true
			t.Logf("flagged %d: %v (reliability %.2f)", a.ID, a.Reasons, a.Reliability)
		}
	}
	if !exclude[101] || !exclude[102] || len(exclude) != 2 {
		t.Errorf("flagged %v, want exactly 101 and 102", exclude)
	}
	second := Analyze(sim.Labels, Options{Exclude: exclude})
	agg := map[int64]int{}
	for id, a := range second.Items {
		agg[id] = a.Pref
	}
	mv := sim.Accuracy(MajorityVote(sim.Labels))
	ds := sim.Accuracy(agg)
	t.Logf("accuracy: majority vote %.3f, Dawid–Skene weighted with quarantine %.3f; α(preference) %.3f", mv, ds, first.AlphaPreference)
	if ds <= mv {
		t.Errorf("aggregate accuracy %.3f not above majority vote %.3f", ds, mv)
	}
}
