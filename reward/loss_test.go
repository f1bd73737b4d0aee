package reward

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/align-project/align/data"
)

func TestPairLossGradient(t *testing.T) {
	for _, tc := range []struct{ delta, p, m float64 }{
		{0, 1, 0}, {1.3, 1, 0}, {-2.1, 1, 0.5}, {0.4, 0.8, 0}, {-0.7, 0.3, 1.2}, {3, 0, 0}, {25, 1, 0}, {-25, 1, 0},
	} {
		l, d := PairLoss(tc.delta, tc.p, tc.m)
		const h = 1e-6
		lp, _ := PairLoss(tc.delta+h, tc.p, tc.m)
		lm, _ := PairLoss(tc.delta-h, tc.p, tc.m)
		fd := (lp - lm) / (2 * h)
		if math.Abs(fd-d) > 1e-6 {
			t.Errorf("Δ=%v p=%v m=%v: dΔ %v, finite difference %v", tc.delta, tc.p, tc.m, d, fd)
		}
		if tc.p == 1 && tc.m == 0 {
			want := -math.Log(sigmoid(tc.delta))
			if math.Abs(l-want) > 1e-9*max(1, want) {
				t.Errorf("Δ=%v: loss %v, want −log σ(Δ) = %v", tc.delta, l, want)
			}
		}
	}
	// A margin demands a bigger Δ: at Δ = m the margin loss equals the plain loss at 0.
	l, _ := PairLoss(2, 1, 2)
	if math.Abs(l-math.Ln2) > 1e-12 {
		t.Errorf("loss at Δ = margin: %v, want log 2", l)
	}
}

func TestSoftHalfLabelZeroGradient(t *testing.T) {
	for _, m := range []float64{0, 0.5, 3} {
		if _, d := PairLoss(0, 0.5, m); d != 0 {
			t.Errorf("p=0.5, margin %v: dΔ at Δ=0 is %v, want 0", m, d)
		}
	}
	// Through GroupLoss, on any two equal scores.
	p := 0.5
	g := MakeGroups([]data.Preference{{Prompt: "q", Chosen: "a", Rejected: "b", PChosen: &p}}, true, 0, LossConfig{})[0]
	out := []float64{0.7, 0, 0, 0, 0.7, 0, 0, 0}
	grad := make([]float64, len(out))
	GroupLoss(out, grad, &g, LossConfig{})
	for i, v := range grad {
		if v != 0 {
			t.Errorf("grad[%d] = %v, want 0", i, v)
		}
	}
	// The loss with a soft label is minimal where σ(Δ) = p.
	for _, q := range []float64{0.2, 0.5, 0.9} {
		want := math.Log(q / (1 - q))
		if _, d := PairLoss(want, q, 0); math.Abs(d) > 1e-12 {
			t.Errorf("p=%v: gradient %v at logit(p), want 0", q, d)
		}
	}
}

func TestGroupLossGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rating := func() *data.Rating {
		return &data.Rating{Coherence: 1 + rng.IntN(10), Relevance: 1 + rng.IntN(10), Safety: 1 + rng.IntN(10)}
	}
	soft, margin := 0.7, 0.8
	prefs := []data.Preference{
		{ID: "r", Prompt: "q", Chosen: "a", Rejected: "b", Ratings: &data.Ratings{Chosen: rating(), Rejected: rating()}},
		{ID: "r", Prompt: "q", Chosen: "a", Rejected: "c", PChosen: &soft},
		{ID: "r", Prompt: "q", Chosen: "c", Rejected: "b", Margin: &margin},
	}
	lc := LossConfig{MarginScale: 2, UseMargin: true, Center: 0.3, RatingWeight: 0.5}
	g := MakeGroups(prefs, true, 0, lc)[0]
	n := len(g.Responses)
	out := make([]float64, n*NumHeads)
	for i := range out {
		out[i] = rng.NormFloat64()
	}
	grad := make([]float64, len(out))
	GroupLoss(out, grad, &g, lc)
	checkGroupGradient(t, out, grad, &g, lc)
}

