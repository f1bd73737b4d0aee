//go:build !amd64 || noasm

package tensor

// Without assembly every dispatcher runs its pure-Go twin.

func dot(x, y []float32) float32              { return dotGo(x, y) }
func axpy(alpha float32, x, y []float32)      { axpyGo(alpha, x, y) }
func scale(alpha float32, x []float32)        { scaleGo(alpha, x) }
func sum(x []float32) float32                 { return sumGo(x) }
func maxf(x []float32) float32                { return maxGo(x) }
func gelu(out, x []float32)                   { geluGo(out, x) }
func geluBack(dinp, x, dout []float32)        { geluBackGo(dinp, x, dout) }
func sumSqDev(x []float32, m float32) float32 { return sumSqDevGo(x, m) }

func expSum(dst, x []float32, a, b float32) float32 { return expSumGo(dst, x, a, b) }

func vecMat(y, x, b []float32, k, n, ldb int, acc bool) { vecMatGo(y, x, b, k, n, ldb, acc) }

func lnAffine(out, x, w, b []float32, m, r float32) { lnAffineGo(out, x, w, b, m, r) }

func lnBackSums(g, w, x []float32, m float32) (a, b float32) { return lnBackSumsGo(g, w, x, m) }

func lnBackApply(dinp, dw, db, g, x, w []float32, m, r, c1, c2 float32) {
	lnBackApplyGo(dinp, dw, db, g, x, w, m, r, c1, c2)
}

func adamW(params, grads, m, v []float32, lr, beta1, beta2, ibc1, ibc2, eps, wd float32) {
	adamWGo(params, grads, m, v, lr, beta1, beta2, ibc1, ibc2, eps, wd)
}

func vecMat2(y0, y1, x0, x1, b []float32, k, n, ldb int, acc bool) {
	vecMatGo(y0, x0, b, k, n, ldb, acc)
	vecMatGo(y1, x1, b, k, n, ldb, acc)
}

func gather(dst, src []float32, n, stride int) { gatherGo(dst, src, n, stride) }

func rmsScale(out, x, w []float32, r float32) { rmsScaleGo(out, x, w, r) }

func rmsBackApply(dinp, dw, g, x, w []float32, r, c2 float32) {
	rmsBackApplyGo(dinp, dw, g, x, w, r, c2)
}

func rope(out, x, cos, sin []float32, nh int, sgn float32) { ropeGo(out, x, cos, sin, nh, sgn) }

func swiglu(out, gate, up []float32) { swigluGo(out, gate, up) }

func swigluBack(dgate, dup, dout, gate, up []float32) { swigluBackGo(dgate, dup, dout, gate, up) }
