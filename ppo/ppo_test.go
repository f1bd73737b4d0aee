package ppo

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/align-project/align/internal/testkit"
	"github.com/align-project/align/model"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*(1+math.Abs(b)) }

func TestGAEHandComputed(t *testing.T) {
	rewards := []float32{0, 0, 1}
	values := []float32{0.5, 0.2, 0.4}
	for _, tc := range []struct {
		gamma, lambda float64
		adv, ret      []float64
	}{
		// δ2 = 1 − 0.4 = 0.6; δ1 = 0.9·0.4 − 0.2 = 0.16; δ0 = 0.9·0.2 − 0.5 = −0.32;
		// A2 = 0.6, A1 = 0.16 + 0.45·0.6 = 0.43, A0 = −0.32 + 0.45·0.43 = −0.1265.
		{0.9, 0.5, []float64{-0.1265, 0.43, 0.6}, []float64{0.3735, 0.63, 1}},
		// γ = λ = 1: A_t = Σ_{s≥t} r_s − V_t, the Monte Carlo return minus the value.
		{1, 1, []float64{0.5, 0.8, 0.6}, []float64{1, 1, 1}},
		// λ = 0: A_t = δ_t, the one-step TD error: δ0 = 0.2 − 0.5, δ1 = 0.4 − 0.2, δ2 = 1 − 0.4.
		{1, 0, []float64{-0.3, 0.2, 0.6}, []float64{0.2, 0.4, 1}},
		// The defaults, γ 1 and λ 0.95: A1 = 0.2 + 0.95·0.6 = 0.77, A0 = −0.3 + 0.95·0.77 = 0.4315.
		{1, 0.95, []float64{0.4315, 0.77, 0.6}, []float64{0.9315, 0.97, 1}},
	} {
		adv, ret := make([]float32, 3), make([]float32, 3)
		GAE(adv, ret, rewards, values, tc.gamma, tc.lambda)
		for i := range adv {
			if !near(float64(adv[i]), tc.adv[i], 1e-6) || !near(float64(ret[i]), tc.ret[i], 1e-6) {
				t.Errorf("γ %v λ %v: advantages %v returns %v, want %v and %v", tc.gamma, tc.lambda, adv, ret, tc.adv, tc.ret)
				break
			}
		}
	}
}