func TestKChoose2Grouping(t *testing.T) {
	const K = 4
	prefs := RankingPreferences("q", []string{"best", "good", "fair", "bad"})
	if len(prefs) != K*(K-1)/2 {
		t.Fatalf("%d preferences from a ranking of %d, want %d", len(prefs), K, K*(K-1)/2)
	}
	prefs = append(prefs, data.Preference{Prompt: "other", Chosen: "x", Rejected: "y"})
	gs := MakeGroups(prefs, true, 0, LossConfig{})
	if len(gs) != 2 || len(gs[0].Responses) != K || len(gs[0].Pairs) != 6 || len(gs[1].Pairs) != 1 {
		t.Fatalf("groups: %+v", gs)
	}
	// All scores equal: each pair's dΔ is σ(0) − 1 = −½, weighted 1/6. The best
	// response wins 3 pairs, the worst loses 3.
	out := make([]float64, K*NumHeads)
	grad := make([]float64, len(out))
	loss, _ := GroupLoss(out, grad, &gs[0], LossConfig{})
	if math.Abs(loss-math.Ln2) > 1e-12 {
		t.Errorf("group loss %v, want log 2 (the mean over its pairs)", loss)
	}
	want := []float64{-3.0 / 12, -1.0 / 12, 1.0 / 12, 3.0 / 12}
	for i, w := range want {
		if g := grad[i*NumHeads+HeadPreference]; math.Abs(g-w) > 1e-12 {
			t.Errorf("response %d: gradient %v, want %v", i, g, w)
		}
	}
	// Without grouping every comparison is an element of its own.
	if gs := MakeGroups(prefs, false, 0, LossConfig{}); len(gs) != 7 {
		t.Errorf("ungrouped: %d elements, want 7", len(gs))
	}
	// A cap splits a prompt's comparisons.
	if gs := MakeGroups(prefs, true, 4, LossConfig{}); len(gs) != 3 || len(gs[0].Pairs) != 4 || len(gs[1].Pairs) != 2 {
		t.Errorf("capped at 4 pairs: %d elements", len(gs))
	}
}

func TestMarginFromRatings(t *testing.T) {
	hi := &data.Rating{Coherence: 10, Relevance: 10, Safety: 10}
	mid := &data.Rating{Coherence: 7, Relevance: 6, Safety: 5}
	lo := &data.Rating{Coherence: 1, Relevance: 1, Safety: 1}
	lc := LossConfig{MarginScale: 1}
	big := margin(data.Preference{Ratings: &data.Ratings{Chosen: hi, Rejected: lo}}, lc)
	small := margin(data.Preference{Ratings: &data.Ratings{Chosen: mid, Rejected: lo}}, lc)
	if !(big == 1 && small > 0 && small < big) {
		t.Errorf("margins %v (gap 9) and %v (gap 5): want 1 and a smaller positive one", big, small)
	}
	m := 0.25
	if got := margin(data.Preference{Margin: &m, Ratings: &data.Ratings{Chosen: hi, Rejected: lo}}, LossConfig{MarginScale: 1, UseMargin: true}); got != m {
		t.Errorf("explicit margin: %v, want %v", got, m)
	}
}

func TestCalibration(t *testing.T) {
	ece, bins := calibration([]float64{0.05, 0.95, 0.75, 0.25}, []float64{0, 1, 1, 0}, 10)
	if len(bins) != 4 || math.Abs(ece-0.15) > 1e-12 {
		t.Errorf("ece %v with %d bins, want 0.15 with 4", ece, len(bins))
	}
}

