package tensor

// SwiGLU, the gated MLP activation of Llama-family models:
// out = silu(gate)·up with silu(g) = g·σ(g) = g / (1 + exp(−g)).

// swigluGrain is the smallest chunk of elements worth handing to a worker.
const swigluGrain = 1 << 14

// siluMaxArg caps the argument of exp(−g), as geluMaxArg does for GELU,
// keeping it and the backward pass's products finite; |silu(g)| is below
// 1e-33 there.
const siluMaxArg = geluMaxArg

// SwiGLUForward writes silu(gate[i])·up[i] to out[i] for i < len(gate). The
// gate and up projections are separate slices of the same shape (HF's
// gate_proj and up_proj outputs). out may alias gate or up.
func SwiGLUForward(out, gate, up []float32) {
	n := len(gate)
	out, up = out[:n], up[:n]
	parallelElems(n, swigluGrain, func(lo, hi int) {
		swiglu(out[lo:hi], gate[lo:hi], up[lo:hi])
	})
}

// SwiGLUBackward accumulates into dgate and dup the gradients of
// SwiGLUForward given dout: dgate += dout·up·silu'(gate) and
// dup += dout·silu(gate).
func SwiGLUBackward(dgate, dup, dout, gate, up []float32) {
	n := len(gate)
	dgate, dup, dout, up = dgate[:n], dup[:n], dout[:n], up[:n]
	parallelElems(n, swigluGrain, func(lo, hi int) {
		swigluBack(dgate[lo:hi], dup[lo:hi], dout[lo:hi], gate[lo:hi], up[lo:hi])
	})
}

// swigluGo writes g·u/(1 + exp(−g)) to out for each gate g and up u.
func swigluGo(out, gate, up []float32) {
	out, up = out[:len(gate)], up[:len(gate)]
	for i, g := range gate {
		out[i] = g * up[i] / (1 + expf(min(-g, siluMaxArg)))
	}
}

// swigluBackGo adds dout·u·silu'(g) to dgate and dout·silu(g) to dup, where
// with e = exp(−g) and s = σ(g) = 1/(1+e) (so 1−s = e·s) silu(g) = g·s and
// silu'(g) = s·(1 + g·(1−s)) = s + g·s·(e·s).
func swigluBackGo(dgate, dup, dout, gate, up []float32) {
	n := len(gate)
	dgate, dup, dout, up = dgate[:n], dup[:n], dout[:n], up[:n]
	for i, g := range gate {
		e := expf(min(-g, siluMaxArg))
		s := 1 / (1 + e)
		gs := g * s
		dgate[i] += dout[i] * up[i] * (s + gs*(e*s))
		dup[i] += dout[i] * gs
	}
}
