package dpo

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/align-project/align/internal/testkit"
	"github.com/align-project/align/model"
)

// lossCases are the loss settings every gradient test runs.
var lossCases = []struct {
	name string
	cfg  func(*Config)
}{
	{"sigmoid", func(c *Config) {}},
	{"ipo", func(c *Config) { c.Loss = IPO }},
	{"robust", func(c *Config) { c.Loss, c.LabelFlipRate = Robust, 0.2 }},
	{"conservative", func(c *Config) { c.Loss, c.LabelFlipRate = Conservative, 0.1 }},
	{"conservative-soft", func(c *Config) { c.Loss, c.LabelFlipRate, c.UseSoftLabels = Conservative, 0.1, true }},
	{"sigmoid-length-normalized", func(c *Config) { c.LengthNormalize = true }},
	{"ipo-length-normalized", func(c *Config) { c.Loss, c.LengthNormalize = IPO, true }},
}

func TestLossDerivativeMatchesFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 1))
	for _, kind := range []LossKind{Sigmoid, IPO, Robust, Conservative} {
		for range 20 {
			h, beta := 8*rng.Float64()-4, 0.05+rng.Float64()
			eps, target := 0.45*rng.Float64(), rng.Float64()
			_, dh := Loss(kind, h, beta, eps, target)
			const d = 1e-6
			lp, _ := Loss(kind, h+d, beta, eps, target)
			lm, _ := Loss(kind, h-d, beta, eps, target)
			fd := (lp - lm) / (2 * d)
			if math.Abs(fd-dh) > 1e-6*(1+math.Abs(dh)) {
				t.Errorf("%s h %.4f β %.3f ε %.3f q %.3f: dℓ/dh %.9g, finite differences %.9g", kind, h, beta, eps, target, dh, fd)
			}
		}
	}
}

func TestLossValues(t *testing.T) {
	if l, _ := Loss(Sigmoid, 0, 0.1, 0, 1); math.Abs(l-math.Ln2) > 1e-15 {
		t.Errorf("sigmoid loss at h 0 = %v, want log 2", l)
	}
	if l, dh := Loss(IPO, 0.5, 0.1, 0, 1); l != 0 || dh != 0 {
		t.Errorf("ipo at h/β = 1/(2β): loss %v, slope %v; want its minimum 0", l, dh)
	}
	// Far out, the logistic loss must neither overflow nor lose its slope.
	if l, dh := Loss(Sigmoid, -800, 0.1, 0, 1); l != 800 || dh != -1 {
		t.Errorf("sigmoid at h −800: %v, %v; want 800, −1", l, dh)
	}
	rng := rand.New(rand.NewPCG(8, 1))
	for range 20 {
		h, eps := 10*rng.Float64()-5, 0.4*rng.Float64()
		sig, _ := Loss(Sigmoid, h, 1, 0, 1)
		if l, _ := Loss(Robust, h, 1, 0, 1); math.Abs(l-sig) > 1e-12 {
			t.Errorf("robust with ε 0 at h %v: %v, sigmoid %v", h, l, sig)
		}
		if l, _ := Loss(Conservative, h, 1, 0, 1); math.Abs(l-sig) > 1e-12 {
			t.Errorf("conservative with target 1 at h %v: %v, sigmoid %v", h, l, sig)
		}
		// rDPO is unbiased: averaged over labels flipped at rate ε it is the
		// logistic loss of the true label.
		rp, _ := Loss(Robust, h, 1, eps, 0)
		rm, _ := Loss(Robust, -h, 1, eps, 0)
		if e := (1-eps)*rp + eps*rm; math.Abs(e-sig) > 1e-9 {
			t.Errorf("robust ε %v h %v: expectation under flips %v, want the sigmoid loss %v", eps, h, e, sig)
		}
	}
}