func TestRobustPairLossGradient(t *testing.T) {
	for _, eps := range []float64{0.05, 0.2, 0.45} {
		for _, tc := range []struct{ delta, p, m float64 }{
			{0, 1, 0}, {1.3, 1, 0}, {-2.1, 1, 0.5}, {0.4, 0.8, 0}, {-0.7, 0.3, 1.2}, {3, 0, 0}, {25, 1, 0}, {-25, 1, 0},
		} {
			l, d := RobustPairLoss(tc.delta, tc.p, tc.m, eps)
			const h = 1e-6
			lp, _ := RobustPairLoss(tc.delta+h, tc.p, tc.m, eps)
			lm, _ := RobustPairLoss(tc.delta-h, tc.p, tc.m, eps)
			if fd := (lp - lm) / (2 * h); math.Abs(fd-d) > 1e-6 {
				t.Errorf("ε=%v Δ=%v p=%v m=%v: dΔ %v, finite difference %v", eps, tc.delta, tc.p, tc.m, d, fd)
			}
			if tc.p == 1 && tc.m == 0 {
				want := -math.Log(eps + (1-2*eps)*sigmoid(tc.delta))
				if math.Abs(l-want) > 1e-9*max(1, want) {
					t.Errorf("ε=%v Δ=%v: loss %v, want %v", eps, tc.delta, l, want)
				}
			}
		}
		// A confidently contradicted label costs at most −log ε and pulls
		// ever less; the plain loss grows without bound and pulls with −1.
		l, d := RobustPairLoss(-40, 1, 0, eps)
		if math.Abs(l+math.Log(eps)) > 1e-6 || math.Abs(d) > 1e-9 {
			t.Errorf("ε=%v Δ=−40: loss %v (want −log ε = %v), dΔ %v (want ≈ 0)", eps, l, -math.Log(eps), d)
		}
		// It still orders right: the gradient pushes Δ up for a hard label.
		if _, d := RobustPairLoss(0, 1, 0, eps); !(d < 0) {
			t.Errorf("ε=%v: dΔ at 0 is %v, want negative", eps, d)
		}
	}
	// ε = 0 is exactly PairLoss.
	for _, dl := range []float64{-3, 0, 0.7} {
		a, b := PairLoss(dl, 0.8, 0.4)
		c, d := RobustPairLoss(dl, 0.8, 0.4, 0)
		if a != c || b != d {
			t.Errorf("ε=0, Δ=%v: (%v, %v), PairLoss gives (%v, %v)", dl, c, d, a, b)
		}
	}
}

func TestGroupLossGradientFlipRate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	soft := 0.7
	prefs := []data.Preference{
		{ID: "r", Prompt: "q", Chosen: "a", Rejected: "b"},
		{ID: "r", Prompt: "q", Chosen: "a", Rejected: "c", PChosen: &soft},
		{ID: "r", Prompt: "q", Chosen: "c", Rejected: "b"},
	}
	lc := LossConfig{Center: 0.1, FlipRate: 0.2}
	g := MakeGroups(prefs, true, 0, lc)[0]
	out := make([]float64, len(g.Responses)*NumHeads)
	for i := range out {
		out[i] = 2 * rng.NormFloat64()
	}
	grad := make([]float64, len(out))
	GroupLoss(out, grad, &g, lc)
	checkGroupGradient(t, out, grad, &g, lc)
}

// checkGroupGradient compares grad, GroupLoss's gradient at out, with
// central finite differences in float64.
func checkGroupGradient(t *testing.T, out, grad []float64, g *Group, lc LossConfig) {
	t.Helper()
	tmp := make([]float64, len(out))
	for i := range out {
		const h = 1e-6
		x := out[i]
		out[i] = x + h
		lp, _ := GroupLoss(out, tmp, g, lc)
		out[i] = x - h
		lm, _ := GroupLoss(out, tmp, g, lc)
		out[i] = x
		if fd := (lp - lm) / (2 * h); math.Abs(fd-grad[i]) > 1e-6 {
			t.Errorf("out[%d]: gradient %v, finite difference %v", i, grad[i], fd)
		}
	}
}
