package ppo

import "math"

// GAE computes generalised advantage estimates (Schulman et al. 2016) for
// one response of n = len(rewards) tokens. values[t] is the value of the
// state before token t; the state after the last token is terminal (value
// 0). Going backwards,
//
//	δ_t = r_t + γ·V_{t+1} − V_t
//	A_t = δ_t + γ·λ·A_{t+1}
//
// and the returns, the value model's targets, are A_t + V_t. adv and ret
// must have n elements; they are overwritten.
func GAE(adv, ret, rewards, values []float32, gamma, lambda float64) {
	n := len(rewards)
	if len(values) != n || len(adv) != n || len(ret) != n {
		panic("ppo: GAE slices differ in length")
	}
	var last, next float64 // A_{t+1} and V_{t+1}
	for t := n - 1; t >= 0; t-- {
		v := float64(values[t])
		delta := float64(rewards[t]) + gamma*next - v
		last = delta + gamma*lambda*last
		adv[t] = float32(last)
		ret[t] = float32(last + v)
		next = v
	}
}

// meanVar returns the mean and the unbiased variance of the elements of
// rows (a ragged batch: every element counts once).
func meanVar(rows [][]float32) (mean, variance float64, n int) {
	var sum float64
	for _, r := range rows {
		for _, x := range r {
			sum += float64(x)
		}
		n += len(r)
	}
	if n == 0 {
		return 0, 0, 0
	}
	mean = sum / float64(n)
	var ss float64
	for _, r := range rows {
		for _, x := range r {
			d := float64(x) - mean
			ss += d * d
		}
	}
	if n > 1 {
		variance = ss / float64(n-1)
	}
	return mean, variance, n
}

// Whiten scales the elements of a ragged batch to unit variance over all
// of them, and with shiftMean to zero mean too: (x − μ)/√(σ² + 1e-8), plus μ
// back when shiftMean is false. The variance is the unbiased one, as in TRL.
// Padding never enters: rows hold only the tokens that count.
func Whiten(rows [][]float32, shiftMean bool) {
	mean, variance, n := meanVar(rows)
	if n == 0 {
		return
	}
	inv := 1 / math.Sqrt(variance+1e-8)
	for _, r := range rows {
		for i, x := range r {
			w := (float64(x) - mean) * inv
			if !shiftMean {
				w += mean
			}
			r[i] = float32(w)
		}
	}
}
