package tensor

import "math"

// LayerNormEps is GPT-2's layernorm epsilon.
const LayerNormEps = 1e-5

// LayerNormForward normalises each of the n rows of inp (n×c) and applies the
// affine weight and bias. mean and rstd (length n) are kept for backward.
func LayerNormForward(out, mean, rstd, inp, weight, bias []float32, n, c int) {
	ParallelFor(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			x := inp[i*c : (i+1)*c]
			var m float32
			for _, v := range x {
				m += v
			}
			m /= float32(c)
			var s float32
			for _, v := range x {
				d := v - m
				s += d * d
			}
			s /= float32(c)
			r := float32(1 / math.Sqrt(float64(s)+LayerNormEps))
			o := out[i*c : (i+1)*c]
			for j, v := range x {
				o[j] = (v-m)*r*weight[j] + bias[j]
			}
			mean[i], rstd[i] = m, r
		}
	})
}

// LayerNormBackward accumulates into dinp, dweight and dbias the gradients of
// LayerNormForward given dout.
func LayerNormBackward(dinp, dweight, dbias, dout, inp, weight, mean, rstd []float32, n, c int) {
	for i := 0; i < n; i++ {
		x := inp[i*c : (i+1)*c]
		g := dout[i*c : (i+1)*c]
		m, r := mean[i], rstd[i]
		var dnormMean, dnormNormMean float32
		for j := range x {
			norm := (x[j] - m) * r
			dn := weight[j] * g[j]
			dnormMean += dn
			dnormNormMean += dn * norm
		}
		dnormMean /= float32(c)
		dnormNormMean /= float32(c)
		di := dinp[i*c : (i+1)*c]
		for j := range x {
			norm := (x[j] - m) * r
			dn := weight[j] * g[j]
			dbias[j] += g[j]
			dweight[j] += norm * g[j]
			di[j] += (dn - dnormMean - norm*dnormNormMean) * r
		}
	}
}
