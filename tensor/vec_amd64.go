//go:build amd64 && !noasm

package tensor

// Assembly kernels in vec_amd64.s. The AVX512 ones take any n ≥ 1; the AVX2
// ones marked so need n to be a multiple of 8 and leave the tail to Go.

//go:noescape
func dotAVX512(x, y *float32, n int) float32

//go:noescape
func dotAVX2(x, y *float32, n int) float32

//go:noescape
func axpyAVX512(alpha float32, x, y *float32, n int)

//go:noescape
func axpyAVX2(alpha float32, x, y *float32, n int)

//go:noescape
func scaleAVX512(alpha float32, x *float32, n int)

//go:noescape
func scaleAVX2(alpha float32, x *float32, n int)

//go:noescape
func sumAVX512(x *float32, n int) float32

//go:noescape
func sumAVX2(x *float32, n int) float32

//go:noescape
func maxAVX512(x *float32, n int) float32

//go:noescape
func maxAVX2(x *float32, n int) float32

//go:noescape
func expSumAVX512(dst, x *float32, n int, a, b float32) float32

// n a multiple of 8.
//
//go:noescape
func expSumAVX2(dst, x *float32, n int, a, b float32) float32

//go:noescape
func vecMatAVX512(y, x, b *float32, k, n, ldb, acc int)

// n a multiple of 8.
//
//go:noescape
func vecMatAVX2(y, x, b *float32, k, n, ldb, acc int)

//go:noescape
func geluAVX512(out, x *float32, n int)

//go:noescape
func geluBackAVX512(dinp, x, dout *float32, n int)

//go:noescape
func sumSqDevAVX512(x *float32, n int, m float32) float32

//go:noescape
func lnAffineAVX512(out, x, w, b *float32, n int, m, r float32)

//go:noescape
func lnBackSumsAVX512(dy, w, x *float32, n int, m float32) (a, b float32)

//go:noescape
func lnBackApplyAVX512(dinp, dw, db, dy, x, w *float32, n int, m, r, c1, c2 float32)

// The dispatchers below take non-empty slices whose lengths the exported
// callers have already checked.

func dot(x, y []float32) float32 {
	switch {
	case useAVX512:
		return dotAVX512(&x[0], &y[0], len(x))
	case useAVX2:
		return dotAVX2(&x[0], &y[0], len(x))
	}
	return dotGo(x, y)
}

func axpy(alpha float32, x, y []float32) {
	switch {
	case useAVX512:
		axpyAVX512(alpha, &x[0], &y[0], len(x))
	case useAVX2:
		axpyAVX2(alpha, &x[0], &y[0], len(x))
	default:
		axpyGo(alpha, x, y)
	}
}

func scale(alpha float32, x []float32) {
	switch {
	case useAVX512:
		scaleAVX512(alpha, &x[0], len(x))
	case useAVX2:
		scaleAVX2(alpha, &x[0], len(x))
	default:
		scaleGo(alpha, x)
	}
}

func sum(x []float32) float32 {
	switch {
	case useAVX512:
		return sumAVX512(&x[0], len(x))
	case useAVX2:
		return sumAVX2(&x[0], len(x))
	}
	return sumGo(x)
}

func maxf(x []float32) float32 {
	switch {
	case useAVX512:
		return maxAVX512(&x[0], len(x))
	case useAVX2:
		return maxAVX2(&x[0], len(x))
	}
	return maxGo(x)
}

func expSum(dst, x []float32, a, b float32) float32 {
	switch {
	case useAVX512:
		return expSumAVX512(&dst[0], &x[0], len(x), a, b)
	case useAVX2:
		n := len(x) &^ 7
		var s float32
		if n > 0 {
			s = expSumAVX2(&dst[0], &x[0], n, a, b)
		}
		if n < len(x) {
			s += expSumGo(dst[n:], x[n:], a, b)
		}
		return s
	}
	return expSumGo(dst, x, a, b)
}

