package ppo

import (
	"fmt"
	"math"
)

// KLEstimator names a per-token estimator of KL(π ‖ π_ref) from the
// log-probabilities of the sampled token (Schulman, "Approximating KL
// divergence"). With log r = log π_ref(x) − log π(x) and x ~ π:
//
//	k1 = −log r             unbiased, can be negative for single tokens
//	k2 = (log r)² / 2        biased, always ≥ 0
//	k3 = (r − 1) − log r     unbiased and always ≥ 0, lower variance near π_ref
type KLEstimator string

// The KL estimators.
const (
	K1 KLEstimator = "k1"
	K2 KLEstimator = "k2"
	K3 KLEstimator = "k3"
)

func (k KLEstimator) valid() bool { return k == K1 || k == K2 || k == K3 }

// Estimate returns the estimator's value for one token with log-probability
// logp under the policy and refLogp under the reference.
func (k KLEstimator) Estimate(logp, refLogp float64) float64 {
	logr := refLogp - logp
	switch k {
	case K2:
		return 0.5 * logr * logr
	case K3:
		return math.Expm1(logr) - logr
	}
	return -logr
}

// Grad returns the derivative of Estimate with respect to logp: what the
// estimator contributes to the gradient when it is a loss term (kl_in_loss).
func (k KLEstimator) Grad(logp, refLogp float64) float64 {
	logr := refLogp - logp
	switch k {
	case K2:
		return -logr
	case K3:
		return -math.Expm1(logr)
	}
	return 1
}

// UnmarshalText accepts "k1", "k2" or "k3" (any case).
func (k *KLEstimator) UnmarshalText(b []byte) error {
	v := KLEstimator(b)
	switch v {
	case "K1", "K2", "K3":
		v = KLEstimator("k" + string(b[1:]))
	}
	if !v.valid() {
		return fmt.Errorf("kl estimator %q: want k1, k2 or k3", b)
	}
	*k = v
	return nil
}

// KLController holds β, the coefficient of the KL penalty in the reward.
// Fixed (Adaptive false) it never changes. Adaptive, it follows Ziegler et
// al. (2019): after each batch, with the batch's mean KL per sequence,
//
//	e = clip(KL/Target − 1, −0.2, 0.2)
//	β ← β · (1 + e · n/Horizon)
//
// where n is the number of responses in the batch, so β moves by at most
// 20% over Horizon responses, up when the policy drifts beyond the target
// and down when it stays closer.
type KLController struct {
	Beta     float64 `json:"beta"`
	Adaptive bool    `json:"adaptive"`
	Target   float64 `json:"target"`
	Horizon  float64 `json:"horizon"`
}

// NewKLController returns the controller the config describes.
func NewKLController(c Config) KLController {
	return KLController{Beta: c.KLCoef, Adaptive: c.AdaptiveKL, Target: c.TargetKL, Horizon: c.KLHorizon}
}

// Update adjusts β after a batch of n responses whose mean KL per sequence
// was kl.
func (c *KLController) Update(kl float64, n int) {
	if !c.Adaptive || math.IsNaN(kl) {
		return
	}
	e := min(max(kl/c.Target-1, -0.2), 0.2)
	c.Beta *= 1 + e*float64(n)/c.Horizon
}

// Lagrangian is the multiplier λ of a cost constraint E[cost] ≤ Limit, in
// the manner of Safe-RLHF: the policy maximises (r − λ·c)/(1 + λ), and λ
// takes a projected gradient-ascent step on the constraint after each batch,
//
//	λ ← clip(λ + LR · (mean cost − Limit), 0, Max)
//
// so it grows while the policy violates the limit and decays back to 0 once
// it satisfies it with room to spare. Safe-RLHF updates log λ with Adam and
// learns the cost with a second critic; here one critic learns the combined
// return and λ moves linearly, which keeps the update readable and λ able to
// reach exactly 0.
type Lagrangian struct {
	Lambda float64 `json:"lambda"`
	Limit  float64 `json:"limit"`
	LR     float64 `json:"lr"`
	Max    float64 `json:"max"` // 0 = unbounded
}

// Combine returns the score the policy maximises for reward r and cost c.
func (l Lagrangian) Combine(r, c float64) float64 {
	return (r - l.Lambda*c) / (1 + l.Lambda)
}

// Update moves λ after a batch whose mean cost was cost.
func (l *Lagrangian) Update(cost float64) {
	if math.IsNaN(cost) {
		return
	}
	l.Lambda = max(0, l.Lambda+l.LR*(cost-l.Limit))
	if l.Max > 0 {
		l.Lambda = min(l.Lambda, l.Max)
	}
}
