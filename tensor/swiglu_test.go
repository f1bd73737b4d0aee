package tensor

import (
	"fmt"
	"math"
	"testing"
)

func refSilu(g float64) float64 { return g / (1 + math.Exp(-g)) }

func refSiluGrad(g float64) float64 {
	s := 1 / (1 + math.Exp(-g))
	return s * (1 + g*(1-s))
}

func TestSwiGLU(t *testing.T) {
	r := newRand(t)
	// The float64 derivative agrees with finite differences of the forward.
	for _, g := range []float64{-9, -2.5, -1, -0.3, 0, 0.2, 1, 3, 9} {
		fdCheck(t, "refSiluGrad", r, func(v []float64) float64 { return refSilu(v[0]) }, []float64{g}, []float64{refSiluGrad(g)})
	}
	forEachImpl(t, func(t *testing.T) {
		for _, n := range append(vecLens, 257, 1000, 70001) {
			gate, up := randGuarded(r, n, 6), randGuarded(r, n, 2)
			if n > 6 {
				// Beyond the clamp of exp's argument, and at zero.
				copy(gate.s(), []float32{40, -40, 0, 100, -100, -88.5})
			}
			gate0, up0 := clone(gate.s()), clone(up.s())
			out := newGuarded(r, n)
			SwiGLUForward(out.s(), gate.s(), up.s())
			want := make([]float64, n)
			for i, g := range gate0 {
				want[i] = refSilu(float64(g)) * float64(up0[i])
			}
			near(t, fmt.Sprint("SwiGLUForward n=", n), out.s(), want, 2e-6, 1e-7)
			out.check(t, "SwiGLUForward")
			unchanged(t, "SwiGLUForward gate", gate.s(), gate0)
			unchanged(t, "SwiGLUForward up", up.s(), up0)

			dout := randGuarded(r, n, 1)
			dgate, dup := randGuarded(r, n, 1), randGuarded(r, n, 1)
			dout0, dgate0, dup0 := clone(dout.s()), clone(dgate.s()), clone(dup.s())
			SwiGLUBackward(dgate.s(), dup.s(), dout.s(), gate.s(), up.s())
			wantUp := make([]float64, n)
			for i, g := range gate0 {
				gv, d := float64(g), float64(dout0[i])
				want[i] = float64(dgate0[i]) + d*float64(up0[i])*refSiluGrad(gv)
				wantUp[i] = float64(dup0[i]) + d*refSilu(gv)
			}
			near(t, fmt.Sprint("SwiGLUBackward dgate n=", n), dgate.s(), want, 1e-5, 1e-6)
			near(t, fmt.Sprint("SwiGLUBackward dup n=", n), dup.s(), wantUp, 1e-5, 1e-6)
			dgate.check(t, "SwiGLUBackward dgate")
			dup.check(t, "SwiGLUBackward dup")
			unchanged(t, "SwiGLUBackward gate", gate.s(), gate0)
			unchanged(t, "SwiGLUBackward up", up.s(), up0)
			unchanged(t, "SwiGLUBackward dout", dout.s(), dout0)

			SwiGLUForward(gate.s(), gate.s(), up.s()) // in place
			if !bitsEqual(gate.s(), out.s()) {
				t.Fatalf("SwiGLUForward in place differs")
			}
		}
		// NaN stays NaN, in the vector loops (n = 16) as in the Go tails.
		for _, n := range []int{1, 16} {
			g, u, y := make([]float32, n), make([]float32, n), make([]float32, n)
			g[n-1], u[n-1] = float32(math.NaN()), 1
			SwiGLUForward(y, g, u)
			if !math.IsNaN(float64(y[n-1])) {
				t.Fatalf("SwiGLU(NaN) = %v, n=%d", y[n-1], n)
			}
		}
	})
}

func BenchmarkSwiGLU(b *testing.B) {
	// SmolLM-135M's MLP at B=8, T=128: (B·T, 1536).
	n := 8 * 128 * 1536
	r := newRand(b)
	gate, up, dout := randVec(r, n, 3), randVec(r, n, 1), randVec(r, n, 1)
	out, dgate, dup := make([]float32, n), make([]float32, n), make([]float32, n)
	benchImpls(b, func(b *testing.B) {
		b.Run("forward", func(b *testing.B) {
			stop := cpuTimer(b)
			for b.Loop() {
				SwiGLUForward(out, gate, up)
			}
			stop()
		})
		b.Run("backward", func(b *testing.B) {
			stop := cpuTimer(b)
			for b.Loop() {
				SwiGLUBackward(dgate, dup, dout, gate, up)
			}
			stop()
		})
	})
}

// TestLlamaKernelsDoNotAllocate guards RMSNorm, RoPE and SwiGLU against
// allocations once the pooled buffers exist, as TestRowKernelsDoNotAllocate
// does for the GPT-2 kernels: what remains is the closure each hands to
// ParallelFor, at most two small objects per call.
func TestLlamaKernelsDoNotAllocate(t *testing.T) {
	r := newRand(t)
	b, tt, nh, d := 2, 33, 2, 32 // small enough to run on the caller
	c := nh * d
	x, dout := randVec(r, b*tt*c, 1), randVec(r, b*tt*c, 1)
	out, dx := make([]float32, b*tt*c), make([]float32, b*tt*c)
	w, dw, rstd := randVec(r, c, 1), make([]float32, c), make([]float32, b*tt)
	cos, sin := make([]float32, tt*d/2), make([]float32, tt*d/2)
	RoPETable(cos, sin, tt, d, 10000, nil)
	const calls = 6
	f := func() {
		RMSNormForward(out, rstd, x, w, b*tt, c, 1e-5)
		RMSNormBackward(dx, dw, dout, x, w, rstd, b*tt, c)
		RoPEForward(out, out, cos, sin, b, tt, nh, d, c)
		RoPEBackward(dx, dx, cos, sin, b, tt, nh, d, c)
		SwiGLUForward(out, x, dout)
		SwiGLUBackward(dx, out, dout, x, dout)
	}
	f()
	if n := testing.AllocsPerRun(20, f); n > 2*calls {
		t.Fatalf("%v allocations per run", n)
	}
}
