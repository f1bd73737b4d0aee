package ppo

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/align-project/align/model"
	"github.com/align-project/align/reward"
)

// TestGroupAdvantagesByHand: the group r = (1, 0, 0, 3) has mean 1,
// deviations (0, −1, −1, 2), Σd² = 6, sample variance 6/3 = 2, s = √2.
//
//	grpo     d/(√2 + 1e-4)            = (0, −0.70705678, −0.70705678, 1.41411357)
//	rloo     r_i − (4 − r_i)/3        = (1 − 1, 0 − 4/3, 0 − 4/3, 3 − 1/3) = (0, −4/3, −4/3, 8/3)
//	dr_grpo  d                        = (0, −1, −1, 2)
//
// and a flat group gets zeros under each.
func TestGroupAdvantagesByHand(t *testing.T) {
	rewards := []float64{1, 0, 0, 3}
	for _, tc := range []struct {
		a    Advantage
		want []float64
	}{
		{AdvGRPO, []float64{0, -0.7070567847, -0.7070567847, 1.4141135694}},
		{AdvRLOO, []float64{0, -4.0 / 3, -4.0 / 3, 8.0 / 3}},
		{AdvDrGRPO, []float64{0, -1, -1, 2}},
	} {
		adv := make([]float64, len(rewards))
		GroupAdvantages(tc.a, adv, rewards)
		for i := range adv {
			if math.Abs(adv[i]-tc.want[i]) > 1e-9 {
				t.Errorf("%s: advantages %v, want %v", tc.a, adv, tc.want)
				break
			}
		}
		flatAdv := []float64{9, 9, 9}
		GroupAdvantages(tc.a, flatAdv, []float64{0.3, 0.3, 0.3})
		if !slices.Equal(flatAdv, []float64{0, 0, 0}) {
			t.Errorf("%s: a flat group gets %v, want zeros", tc.a, flatAdv)
		}
	}
}

// groupConfig is GRPOConfig (8 prompts × G 8, one epoch, β·k3 in the
// loss, sequence means) on the synthetic task, with advantage a.
func groupConfig(a Advantage) Config {
	c := GRPOConfig()
	c.Advantage = a
	c.Iterations, c.MaxNewTokens, c.LR = 40, 4, 3e-3
	c.SampleEvery, c.SaveEvery = 0, 0
	return c
}

// TestFlatGroupsGiveNoGradient: with every response scored alike, every
// group is flat, every advantage 0 and, with the KL out of the loss and no
// entropy bonus, the gradient is exactly 0: Adam leaves the policy as it
// was, step after step.
func TestFlatGroupsGiveNoGradient(t *testing.T) {
	for _, norm := range []LossNorm{TokenMean, SequenceMean} {
		cfg := groupConfig(AdvGRPO)
		cfg.Iterations, cfg.GroupSize, cfg.BatchSize, cfg.MiniBatch = 2, 4, 4, 4
		cfg.MissingEOS = false // a missing EOS would score −1 and break the tie
		cfg.KLCoef, cfg.EntCoef, cfg.LossNorm = 0, 0, norm
		policy := synthModel(t)
		before := slices.Clone(policy.Params())
		var last Stats
		tr := &Trainer{
			Config: cfg, Policy: policy, Prompts: synthPrompts(8, 1), StopTokens: []int32{synthStop}, Decode: synthDecode,
			Reward:   FuncSource(func(string, string) reward.Score { return reward.Score{Reward: 0.5, Raw: 0.5} }),
			Progress: func(s Stats) { last = s },
		}
		if _, err := tr.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		if last.FlatGroups != cfg.BatchSize || last.FlatFrac != 1 || last.Steps == 0 || last.GradNorm != 0 {
			t.Errorf("%s: flat groups %d (%.2f), %d steps, grad norm %g; want %d, 1, > 0, 0", norm, last.FlatGroups, last.FlatFrac, last.Steps, last.GradNorm, cfg.BatchSize)
		}
		if !slices.Equal(policy.Params(), before) {
			t.Errorf("%s: the policy moved on flat groups", norm)
		}
	}
}