func TestKLEstimators(t *testing.T) {
	// log π = −1, log π_ref = −2: log r = −1.
	for _, tc := range []struct {
		k    KLEstimator
		want float64
	}{{K1, 1}, {K2, 0.5}, {K3, math.Exp(-1) - 1 + 1}} {
		if got := tc.k.Estimate(-1, -2); !near(got, tc.want, 1e-12) {
			t.Errorf("%s = %v, want %v", tc.k, got, tc.want)
		}
	}
	// k3 is never negative; k1 is for a token the reference prefers.
	if K3.Estimate(-2, -1) < 0 || K1.Estimate(-2, -1) >= 0 {
		t.Errorf("k3 %v must be ≥ 0 and k1 %v < 0 when the reference prefers the token", K3.Estimate(-2, -1), K1.Estimate(-2, -1))
	}
	// Over tokens drawn from π, k1 and k3 average to KL(π‖π_ref).
	p := []float64{0.5, 0.3, 0.15, 0.05}
	q := []float64{0.25, 0.25, 0.25, 0.25}
	var exact float64
	for i := range p {
		exact += p[i] * math.Log(p[i]/q[i])
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 200000
	var s1, s3 float64
	for range n {
		u, i := rng.Float64(), 0
		for u -= p[0]; u > 0 && i < len(p)-1; u -= p[i] {
			i++
		}
		s1 += K1.Estimate(math.Log(p[i]), math.Log(q[i]))
		s3 += K3.Estimate(math.Log(p[i]), math.Log(q[i]))
	}
	if !near(s1/n, exact, 0.02) || !near(s3/n, exact, 0.02) {
		t.Errorf("mean k1 %.4f, k3 %.4f; exact KL %.4f", s1/n, s3/n, exact)
	}
	var k KLEstimator
	if err := k.UnmarshalText([]byte("K3")); err != nil || k != K3 {
		t.Errorf("UnmarshalText(K3) = %q, %v", k, err)
	}
	if err := k.UnmarshalText([]byte("k4")); err == nil {
		t.Error("k4 accepted")
	}
}

func TestAdaptiveKLController(t *testing.T) {
	c := KLController{Beta: 0.05, Adaptive: true, Target: 6, Horizon: 10000}
	c.Update(9, 64) // e = clip(9/6 − 1) = 0.2 (clipped from 0.5)
	if want := 0.05 * (1 + 0.2*64/10000.0); !near(c.Beta, want, 1e-12) {
		t.Errorf("β after KL 9 = %v, want %v", c.Beta, want)
	}
	c = KLController{Beta: 0.05, Adaptive: true, Target: 6, Horizon: 10000}
	c.Update(5.4, 64) // e = −0.1, within the clip
	if want := 0.05 * (1 - 0.1*64/10000.0); !near(c.Beta, want, 1e-12) {
		t.Errorf("β after KL 5.4 = %v, want %v", c.Beta, want)
	}
	c.Update(0, 10000) // e = −0.2 over a whole horizon: −20%
	if want := 0.05 * (1 - 0.1*64/10000.0) * 0.8; !near(c.Beta, want, 1e-12) {
		t.Errorf("β after KL 0 over the horizon = %v, want %v", c.Beta, want)
	}
	fixed := KLController{Beta: 0.05}
	fixed.Update(100, 64)
	if fixed.Beta != 0.05 {
		t.Errorf("fixed β moved to %v", fixed.Beta)
	}
}

func TestLagrangian(t *testing.T) {
	l := Lagrangian{Limit: 0.1, LR: 0.5, Max: 1}
	if got := l.Combine(1, 0.5); got != 1 {
		t.Errorf("λ 0: combined score %v, want the reward 1", got)
	}
	l.Update(0.5) // violated by 0.4: λ = 0.2
	if !near(l.Lambda, 0.2, 1e-12) {
		t.Errorf("λ = %v after mean cost 0.5, want 0.2", l.Lambda)
	}
	if got, want := l.Combine(1, 0.5), (1-0.2*0.5)/1.2; !near(got, want, 1e-12) {
		t.Errorf("combined score %v, want %v", got, want)
	}
	l.Update(5) // capped at Max
	if l.Lambda != 1 {
		t.Errorf("λ = %v, want the cap 1", l.Lambda)
	}
	l.Update(-10) // satisfied with room: projected back to 0
	if l.Lambda != 0 {
		t.Errorf("λ = %v, want 0", l.Lambda)
	}
}

func TestPolicyLossClipping(t *testing.T) {
	const eps = 0.2
	for _, tc := range []struct {
		ratio, adv  float64
		loss, dlogp float64
		clipped     bool
	}{
		{1.5, 1, -1.2, 0, true},     // A > 0 and ρ past 1+ε: clipped, no gradient
		{0.5, 1, -0.5, -0.5, false}, // A > 0, ρ below 1−ε: the pessimistic unclipped term, pushes ρ up
		{1.5, -1, 1.5, 1.5, false},  // A < 0, ρ past 1+ε: unclipped, pushes ρ down
		{0.5, -1, 0.8, 0, true},     // A < 0, ρ below 1−ε: clipped
		{1.1, 1, -1.1, -1.1, false}, // inside the trust region
		{1, 0, 0, 0, false},         // no advantage, no gradient
	} {
		loss, d, c := PolicyLoss(math.Log(tc.ratio), 0, tc.adv, eps)
		if !near(loss, tc.loss, 1e-12) || !near(d, tc.dlogp, 1e-12) || c != tc.clipped {
			t.Errorf("ρ %v A %v: loss %v dlogp %v clipped %v, want %v %v %v", tc.ratio, tc.adv, loss, d, c, tc.loss, tc.dlogp, tc.clipped)
		}
		if !tc.clipped && tc.adv != 0 { // the derivative matches finite differences
			h := 1e-6
			lp, _, _ := PolicyLoss(math.Log(tc.ratio)+h, 0, tc.adv, eps)
			lm, _, _ := PolicyLoss(math.Log(tc.ratio)-h, 0, tc.adv, eps)
			if fd := (lp - lm) / (2 * h); !near(d, fd, 1e-6) {
				t.Errorf("ρ %v A %v: dlogp %v, finite differences %v", tc.ratio, tc.adv, d, fd)
			}
		}
	}
}

func TestValueLossClipping(t *testing.T) {
	const c = 0.2
	for _, tc := range []struct {
		v, old, ret float64
		loss, dv    float64
		clipped     bool
	}{
		{0.5, 0, 1, 0.32, 0, true},      // moved 0.5 towards the return: the clipped value (0.2) is worse, no gradient
		{0.1, 0, 1, 0.405, -0.9, false}, // inside the clip range
		{0.5, 0, -1, 1.125, 1.5, false}, // moved away from the return: the unclipped error is larger
		{-0.5, 0, 1, 1.125, -1.5, false},
	} {
		loss, d, cl := ValueLoss(tc.v, tc.old, tc.ret, c)
		if !near(loss, tc.loss, 1e-12) || !near(d, tc.dv, 1e-12) || cl != tc.clipped {
			t.Errorf("v %v old %v ret %v: loss %v dv %v clipped %v, want %v %v %v", tc.v, tc.old, tc.ret, loss, d, cl, tc.loss, tc.dv, tc.clipped)
		}
		h := 1e-6
		lp, _, _ := ValueLoss(tc.v+h, tc.old, tc.ret, c)
		lm, _, _ := ValueLoss(tc.v-h, tc.old, tc.ret, c)
		if fd := (lp - lm) / (2 * h); !near(d, fd, 1e-6) {
			t.Errorf("v %v: dv %v, finite differences %v", tc.v, d, fd)
		}
	}
	if loss, d, cl := ValueLoss(0.5, 0, 1, 0); loss != 0.125 || d != -0.5 || cl {
		t.Errorf("unclipped value loss: %v %v %v", loss, d, cl)
	}
}

func TestWhitenMasked(t *testing.T) {
	rows := [][]float32{{1, 2, 3}, {4}, {}}
	Whiten(rows, true)
	m, v, n := meanVar(rows)
	if n != 4 || math.Abs(m) > 1e-6 || math.Abs(v-1) > 1e-6 {
		t.Errorf("whitened: mean %v variance %v over %d, want 0, 1, 4", m, v, n)
	}
	rows = [][]float32{{1, 2, 3}, {4}}
	Whiten(rows, false) // scale only: the mean (2.5) stays
	if m, v, _ := meanVar(rows); math.Abs(m-2.5) > 1e-6 || math.Abs(v-1) > 1e-6 {
		t.Errorf("whitened without shift: mean %v variance %v, want 2.5, 1", m, v)
	}
}

func TestTruncate(t *testing.T) {
	stop := []int32{7, 9}
	got, ok := Truncate([]int32{1, 2, 9, 3, 7}, stop)
	if !ok || !slices.Equal(got, []int32{1, 2, 9}) {
		t.Errorf("Truncate = %v %v, want [1 2 9] true", got, ok)
	}
	if got, ok := Truncate([]int32{1, 2}, stop); ok || len(got) != 2 {
		t.Errorf("no stop: Truncate = %v %v", got, ok)
	}
}

// testRollout builds a tiny rollout by hand: prompts of different lengths,
// responses of different lengths, rollout log-probs near the current
// policy's, random advantages, values and returns.
func testRollout(t *testing.T, policy, value *model.Model, cfg Config) (*run, *rollout) {
	t.Helper()
	r := &run{Trainer: &Trainer{Policy: policy, Value: value}, cfg: cfg}
	rng := rand.New(rand.NewPCG(5, 6))
	ro := &rollout{n: 3}
	for i, lens := range [][2]int{{3, 4}, {1, 2}, {2, 5}} {
		seq := make([]int32, lens[0]+lens[1])
		for j := range seq {
			seq[j] = int32(rng.IntN(policy.Config.VocabSize))
		}
		ro.seqs = append(ro.seqs, seq)
		ro.plen = append(ro.plen, lens[0])
		_ = i
	}
	lp, err := r.logProbs(policy, ro)
	if err != nil {
		t.Fatal(err)
	}
	ro.logp = lp
	ro.adv, ro.values, ro.ret = ro.rows(), ro.rows(), ro.rows()
	for i := range ro.n {
		for j := range ro.logp[i] {
			ro.logp[i][j] += float32(rng.NormFloat64() * 0.05)
			ro.adv[i][j] = float32(rng.NormFloat64())
			ro.values[i][j] = float32(rng.NormFloat64() * 0.1)
			ro.ret[i][j] = float32(rng.NormFloat64())
		}
	}
	return r, ro
}

func tinyModel(t *testing.T, heads int) *model.Model {
	t.Helper()
	m, err := model.New(model.Config{VocabSize: 8, Context: 16, Layers: 1, Heads: 2, Channels: 16, ScalarHeads: heads}, 11)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPolicyGradientMatchesFiniteDifferences checks the whole chain, from
// the clipped surrogate and the entropy bonus through the logits written at
// the right positions to the parameters, against central differences of
// the objective in the parameters with the largest gradients.
func TestPolicyGradientMatchesFiniteDifferences(t *testing.T) {
	policy := tinyModel(t, 0)
	cfg := DefaultConfig()
	cfg.MiniBatch, cfg.Temperature, cfg.EntCoef = 3, 0.8, 0.1
	r, ro := testRollout(t, policy, nil, cfg)
	mb := []int{2, 0, 1}
	objective := func() float64 {
		stats, N, err := r.policyLoss(ro, mb)
		if err != nil {
			t.Fatal(err)
		}
		var s float64
		for _, ts := range stats {
			for _, x := range ts {
				s += x.loss - cfg.EntCoef*x.ent
			}
		}
		return s / float64(N)
	}
	stats, N, err := r.policyLoss(ro, mb)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.policyGrad(ro, mb, stats, N); err != nil {
		t.Fatal(err)
	}
	policy.ZeroGrad()
	if err := policy.Backward(); err != nil {
		t.Fatal(err)
	}
	checkParamGrads(t, policy, objective)
}

func TestValueGradientMatchesFiniteDifferences(t *testing.T) {
	policy, value := tinyModel(t, 0), tinyModel(t, 1)
	cfg := DefaultConfig()
	cfg.MiniBatch, cfg.ClipRangeValue = 3, 0 // the clip's kinks would upset finite differences
	r, ro := testRollout(t, policy, value, cfg)
	mb := []int{1, 2, 0}
	objective := func() float64 {
		loss, _, err := r.valueLoss(ro, mb)
		if err != nil {
			t.Fatal(err)
		}
		N := 0
		for _, i := range mb {
			N += ro.respLen(i)
		}
		return cfg.VFCoef * loss / float64(N)
	}
	if _, _, err := r.valueLoss(ro, mb); err != nil {
		t.Fatal(err)
	}
	value.ZeroGrad()
	if err := value.Backward(); err != nil {
		t.Fatal(err)
	}
	checkParamGrads(t, value, objective)
}

// checkParamGrads compares m's gradients of the 12 largest entries with
// central differences of objective.
func checkParamGrads(t *testing.T, m *model.Model, objective func() float64) {
	t.Helper()
	testkit.CheckParamGrads(t, m.Params(), m.Grads(), 12, objective)
}

// TestMasking checks that only positions predicting response tokens get a
// gradient: the prompt (but its last token, which predicts the first
// response token) and the padding of shorter sequences stay at zero.
func TestMasking(t *testing.T) {
	policy, value := tinyModel(t, 0), tinyModel(t, 1)
	cfg := DefaultConfig()
	cfg.MiniBatch, cfg.EntCoef, cfg.ClipRangeValue = 3, 0.01, 0 // a clipped value has no gradient
	r, ro := testRollout(t, policy, value, cfg)
	mb := []int{0, 1, 2}
	stats, N, err := r.policyLoss(ro, mb)
	if err != nil {
		t.Fatal(err)
	}
	if want := 4 + 2 + 5; N != want {
		t.Fatalf("%d response tokens counted, want %d", N, want)
	}
	if err := r.policyGrad(ro, mb, stats, N); err != nil {
		t.Fatal(err)
	}
	_, T := policy.Shape()
	V := policy.Config.VocabSize
	dl := policy.DLogits()
	if _, _, err := r.valueLoss(ro, mb); err != nil {
		t.Fatal(err)
	}
	ds := value.DScalars()
	for b, i := range mb {
		p, n := ro.plen[i], ro.respLen(i)
		for pos := range T {
			predicts := pos >= p-1 && pos < p+n-1 // predicts a response token
			row := dl[(b*T+pos)*V:][:V]
			nonzero := slices.ContainsFunc(row, func(x float32) bool { return x != 0 })
			if nonzero != predicts {
				t.Errorf("sequence %d (prompt %d, response %d), position %d: policy gradient present %v, want %v", i, p, n, pos, nonzero, predicts)
			}
			if (ds[b*T+pos] != 0) != predicts {
				t.Errorf("sequence %d, position %d: value gradient %v, want present %v", i, pos, ds[b*T+pos], predicts)
			}
		}
	}
	// The per-sequence rows of a rollout hold response tokens only, so
	// whitening and means never see the prompt or the padding.
	for i := range ro.n {
		if len(ro.adv[i]) != ro.respLen(i) {
			t.Errorf("sequence %d: %d advantages for %d response tokens", i, len(ro.adv[i]), ro.respLen(i))
		}
	}
}

func TestConfigYAML(t *testing.T) {
	c := DefaultConfig()
	if err := c.DecodeYAML(strings.NewReader("kl_estimator: k3\nent_coef: 0.01\n"), "test"); err != nil {
		t.Fatal(err)
	}
	if c.KLEstimator != K3 || c.EntCoef != 0.01 {
		t.Errorf("decoded %q %v", c.KLEstimator, c.EntCoef)
	}
	if err := c.DecodeYAML(strings.NewReader("kl_coeff: 1\n"), "test"); err == nil {
		t.Error("unknown key accepted")
	}
	if err := c.DecodeYAML(strings.NewReader("kl_estimator: k7\n"), "test"); err == nil {
		t.Error("kl_estimator k7 accepted")
	}
	var back Config
	if err := back.DecodeYAML(strings.NewReader(string(c.YAML())), "round trip"); err != nil || back != c {
		t.Errorf("YAML round trip: %v\n%+v\n%+v", err, back, c)
	}
	if len(Keys()) != 39 && testing.Verbose() {
		t.Logf("%d keys", len(Keys()))
	}
	bad := DefaultConfig()
	bad.MiniBatch = 5
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "mini_batch") {
		t.Errorf("mini_batch 5 of 64: %v", err)
	}
}

// TestRolloutLogProbs checks that the sampler's log-probabilities, at the
// sampling temperature, are those the training forward pass computes, so
// the first ratio of every iteration is 1; that the reference, a copy of
// the policy, has KL 0; and that the rollout's rewards put the score on the
// last token only.
func TestRolloutLogProbs(t *testing.T) {
	for _, temp := range []float64{0.7, 1.3} {
		cfg := synthConfig()
		cfg.Temperature, cfg.BatchSize, cfg.MiniBatch, cfg.MaxNewTokens = temp, 8, 4, 6
		tr := &Trainer{
			Config: cfg, Policy: synthModel(t), Reward: FuncSource(synthReward),
			Prompts: synthPrompts(8, 3), StopTokens: []int32{synthStop}, Decode: synthDecode,
		}
		r, err := tr.setup()
		if err != nil {
			t.Fatal(err)
		}
		var st Stats
		ro, err := r.rollout(context.Background(), r.batchPrompts(0), &st)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(st.KL) > 1e-5 { // the sampler and the forward pass round differently
			t.Errorf("τ %v: KL to an identical reference %v", temp, st.KL)
		}
		stats, _, err := r.policyLoss(ro, []int{0, 1, 2, 3, 4, 5, 6, 7})
		if err != nil {
			t.Fatal(err)
		}
		for i, ts := range stats {
			for j, s := range ts {
				if math.Abs(s.ratio-1) > 1e-5 {
					t.Errorf("τ %v: sequence %d token %d: first ratio %v, want 1", temp, i, j, s.ratio)
				}
			}
			for j, rw := range ro.rewards[i] {
				want := 0.0
				if j == len(ro.rewards[i])-1 {
					want = ro.score[i]
				}
				if math.Abs(float64(rw)-want) > 1e-6 {
					t.Errorf("τ %v: sequence %d reward %d = %v (score %v)", temp, i, j, rw, ro.score[i])
				}
			}
		}
	}
}
