package tensor

import "math"

// LayerNormEps is GPT-2's layernorm epsilon.
const LayerNormEps = 1e-5

// LayerNormForward normalises each of the n rows of inp (n×c) and applies the
// affine weight and bias. mean and rstd (length n) are kept for backward.
func LayerNormForward(out, mean, rstd, inp, weight, bias []float32, n, c int) {
	if n <= 0 || c <= 0 {
		return
	}
	_, _, _ = out[n*c-1], inp[n*c-1], mean[n-1]
	_, _, _ = rstd[n-1], weight[c-1], bias[c-1]
	weight, bias = weight[:c], bias[:c]
	parallelRows(n, c, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			x := inp[i*c : (i+1)*c]
			m := sum(x) / float32(c)
			v := sumSqDev(x, m) / float32(c)
			r := float32(1 / math.Sqrt(float64(v)+LayerNormEps))
			lnAffine(out[i*c:(i+1)*c], x, weight, bias, m, r)
			mean[i], rstd[i] = m, r
		}
	})
}

// LayerNormBackward accumulates into dinp, dweight and dbias the gradients of
// LayerNormForward given dout.
//
// Each worker sums its rows' contributions to dweight and dbias in a private
// buffer; the buffers are then added in worker order, so the result depends
// only on the thread count.
func LayerNormBackward(dinp, dweight, dbias, dout, inp, weight, mean, rstd []float32, n, c int) {
	if n <= 0 || c <= 0 {
		return
	}
	_, _, _ = dinp[n*c-1], dout[n*c-1], inp[n*c-1]
	_, _ = mean[n-1], rstd[n-1]
	weight, dweight, dbias = weight[:c], dweight[:c], dbias[:c]
	w := workersFor(n, c)
	buf := getRowBuf(2 * c * w)
	part := *buf
	clear(part)
	ParallelFor(w, func(wlo, whi int) {
		for wi := wlo; wi < whi; wi++ {
			dw := part[2*c*wi : 2*c*wi+c]
			db := part[2*c*wi+c : 2*c*(wi+1)]
			for i := wi * n / w; i < (wi+1)*n/w; i++ {
				x := inp[i*c : (i+1)*c]
				g := dout[i*c : (i+1)*c]
				m, r := mean[i], rstd[i]
				a, b := lnBackSums(g, weight, x, m)
				c1 := a / float32(c)     // mean of w·g
				c2 := b * r / float32(c) // mean of w·g·norm
				lnBackApply(dinp[i*c:(i+1)*c], dw, db, g, x, weight, m, r, c1, c2)
			}
		}
	})
	for wi := 0; wi < w; wi++ {
		axpy(1, part[2*c*wi:2*c*wi+c], dweight)
		axpy(1, part[2*c*wi+c:2*c*(wi+1)], dbias)
	}
	putRowBuf(buf)
}

// rowGrain is roughly the number of elements below which a row kernel runs
// on the caller alone rather than waking the pool.
const rowGrain = 1 << 13

// workersFor returns how many workers to give n rows of c elements.
func workersFor(n, c int) int {
	w := min(Threads(), n)
	if n*c < 2*rowGrain {
		w = 1
	}
	return max(w, 1)
}

// parallelRows runs fn over the rows [0, n) split across the workers, or on
// the caller alone when the n rows of c elements are little work.
func parallelRows(n, c int, fn func(lo, hi int)) {
	if workersFor(n, c) == 1 {
		fn(0, n)
		return
	}
	ParallelFor(n, fn)
}

// sumSqDevGo returns Σ (x[i] − m)².
func sumSqDevGo(x []float32, m float32) float32 {
	var s0, s1 float32
	i := 0
	for ; i+2 <= len(x); i += 2 {
		d0, d1 := x[i]-m, x[i+1]-m
		s0 += d0 * d0
		s1 += d1 * d1
	}
	if i < len(x) {
		d := x[i] - m
		s0 += d * d
	}
	return s0 + s1
}

// lnAffineGo writes out[i] = (x[i] − m)·r·w[i] + b[i].
func lnAffineGo(out, x, w, b []float32, m, r float32) {
	out, w, b = out[:len(x)], w[:len(x)], b[:len(x)]
	for i, v := range x {
		out[i] = (v-m)*r*w[i] + b[i]
	}
}

// lnBackSumsGo returns a = Σ w[i]·g[i] and b = Σ w[i]·g[i]·(x[i] − m).
func lnBackSumsGo(g, w, x []float32, m float32) (a, b float32) {
	g, w = g[:len(x)], w[:len(x)]
	for i, v := range x {
		wg := w[i] * g[i]
		a += wg
		b += wg * (v - m)
	}
	return a, b
}

// lnBackApplyGo, with u = (x[i] − m)·r, adds g[i] to db[i], u·g[i] to dw[i]
// and (w[i]·g[i] − c1 − u·c2)·r to dinp[i].
func lnBackApplyGo(dinp, dw, db, g, x, w []float32, m, r, c1, c2 float32) {
	n := len(x)
	dinp, dw, db, g, w = dinp[:n], dw[:n], db[:n], g[:n], w[:n]
	for i, v := range x {
		u := (v - m) * r
		db[i] += g[i]
		dw[i] += u * g[i]
		dinp[i] += (w[i]*g[i] - c1 - u*c2) * r
	}
}