func vecMat(y, x, b []float32, k, n, ldb int, acc bool) {
	ac := 0
	if acc {
		ac = 1
	}
	switch {
	case useAVX512:
		vecMatAVX512(&y[0], &x[0], &b[0], k, n, ldb, ac)
		return
	case useAVX2:
		n8 := n &^ 7
		if n8 > 0 {
			vecMatAVX2(&y[0], &x[0], &b[0], k, n8, ldb, ac)
		}
		if n8 < n {
			vecMatGo(y[n8:], x, b[n8:], k, n-n8, ldb, acc)
		}
		return
	}
	vecMatGo(y, x, b, k, n, ldb, acc)
}

func gelu(out, x []float32) {
	if useAVX512 {
		geluAVX512(&out[0], &x[0], len(x))
		return
	}
	geluGo(out, x)
}

func geluBack(dinp, x, dout []float32) {
	if useAVX512 {
		geluBackAVX512(&dinp[0], &x[0], &dout[0], len(x))
		return
	}
	geluBackGo(dinp, x, dout)
}

func sumSqDev(x []float32, m float32) float32 {
	if useAVX512 {
		return sumSqDevAVX512(&x[0], len(x), m)
	}
	return sumSqDevGo(x, m)
}

func lnAffine(out, x, w, b []float32, m, r float32) {
	if useAVX512 {
		lnAffineAVX512(&out[0], &x[0], &w[0], &b[0], len(x), m, r)
		return
	}
	lnAffineGo(out, x, w, b, m, r)
}

func lnBackSums(g, w, x []float32, m float32) (a, b float32) {
	if useAVX512 {
		return lnBackSumsAVX512(&g[0], &w[0], &x[0], len(x), m)
	}
	return lnBackSumsGo(g, w, x, m)
}

func lnBackApply(dinp, dw, db, g, x, w []float32, m, r, c1, c2 float32) {
	if useAVX512 {
		lnBackApplyAVX512(&dinp[0], &dw[0], &db[0], &g[0], &x[0], &w[0], len(x), m, r, c1, c2)
		return
	}
	lnBackApplyGo(dinp, dw, db, g, x, w, m, r, c1, c2)
}

//go:noescape
func adamWAVX512(p, grad, m, v *float32, n int, lr, b1, b2, ibc1, ibc2, eps, wd float32)

func adamW(params, grads, m, v []float32, lr, beta1, beta2, ibc1, ibc2, eps, wd float32) {
	if useAVX512 {
		adamWAVX512(&params[0], &grads[0], &m[0], &v[0], len(grads), lr, beta1, beta2, ibc1, ibc2, eps, wd)
		return
	}
	adamWGo(params, grads, m, v, lr, beta1, beta2, ibc1, ibc2, eps, wd)
}

//go:noescape
func vecMat2AVX512(y0, y1, x0, x1, b *float32, k, n, ldb, acc int)

func vecMat2(y0, y1, x0, x1, b []float32, k, n, ldb int, acc bool) {
	if useAVX512 {
		ac := 0
		if acc {
			ac = 1
		}
		vecMat2AVX512(&y0[0], &y1[0], &x0[0], &x1[0], &b[0], k, n, ldb, ac)
		return
	}
	vecMat(y0, x0, b, k, n, ldb, acc)
	vecMat(y1, x1, b, k, n, ldb, acc)
}

//go:noescape
func gatherAVX512(dst, src *float32, n, stride int)

func gather(dst, src []float32, n, stride int) {
	if useAVX512 && 16*stride < 1<<31 {
		gatherAVX512(&dst[0], &src[0], n, stride)
		return
	}
	gatherGo(dst, src, n, stride)
}

// Llama row kernels: llama_amd64.s (AVX-512, any n) and llama_avx2_amd64.s
// (AVX2, n a multiple of 8, the tail left to Go).

