package tensor

import (
	"math"
	"sync"
)

// adamGrain is the smallest chunk of parameters worth a worker.
const adamGrain = 1 << 15

// AdamW applies one AdamW step (decoupled weight decay, bias-corrected
// moments) to params given grads; m and v are the first and second moments.
// step counts from 1.
func AdamW(params, grads, m, v []float32, step int, lr, beta1, beta2, eps, weightDecay float32) {
	n := len(grads)
	params, m, v = params[:n], m[:n], v[:n]
	bc1 := 1 - float32(math.Pow(float64(beta1), float64(step)))
	bc2 := 1 - float32(math.Pow(float64(beta2), float64(step)))
	parallelElems(n, adamGrain, func(lo, hi int) {
		adamW(params[lo:hi], grads[lo:hi], m[lo:hi], v[lo:hi], lr, beta1, beta2, 1/bc1, 1/bc2, eps, weightDecay)
	})
}

// adamWGo is AdamW on one chunk, with ibc1 and ibc2 the reciprocals of the
// bias corrections: m = β₁m + (1−β₁)g, v = β₂v + (1−β₂)g²,
// p −= lr·(m·ibc1/(√(v·ibc2) + eps) + wd·p).
func adamWGo(params, grads, m, v []float32, lr, beta1, beta2, ibc1, ibc2, eps, wd float32) {
	n := len(grads)
	params, m, v = params[:n], m[:n], v[:n]
	for i, g := range grads {
		mi := beta1*m[i] + (1-beta1)*g
		vi := beta2*v[i] + (1-beta2)*(g*g)
		m[i], v[i] = mi, vi
		mhat := mi * ibc1
		vhat := vi * ibc2
		params[i] -= lr * (mhat/(float32(math.Sqrt(float64(vhat)))+eps) + wd*params[i])
	}
}

// normBlock is the block of elements GradNorm sums in float32 before adding
// the block's sum into float64: blocks are fixed, so the result does not
// depend on the thread count.
const normBlock = 4096

var normPartials sync.Pool

// GradNorm returns the L2 norm of g. Blocks of normBlock elements are summed
// in float32, the block sums in float64 in order, so the result is the same
// for every thread count.
func GradNorm(g []float32) float64 {
	nb := (len(g) + normBlock - 1) / normBlock
	if nb == 0 {
		return 0
	}
	var part []float64
	pp, _ := normPartials.Get().(*[]float64)
	if pp != nil && cap(*pp) >= nb {
		part = (*pp)[:nb]
	} else {
		part = make([]float64, nb)
		pp = &part
	}
	parallelElems(nb, adamGrain/normBlock, func(lo, hi int) {
		for bi := lo; bi < hi; bi++ {
			x := g[bi*normBlock : min((bi+1)*normBlock, len(g))]
			part[bi] = float64(dot(x, x))
		}
	})
	var s float64
	for _, p := range part {
		s += p
	}
	*pp = part
	normPartials.Put(pp)
	return math.Sqrt(s)
}

// ClipGradNorm scales g so its L2 norm is at most maxNorm and returns the
// norm before clipping.
func ClipGradNorm(g []float32, maxNorm float64) float64 {
	n := GradNorm(g)
	if maxNorm > 0 && n > maxNorm {
		f := float32(maxNorm / n)
		parallelElems(len(g), adamGrain, func(lo, hi int) {
			scale(f, g[lo:hi])
		})
	}
	return n
}
