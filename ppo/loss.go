package ppo

import "math"

// PolicyLoss is the clipped surrogate of one token (before the mean over
// tokens): with ratio ρ = exp(logp − oldLogp) and advantage A,
//
//	loss = max(−A·ρ, −A·clip(ρ, 1−ε, 1+ε))
//
// It returns the loss, its derivative with respect to logp, and whether the
// clipped term was taken (then the gradient is zero: the update has moved ρ
// far enough in the direction A favours).
func PolicyLoss(logp, oldLogp, adv, eps float64) (loss, dlogp float64, clipped bool) {
	return ClippedLoss(logp, oldLogp, adv, eps, eps)
}

// ClippedLoss is PolicyLoss with separate bounds: ρ is clipped to
// [1−epsLow, 1+epsHigh]. A larger upper bound (DAPO's clip-higher) lets the
// probability of a rare token that earned a positive advantage grow further
// in one update, which keeps the entropy from collapsing.
func ClippedLoss(logp, oldLogp, adv, epsLow, epsHigh float64) (loss, dlogp float64, clipped bool) {
	ratio := math.Exp(logp - oldLogp)
	l1 := -adv * ratio
	l2 := -adv * min(max(ratio, 1-epsLow), 1+epsHigh)
	if l2 > l1 {
		return l2, 0, true
	}
	return l1, l1, false // d(−A·ρ)/d logp = −A·ρ
}

// ValueLoss is the clipped value loss of one token (before the mean over
// tokens and the coefficient): with the new value v, the rollout's value
// old and the return ret,
//
//	loss = ½ · max((v − ret)², (old + clip(v − old, −c, c) − ret)²)
//
// It returns the loss, its derivative with respect to v, and whether the
// clipped term was the larger. c = 0 turns clipping off (plain ½(v − ret)²).
func ValueLoss(v, old, ret, c float64) (loss, dv float64, clipped bool) {
	d1 := v - ret
	l1 := d1 * d1
	if c <= 0 {
		return 0.5 * l1, d1, false
	}
	delta := v - old
	vc := old + min(max(delta, -c), c)
	d2 := vc - ret
	l2 := d2 * d2
	if l2 > l1 {
		if delta < -c || delta > c {
			return 0.5 * l2, 0, true // the clipped value does not move with v
		}
		return 0.5 * l2, d2, true
	}
	return 0.5 * l1, d1, false
}

// tokenLoss is one token's share of the policy objective before its
// weight: the clipped surrogate and, with kl_in_loss, β times the KL
// estimate to the reference (GRPO's penalty, at the current log-prob). It
// returns both terms and the derivative of their sum with respect to logp.
func (c Config) tokenLoss(logp, oldLogp, refLogp, adv, beta float64) (surr, kl, dlogp float64, clipped bool) {
	surr, dlogp, clipped = ClippedLoss(logp, oldLogp, adv, c.ClipRange, c.clipHigh())
	if c.KLInLoss {
		kl = beta * c.KLEstimator.Estimate(logp, refLogp)
		dlogp += beta * c.KLEstimator.Grad(logp, refLogp)
	}
	return surr, kl, dlogp, clipped
}

// tokenWeight is the weight of each token of a response of n tokens in the
// policy objective of a minibatch of B responses and N tokens: 1/N for
// loss_norm token, 1/(B·n) for sequence.
func (c Config) tokenWeight(n, B, N int) float64 {
	if c.LossNorm == SequenceMean {
		return 1 / (float64(B) * float64(n))
	}
	return 1 / float64(N)
}
