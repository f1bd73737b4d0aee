package tensor

// GELU with the tanh approximation, written through the logistic function:
// 0.5·x·(1 + tanh(u)) = x·σ(2u) = x / (1 + exp(−2u)), u = √(2/π)·(x + 0.044715x³).
// geluA and geluB fold −2√(2/π) into the polynomial so −2u = x·(geluA + geluB·x²).
const (
	geluA = -2 * 0.7978845608028654
	geluB = -2 * 0.7978845608028654 * 0.044715
)

// geluMaxArg caps the argument of exp, keeping e^arg and the backward
// pass's products of it finite; GELU(x) is below 1e-33 in magnitude there.
const geluMaxArg = 80

// geluGrain is the smallest chunk of elements worth handing to a worker.
const geluGrain = 1 << 14

// GeluForward applies GELU with the tanh approximation elementwise:
// out[i] = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715x³))), x = inp[i]. out may
// alias inp.
func GeluForward(out, inp []float32) {
	out = out[:len(inp)]
	parallelElems(len(inp), geluGrain, func(lo, hi int) {
		gelu(out[lo:hi], inp[lo:hi])
	})
}

// GeluBackward accumulates into dinp the gradient of GeluForward given dout.
func GeluBackward(dinp, inp, dout []float32) {
	dinp = dinp[:len(inp)]
	dout = dout[:len(inp)]
	parallelElems(len(inp), geluGrain, func(lo, hi int) {
		geluBack(dinp[lo:hi], inp[lo:hi], dout[lo:hi])
	})
}

// parallelElems runs fn over [0, n) split across the workers, or on the
// caller alone when n is below two grains; fn is never called with an empty
// range.
func parallelElems(n, grain int, fn func(lo, hi int)) {
	switch {
	case n <= 0:
	case n < 2*grain || Threads() == 1:
		fn(0, n)
	default:
		ParallelFor(n, fn)
	}
}

// geluGo writes GELU(x[i]) to out[i] = x / (1 + exp(x·(geluA + geluB·x²))).
func geluGo(out, x []float32) {
	out = out[:len(x)]
	for i, v := range x {
		out[i] = v / (1 + expf(min(v*(geluA+geluB*v*v), geluMaxArg)))
	}
}

// geluBackGo adds dout[i]·GELU'(x[i]) to dinp[i], where with
// e = exp(x·(geluA + geluB·x²)) and s = 1/(1 + e) (so 1−s = e·s) the
// derivative is s + x·s·(1−s)·2√(2/π)·(1 + 3·0.044715·x²).
func geluBackGo(dinp, x, dout []float32) {
	dinp = dinp[:len(x)]
	dout = dout[:len(x)]
	const g2s, g6 = 2 * 0.7978845608028654, 6 * 0.7978845608028654 * 0.044715
	for i, v := range x {
		e := expf(min(v*(geluA+geluB*v*v), geluMaxArg))
		s := 1 / (1 + e)
		local := s + v*(e*s*s)*(g2s+g6*v*v)
		dinp[i] += local * dout[i]
	}
}
