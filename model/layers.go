package model

import "github.com/align-project/align/tensor"

// The layers the model is built from, each a forward/backward pair in llm.c's
// argument order: outputs first, then inputs, then the sizes. Backward passes
// accumulate into parameter gradients with +=. Layernorm, GELU, attention and
// cross-entropy come straight from package tensor.

// encoderForward writes out[b,t,:] = wte[inp[b,t],:] + wpe[t,:].
// out is (B,T,C), inp is (B,T) token ids already checked to be in range.
func encoderForward(out []float32, inp []int32, wte, wpe []float32, b, t, c int) {
	parallelRows(b*t, c, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			o := out[i*c : (i+1)*c]
			e := wte[int(inp[i])*c:][:c]
			p := wpe[(i%t)*c:][:c]
			for j := range o {
				o[j] = e[j] + p[j]
			}
		}
	})
}

// encoderBackward accumulates dout (B,T,C) into the rows of dwte and dwpe that
// the forward pass read. It runs serially: token rows may repeat.
func encoderBackward(dwte, dwpe, dout []float32, inp []int32, b, t, c int) {
	for i := 0; i < b*t; i++ {
		d := dout[i*c : (i+1)*c]
		tensor.Axpy(1, d, dwte[int(inp[i])*c:][:c])
		tensor.Axpy(1, d, dwpe[(i%t)*c:][:c])
	}
}

// linearForward computes out = inp·wᵀ + bias (+ residual), for n rows.
// inp is (n, cin), w is (cout, cin), bias is (cout) or nil, out and residual
// are (n, cout); residual may be nil or alias out, but inp must not.
func linearForward(out, residual, inp, w, bias []float32, n, cin, cout int) {
	linearInit(out, residual, bias, n, cout)
	tensor.MatMulNT(out, inp, w, n, cout, cin, residual != nil || bias != nil)
}

// linearInit writes residual, bias or their sum into out (n, cout), which
// the product is then added to; with neither it leaves out alone.
func linearInit(out, residual, bias []float32, n, cout int) {
	if residual != nil || bias != nil {
		parallelRows(n, cout, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				o := out[i*cout : (i+1)*cout]
				switch {
				case residual == nil:
					copy(o, bias)
				case bias == nil:
					copy(o, residual[i*cout:(i+1)*cout])
				default:
					r := residual[i*cout : (i+1)*cout]
					for j := range o {
						o[j] = r[j] + bias[j]
					}
				}
			}
		})
	}
}

// linearBackward accumulates the weight and bias gradients of linearForward
// given dout (n, cout), and writes (or, with accumulate, adds) the input
// gradient into dinp (n, cin). The residual's gradient is dout itself and is
// left to the caller. dbias may be nil when the layer has no bias, and dw
// nil when the weights are frozen (LoRA): then only dinp is computed.
func linearBackward(dinp, dw, dbias, dout, inp, w []float32, n, cin, cout int, accumulate bool) {
	if dw != nil {
		tensor.MatMulTN(dw, dout, inp, cout, cin, n, true)
	}
	if dbias != nil {
		biasBackward(dbias, dout, n, cout)
	}
	tensor.MatMulNN(dinp, dout, w, n, cin, cout, accumulate)
}

// biasBackward accumulates into dbias the column sums of dout (n, c). Each
// worker owns a range of columns, so the sum order is fixed.
func biasBackward(dbias, dout []float32, n, c int) {
	parallelRows(c, n, func(lo, hi int) {
		db := dbias[lo:hi]
		for i := 0; i < n; i++ {
			row := dout[i*c+lo : i*c+hi]
			for j, v := range row {
				db[j] += v
			}
		}
	})
}

// parallelRows runs fn over [0, n) rows of width floats, across the workers
// when there is enough work to pay for waking them, inline otherwise.
func parallelRows(n, width int, fn func(lo, hi int)) {
	if n*width < 1<<15 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	tensor.ParallelFor(n, fn)
}

// allZero reports whether every element of s is zero.
func allZero(s []float32) bool {
	for _, v := range s {
		if v != 0 {
			return false
		}
	}
	return true
}