// TestClippedObjectiveGradient checks the derivative of the policy
// objective of a minibatch, Σ_b Σ_t w_b·(clipped surrogate + β·k3), in the
// token log-probs against central differences, with the ratio clipped to
// [0.9, 1.3] and both loss normalisations.
func TestClippedObjectiveGradient(t *testing.T) {
	lens := []int{2, 3, 5}
	N := 10
	rng := rand.New(rand.NewPCG(5, 5))
	type tok struct{ lp, old, ref, adv float64 }
	var toks [][]tok
	// Log-ratios and advantage signs chosen to clip below (ρ < 0.9, A < 0),
	// above (ρ > 1.3, A > 0), and to pass in (1.1, 1.3) with A > 0, where
	// only the higher upper clip lets the token through; none within 0.01
	// of a kink (log 0.9 = −0.105, log 1.3 = 0.262).
	d := []float64{-0.3, -0.2, -0.05, 0.02, 0.15, 0.2, 0.35, 0.5, -0.15, 0.1}
	sign := []float64{-1, -1, 1, -1, 1, 1, 1, 1, 1, -1}
	k := 0
	for _, n := range lens {
		var row []tok
		for range n {
			old := -1 - rng.Float64()
			adv := sign[k] * (0.2 + rng.Float64())
			row = append(row, tok{lp: old + d[k], old: old, ref: old + 0.2*rng.NormFloat64(), adv: adv})
			k++
		}
		toks = append(toks, row)
	}
	for _, norm := range []LossNorm{TokenMean, SequenceMean} {
		cfg := GRPOConfig()
		cfg.ClipRange, cfg.ClipRangeHigh, cfg.LossNorm, cfg.KLInLoss = 0.1, 0.3, norm, true
		const beta = 0.1
		objective := func() float64 {
			var sum float64
			for _, row := range toks {
				w := cfg.tokenWeight(len(row), len(lens), N)
				for _, x := range row {
					surr, kl, _, _ := cfg.tokenLoss(x.lp, x.old, x.ref, x.adv, beta)
					sum += w * (surr + kl)
				}
			}
			return sum
		}
		var clippedLow, clippedHigh, passedHigh int
		for b, row := range toks {
			w := cfg.tokenWeight(len(row), len(lens), N)
			for j := range row {
				x := &toks[b][j]
				ratio := math.Exp(x.lp - x.old)
				_, _, dlogp, clipped := cfg.tokenLoss(x.lp, x.old, x.ref, x.adv, beta)
				switch {
				case clipped && ratio < 1:
					clippedLow++
				case clipped:
					clippedHigh++
				case ratio > 1.1 && x.adv > 0:
					passedHigh++
				}
				const h = 1e-6
				lp := x.lp
				x.lp = lp + h
				up := objective()
				x.lp = lp - h
				down := objective()
				x.lp = lp
				fd := (up - down) / (2 * h)
				if got := w * dlogp; math.Abs(got-fd) > 1e-7*max(1, math.Abs(fd)) {
					t.Errorf("%s: token %d of response %d (ratio %.3f, A %+.2f): gradient %.9f, finite difference %.9f", norm, j, b, ratio, x.adv, got, fd)
				}
			}
		}
		if clippedLow == 0 || clippedHigh == 0 || passedHigh == 0 {
			t.Errorf("%s: %d tokens clipped below, %d above, %d passed by the upper clip only: the test covers too little", norm, clippedLow, clippedHigh, passedHigh)
		}
	}
	cfg := GRPOConfig()
	cfg.LossNorm = SequenceMean
	if a, b := cfg.tokenWeight(2, 3, N), cfg.tokenWeight(5, 3, N); a != 1.0/6 || b != 1.0/15 {
		t.Errorf("sequence weights %g, %g; want 1/6, 1/15", a, b)
	}
}