//go:noescape
func rmsScaleAVX512(out, x, w *float32, n int, r float32)

//go:noescape
func rmsScaleAVX2(out, x, w *float32, n int, r float32)

//go:noescape
func rmsBackApplyAVX512(dinp, dw, dy, x, w *float32, n int, r, c2 float32)

//go:noescape
func rmsBackApplyAVX2(dinp, dw, dy, x, w *float32, n int, r, c2 float32)

//go:noescape
func ropeAVX512(out, x, cos, sin *float32, nh, h int, sgn float32)

// h a multiple of 8.
//
//go:noescape
func ropeAVX2(out, x, cos, sin *float32, nh, h int, sgn float32)

//go:noescape
func swigluAVX512(out, gate, up *float32, n int)

//go:noescape
func swigluAVX2(out, gate, up *float32, n int)

//go:noescape
func swigluBackAVX512(dgate, dup, dout, gate, up *float32, n int)

//go:noescape
func swigluBackAVX2(dgate, dup, dout, gate, up *float32, n int)

func rmsScale(out, x, w []float32, r float32) {
	switch {
	case useAVX512:
		rmsScaleAVX512(&out[0], &x[0], &w[0], len(x), r)
		return
	case useAVX2:
		n := len(x) &^ 7
		if n > 0 {
			rmsScaleAVX2(&out[0], &x[0], &w[0], n, r)
		}
		out, x, w = out[n:], x[n:], w[n:]
	}
	rmsScaleGo(out, x, w, r)
}

func rmsBackApply(dinp, dw, g, x, w []float32, r, c2 float32) {
	switch {
	case useAVX512:
		rmsBackApplyAVX512(&dinp[0], &dw[0], &g[0], &x[0], &w[0], len(x), r, c2)
		return
	case useAVX2:
		n := len(x) &^ 7
		if n > 0 {
			rmsBackApplyAVX2(&dinp[0], &dw[0], &g[0], &x[0], &w[0], n, r, c2)
		}
		dinp, dw, g, x, w = dinp[n:], dw[n:], g[n:], x[n:], w[n:]
	}
	rmsBackApplyGo(dinp, dw, g, x, w, r, c2)
}

func rope(out, x, cos, sin []float32, nh int, sgn float32) {
	h := len(cos)
	switch {
	case useAVX512:
		_, _, _ = out[2*h*nh-1], x[2*h*nh-1], sin[h-1]
		ropeAVX512(&out[0], &x[0], &cos[0], &sin[0], nh, h, sgn)
		return
	case useAVX2 && h%8 == 0:
		_, _, _ = out[2*h*nh-1], x[2*h*nh-1], sin[h-1]
		ropeAVX2(&out[0], &x[0], &cos[0], &sin[0], nh, h, sgn)
		return
	}
	ropeGo(out, x, cos, sin, nh, sgn)
}

func swiglu(out, gate, up []float32) {
	switch {
	case useAVX512:
		swigluAVX512(&out[0], &gate[0], &up[0], len(gate))
		return
	case useAVX2:
		n := len(gate) &^ 7
		if n > 0 {
			swigluAVX2(&out[0], &gate[0], &up[0], n)
		}
		out, gate, up = out[n:], gate[n:], up[n:]
	}
	swigluGo(out, gate, up)
}

func swigluBack(dgate, dup, dout, gate, up []float32) {
	switch {
	case useAVX512:
		swigluBackAVX512(&dgate[0], &dup[0], &dout[0], &gate[0], &up[0], len(gate))
		return
	case useAVX2:
		n := len(gate) &^ 7
		if n > 0 {
			swigluBackAVX2(&dgate[0], &dup[0], &dout[0], &gate[0], &up[0], n)
		}
		dgate, dup, dout, gate, up = dgate[n:], dup[n:], dout[n:], gate[n:], up[n:]
	}
	swigluBackGo(dgate, dup, dout, gate, up)
}
