package tensor

import "math"

// RMSNormForward normalises each of the n rows of inp (n×c) by its root mean
// square and scales by weight, as Llama's RMSNorm does:
// out = x / sqrt(mean(x²) + eps) · w. There is no centring and no bias. rstd
// (length n) receives each row's 1/sqrt(mean(x²) + eps) for backward. out may
// alias inp.
//
// The sum of squares is accumulated in float32 in lanes, exactly as
// LayerNormForward accumulates its squared deviations (it is that kernel with
// the mean held at zero); only the square root is taken in float64. Hugging
// Face computes the same quantity in float32 and multiplies in the order
// (x·r)·w, which is the order used here.
func RMSNormForward(out, rstd, inp, weight []float32, n, c int, eps float32) {
	if n <= 0 || c <= 0 {
		return
	}
	_, _, _ = out[n*c-1], inp[n*c-1], rstd[n-1]
	weight = weight[:c]
	parallelRows(n, c, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			x := inp[i*c : (i+1)*c]
			ms := sumSqDev(x, 0) / float32(c)
			r := float32(1 / math.Sqrt(float64(ms)+float64(eps)))
			rmsScale(out[i*c:(i+1)*c], x, weight, r)
			rstd[i] = r
		}
	})
}

// RMSNormBackward accumulates into dinp and dweight the gradients of
// RMSNormForward given dout. With u = x·r and g = dout, the input gradient of
// a row is (w·g − u·mean(w·g·u))·r.
//
// As in LayerNormBackward, each worker sums its rows' contributions to
// dweight in a private buffer and the buffers are added in worker order, so
// the result depends only on the thread count.
func RMSNormBackward(dinp, dweight, dout, inp, weight, rstd []float32, n, c int) {
	if n <= 0 || c <= 0 {
		return
	}
	_, _, _ = dinp[n*c-1], dout[n*c-1], inp[n*c-1]
	_ = rstd[n-1]
	weight, dweight = weight[:c], dweight[:c]
	w := workersFor(n, c)
	buf := getRowBuf(c * w)
	part := *buf
	clear(part)
	ParallelFor(w, func(wlo, whi int) {
		for wi := wlo; wi < whi; wi++ {
			dw := part[c*wi : c*(wi+1)]
			for i := wi * n / w; i < (wi+1)*n/w; i++ {
				x := inp[i*c : (i+1)*c]
				g := dout[i*c : (i+1)*c]
				r := rstd[i]
				// The layernorm sums with the mean held at zero give
				// b = Σ w·g·x (their other sum, Σ w·g, is not needed).
				_, b := lnBackSums(g, weight, x, 0)
				c2 := b * r / float32(c) // mean of w·g·u
				rmsBackApply(dinp[i*c:(i+1)*c], dw, g, x, weight, r, c2)
			}
		}
	})
	for wi := 0; wi < w; wi++ {
		axpy(1, part[c*wi:c*(wi+1)], dweight)
	}
	putRowBuf(buf)
}

// rmsScaleGo writes out[i] = x[i]·r·w[i]; out may alias x.
func rmsScaleGo(out, x, w []float32, r float32) {
	out, w = out[:len(x)], w[:len(x)]
	for i, v := range x {
		out[i] = v * r * w[i]
	}
}

// rmsBackApplyGo, with u = x[i]·r, adds u·g[i] to dw[i] and
// (w[i]·g[i] − u·c2)·r to dinp[i].
func rmsBackApplyGo(dinp, dw, g, x, w []float32, r, c2 float32) {
	n := len(x)
	dinp, dw, g, w = dinp[:n], dw[:n], g[:n], w[:n]
	for i, v := range x {
		u := v * r
		dw[i] += u * g[i]
		dinp[i] += (w[i]*g[i] - u*c2) * r
	}
}