// groupResumeTrainer is a GRPO run that resamples flat groups and keeps
// the KL in the loss, so each of them must survive an interruption.
func groupResumeTrainer(t *testing.T, out string) *Trainer {
	cfg := groupConfig(AdvGRPO)
	cfg.Iterations, cfg.BatchSize, cfg.GroupSize, cfg.MiniBatch = 6, 4, 4, 8
	cfg.SaveEvery, cfg.SampleEvery, cfg.SampleRows = 2, 2, 2
	cfg.KLInLoss, cfg.KLEstimator, cfg.KLCoef = true, K3, 0.05
	cfg.ResampleFlat, cfg.LossNorm, cfg.ClipRangeHigh = 2, SequenceMean, 0.28
	return &Trainer{
		Config: cfg, Policy: synthModel(t), Reward: FuncSource(synthReward),
		Prompts: synthPrompts(12, 2), StopTokens: []int32{synthStop}, Decode: synthDecode, Out: out,
	}
}

// TestGroupResumeIsExact interrupts a GRPO run after iteration 3 and
// resumes it: weights and metrics are those of a run that never stopped,
// and no value model is saved.
func TestGroupResumeIsExact(t *testing.T) {
	dir := t.TempDir()
	straight := groupResumeTrainer(t, filepath.Join(dir, "straight"))
	if _, err := straight.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := readLines(t, filepath.Join(straight.Out, MetricsFile))
	resampled := 0
	for _, l := range want {
		if strings.Contains(l, `"resampled"`) {
			resampled++
		}
	}
	if resampled == 0 {
		t.Error("no iteration resampled a flat group: the test does not cover resampling")
	}
	out := filepath.Join(dir, "stopped")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := groupResumeTrainer(t, out)
	first.AfterIteration = func(it int) {
		if it == 3 {
			cancel()
		}
	}
	if res, err := first.Run(ctx); !errors.Is(err, ErrInterrupted) || res.Iterations != 3 {
		t.Fatalf("interrupted run: %d iterations, %v", res.Iterations, err)
	}
	second := groupResumeTrainer(t, out)
	second.Resume = true
	if _, err := second.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(second.Policy.Params(), straight.Policy.Params()) {
		t.Error("resumed policy differs from the uninterrupted one")
	}
	got := readLines(t, filepath.Join(out, MetricsFile))
	if len(got) != len(want) {
		t.Fatalf("%d metrics lines, want %d", len(got), len(want))
	}
	for i := range got {
		if g, w := withoutTimes(t, got[i]), withoutTimes(t, want[i]); g != w {
			t.Errorf("metrics line %d:\n got %s\nwant %s", i+1, g, w)
		}
	}
	for _, d := range []string{filepath.Join(out, ValueDir), filepath.Join(out, LastDir, "it-000006", valueSub)} {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("%s exists: a group advantage has no value model", d)
		}
	}
}

// TestGroupSyntheticConverges trains the synthetic task (synthetic_test.go)
// with each group advantage until greedy decoding answers every prompt
// with the target.
func TestGroupSyntheticConverges(t *testing.T) {
	for _, a := range []Advantage{AdvGRPO, AdvRLOO} {
		t.Run(string(a), func(t *testing.T) {
			cfg := groupConfig(a)
			policy := synthModel(t)
			prompts := synthPrompts(32, 1)
			var last Stats
			tr := &Trainer{
				Config: cfg, Policy: policy, Reward: FuncSource(synthReward), Prompts: prompts,
				StopTokens: []int32{synthStop}, Decode: synthDecode,
				Progress: func(s Stats) {
					last = s
					if testing.Verbose() && s.Iteration%10 == 0 {
						t.Log(s.Line())
					}
				},
			}
			if _, err := tr.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			t.Logf("last: %s", last.Line())
			if wrong := greedyMisses(t, policy, prompts); wrong > 0 {
				t.Errorf("%d of %d prompts get a non-optimal greedy response", wrong, len(prompts))
			}
		})
	}
}

// greedyMisses counts the prompts whose greedy response is not the target.
func greedyMisses(t *testing.T, policy *model.Model, prompts []Prompt) int {
	ids := make([][]int32, len(prompts))
	for i, p := range prompts {
		ids[i] = p.IDs
	}
	samples, err := policy.Generate(ids, model.SampleOptions{MaxNewTokens: 4, StopTokens: []int32{synthStop}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wrong := 0
	for i, s := range samples {
		if got := synthDecode(s.Tokens); got != "dh" {
			wrong++
			t.Logf("prompt %q: greedy response %q, want \"dh\"", prompts[i].Text, got)
		}
	}
	return wrong
}