// TestPairLossGradientMatchesFiniteDifferences checks the derivative of
// each loss with respect to every token's log-probability, for responses of
// odd, unequal lengths.
func TestPairLossGradientMatchesFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 2))
	for _, tc := range lossCases {
		cfg := DefaultConfig()
		cfg.Beta = 0.3
		tc.cfg(&cfg)
		for trial := range 5 {
			lc, lr := randLogps(rng, 1+2*rng.IntN(5)), randLogps(rng, 2+rng.IntN(6))
			p := 0.6 + 0.4*rng.Float64()
			terms := pairTerms{refC: sum(lc) + rng.NormFloat64(), refR: sum(lr) + rng.NormFloat64(), target: cfg.target(&p)}
			_, _, dc, dr := cfg.pairLoss(lc, lr, terms)
			for side, v := range [][]float64{lc, lr} {
				want := []float64{dc, dr}[side]
				for j := range v {
					const d = 1e-6
					old := v[j]
					v[j] = old + d
					lp, _, _, _ := cfg.pairLoss(lc, lr, terms)
					v[j] = old - d
					lm, _, _, _ := cfg.pairLoss(lc, lr, terms)
					v[j] = old
					fd := (lp - lm) / (2 * d)
					if math.Abs(fd-want) > 1e-6*(1+math.Abs(want)) {
						t.Errorf("%s trial %d side %d token %d: gradient %.9g, finite differences %.9g", tc.name, trial, side, j, want, fd)
					}
				}
			}
		}
	}
}

func randLogps(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = -3 * rng.Float64()
	}
	return v
}

// TestParamGradientMatchesFiniteDifferences checks the whole chain, from
// the pair losses through LogProbGrads and Backward to the parameters, for
// a tiny model on a batch of pairs of odd lengths.
func TestParamGradientMatchesFiniteDifferences(t *testing.T) {
	for _, tc := range lossCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Beta = 0.5
			tc.cfg(&cfg)
			m, err := model.New(model.Config{VocabSize: 11, Context: 16, Layers: 1, Heads: 2, Channels: 8}, 5)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(10, 3))
			pairs := randomPairs(rng, 3, 11, 13)
			refs := make([]refLogps, len(pairs))
			for i := range refs {
				refs[i] = refLogps{c: -20 * rng.Float64(), r: -20 * rng.Float64()}
			}
			objective := func() float64 {
				b, err := cfg.batchLoss(m, pairs, refs, false)
				if err != nil {
					t.Fatal(err)
				}
				return b.loss
			}
			if _, err := cfg.batchLoss(m, pairs, refs, true); err != nil {
				t.Fatal(err)
			}
			m.ZeroGrad()
			if err := m.Backward(); err != nil {
				t.Fatal(err)
			}
			checkParamGrads(t, m, objective)
		})
	}
}

// randomPairs returns n pairs over a vocabulary of V tokens, sequences of
// at most maxLen, prompts and responses of random lengths; targets random
// soft labels in [0.5, 1].
func randomPairs(rng *rand.Rand, n, V, maxLen int) []Pair {
	out := make([]Pair, n)
	tok := func() int32 { return int32(rng.IntN(V)) }
	for i := range out {
		plen := 1 + rng.IntN(maxLen/3)
		prompt := make([]int32, plen)
		for j := range prompt {
			prompt[j] = tok()
		}
		seq := func() []int32 {
			s := slices.Clone(prompt)
			for range 1 + rng.IntN(maxLen-plen) {
				s = append(s, tok())
			}
			return s
		}
		p := 0.5 + rng.Float64()/2
		out[i] = Pair{Chosen: seq(), Rejected: seq(), PromptLen: plen, PChosen: &p}
	}
	return out
}

// checkParamGrads compares m's gradients of the 10 largest entries with
// central differences of objective.
func checkParamGrads(t *testing.T, m *model.Model, objective func() float64) {
	t.Helper()
	testkit.CheckParamGrads(t, m.Params(), m.Grads(), 10, objective)
}
