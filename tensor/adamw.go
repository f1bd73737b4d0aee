package tensor

import "math"

// AdamW applies one AdamW step (decoupled weight decay, bias-corrected
// moments) to params given grads; m and v are the first and second moments.
// step counts from 1.
func AdamW(params, grads, m, v []float32, step int, lr, beta1, beta2, eps, weightDecay float32) {
	bc1 := 1 - float32(math.Pow(float64(beta1), float64(step)))
	bc2 := 1 - float32(math.Pow(float64(beta2), float64(step)))
	for i, g := range grads {
		mi := beta1*m[i] + (1-beta1)*g
		vi := beta2*v[i] + (1-beta2)*g*g
		m[i], v[i] = mi, vi
		mhat := mi / bc1
		vhat := vi / bc2
		params[i] -= lr * (mhat/(float32(math.Sqrt(float64(vhat)))+eps) + weightDecay*params[i])
	}
}

// GradNorm returns the L2 norm of g, accumulated in float64.
func GradNorm(g []float32) float64 {
	var s float64
	for _, x := range g {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// ClipGradNorm scales g so its L2 norm is at most maxNorm and returns the
// norm before clipping.
func ClipGradNorm(g []float32, maxNorm float64) float64 {
	n := GradNorm(g)
	if maxNorm > 0 && n > maxNorm {
		Scale(float32(maxNorm/n), g)
	}
	return n
}
