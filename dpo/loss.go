package dpo

import "math"

// Loss returns the loss of one pair and its derivative with respect to h,
// the implicit-reward difference
//
//	h = β·[(log π(c) − log π_ref(c)) − (log π(r) − log π_ref(r))]
//
// of the chosen response c over the rejected r. eps is the label flip rate
// ε and target the probability that c is better (1 − ε, or the record's
// soft label; only the conservative loss reads it). With σ the logistic
// function and ℓ(x) = −log σ(x):
//
//	sigmoid       ℓ(h)                                  dℓ/dh = −σ(−h)
//	conservative  q·ℓ(h) + (1−q)·ℓ(−h), q = target      = σ(h) − q
//	robust        [(1−ε)·ℓ(h) − ε·ℓ(−h)] / (1 − 2ε)     = [−(1−ε)·σ(−h) − ε·σ(h)] / (1 − 2ε)
//	ipo           (h/β − 1/(2β))²                       = 2·(h/β − 1/(2β))/β
//
// IPO regresses the unscaled log-ratio difference h/β onto 1/(2β) (Azar et
// al.'s τ is our β). The robust loss is unbiased: its expectation under
// labels flipped at rate ε is the sigmoid loss of the true labels.
func Loss(kind LossKind, h, beta, eps, target float64) (loss, dh float64) {
	switch kind {
	case IPO:
		d := h/beta - 1/(2*beta)
		return d * d, 2 * d / beta
	case Conservative:
		return target*logSigmoidNeg(h) + (1-target)*logSigmoidNeg(-h), sigmoid(h) - target
	case Robust:
		k := 1 / (1 - 2*eps)
		return k * ((1-eps)*logSigmoidNeg(h) - eps*logSigmoidNeg(-h)), k * (-(1-eps)*sigmoid(-h) - eps*sigmoid(h))
	}
	return logSigmoidNeg(h), -sigmoid(-h)
}

// sigmoid is 1/(1 + e^−x), computed without overflow for large |x|.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// logSigmoidNeg is −log σ(x) = log(1 + e^−x), exact for large |x| where the
// naive form overflows or rounds to zero.
func logSigmoidNeg(x float64) float64 {
	if x >= 0 {
		return math.Log1p(math.Exp(-x))
	}
	return -x + math.Log1p(math.Exp(x))
}

// pairTerms is what the loss of a pair needs besides the policy: the
// reference's log-probabilities and the label.
type pairTerms struct {
	refC, refR float64 // reference log-prob sums of the chosen and rejected responses
	target     float64 // the probability that chosen is better (conservative loss)
}

// pairLoss evaluates the configured loss of one pair from the policy's
// per-token log-probabilities of the chosen (lc) and rejected (lr)
// responses. It returns the loss, h, and the derivative of the loss with
// respect to each token's log-probability: every chosen token gets dc and
// every rejected one dr, because log π of a response is the sum (or, with
// LengthNormalize, the mean) of its tokens' log-probabilities.
func (c Config) pairLoss(lc, lr []float64, t pairTerms) (loss, h, dc, dr float64) {
	pc, pr := sum(lc), sum(lr)
	rc, rr := t.refC, t.refR
	nc, nr := 1.0, 1.0
	if c.LengthNormalize {
		nc, nr = float64(max(len(lc), 1)), float64(max(len(lr), 1))
	}
	h = c.Beta * ((pc-rc)/nc - (pr-rr)/nr)
	loss, dh := Loss(c.Loss, h, c.Beta, c.LabelFlipRate, t.target)
	return loss, h, c.Beta * dh / nc, -c.Beta * dh / nr
}

// target is the probability that the chosen response of a record is the
// better one, as the conservative loss reads it.
func (c Config) target(pChosen *float64) float64 {
	if c.UseSoftLabels && pChosen != nil {
		return *pChosen
	}
	return 1 - c.LabelFlipRate
}

func sum(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}
