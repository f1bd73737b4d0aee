package tensor

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

func refRMSNorm(inp, w []float64, n, c int, eps float64) (out, rstd []float64) {
	out, rstd = make([]float64, n*c), make([]float64, n)
	for i := 0; i < n; i++ {
		x := inp[i*c : (i+1)*c]
		var ms float64
		for _, v := range x {
			ms += v * v
		}
		r := 1 / math.Sqrt(ms/float64(c)+eps)
		for j, v := range x {
			out[i*c+j] = v * r * w[j]
		}
		rstd[i] = r
	}
	return out, rstd
}

// refRMSNormBackward returns the gradients of refRMSNorm: with u = x·r,
// dinp = (w·g − u·mean(w·g·u))·r and dw = Σ over rows of u·g.
func refRMSNormBackward(dout, inp, w []float64, n, c int, eps float64) (dinp, dw []float64) {
	_, rstd := refRMSNorm(inp, w, n, c, eps)
	dinp, dw = make([]float64, n*c), make([]float64, c)
	for i := 0; i < n; i++ {
		r := rstd[i]
		var b float64
		for j := 0; j < c; j++ {
			b += w[j] * dout[i*c+j] * inp[i*c+j] * r
		}
		b /= float64(c)
		for j := 0; j < c; j++ {
			u, g := inp[i*c+j]*r, dout[i*c+j]
			dw[j] += u * g
			dinp[i*c+j] = (w[j]*g - u*b) * r
		}
	}
	return dinp, dw
}

// randAway returns a guarded slice of n values with magnitudes uniform in
// [0.25, s): rows whose root mean square is near zero have a huge rstd, which
// would turn the float32 rounding of the backward pass into large absolute
// errors and leave the tolerances meaningless.
func randAway(r *rand.Rand, n int, s float64) *guarded {
	g := newGuarded(r, n)
	for i := range g.s() {
		v := 0.25 + r.Float64()*(s-0.25)
		if r.Intn(2) == 0 {
			v = -v
		}
		g.s()[i] = float32(v)
	}
	return g
}

func TestRMSNorm(t *testing.T) {
	r := newRand(t)
	// The float64 backward agrees with finite differences of the forward.
	{
		n, c := 3, 7
		inp, w := to64(randVec(r, n*c, 2)), to64(randVec(r, c, 1))
		proj := to64(randVec(r, n*c, 1))
		loss := func(inp, w []float64) float64 {
			out, _ := refRMSNorm(inp, w, n, c, 1e-5)
			return weightedSum(proj, out)
		}
		dinp, dw := refRMSNormBackward(proj, inp, w, n, c, 1e-5)
		fdCheck(t, "rms dinp", r, func(x []float64) float64 { return loss(x, w) }, inp, dinp)
		fdCheck(t, "rms dw", r, func(x []float64) float64 { return loss(inp, x) }, w, dw)
	}
	forEachImpl(t, func(t *testing.T) {
		for _, n := range []int{1, 2, 5, 33, 67} { // 67×257 is enough to use the pool
			for _, c := range []int{1, 7, 16, 33, 64, 257} {
				for _, th := range []int{1, 2, 3} {
					runThreads(th, func() { checkRMSNorm(t, r, n, c) })
				}
			}
		}
	})
}

func checkRMSNorm(t *testing.T, rr *rand.Rand, n, c int) {
	eps := []float32{1e-5, 1e-6}[rr.Intn(2)] // Llama 3 and Llama 2 / Qwen
	name := fmt.Sprintf("n=%d c=%d eps=%g threads=%d", n, c, eps, Threads())
	inp, w := randAway(rr, n*c, 3), randGuarded(rr, c, 1)
	out, rstd := newGuarded(rr, n*c), newGuarded(rr, n)
	inp0, w0 := clone(inp.s()), clone(w.s())
	RMSNormForward(out.s(), rstd.s(), inp.s(), w.s(), n, c, eps)
	wo, wr := refRMSNorm(to64(inp0), to64(w0), n, c, float64(eps))
	near(t, "RMSNormForward out "+name, out.s(), wo, 1e-5, 1e-6)
	near(t, "RMSNormForward rstd "+name, rstd.s(), wr, 1e-5, 0)
	out.check(t, "out")
	rstd.check(t, "rstd")
	unchanged(t, "inp", inp.s(), inp0)
	unchanged(t, "weight", w.s(), w0)

	in2 := clone(inp0) // in place
	RMSNormForward(in2, rstd.s(), in2, w.s(), n, c, eps)
	if !bitsEqual(in2, out.s()) {
		t.Fatalf("RMSNormForward in place differs, %s", name)
	}

	dout := randGuarded(rr, n*c, 1)
	dinp, dw := randGuarded(rr, n*c, 1), randGuarded(rr, c, 1)
	dout0, dinp0, dw0, rstd0 := clone(dout.s()), clone(dinp.s()), clone(dw.s()), clone(rstd.s())
	RMSNormBackward(dinp.s(), dw.s(), dout.s(), inp.s(), w.s(), rstd.s(), n, c)
	gi, gw := refRMSNormBackward(to64(dout0), to64(inp0), to64(w0), n, c, float64(eps))
	for i := range gi {
		gi[i] += float64(dinp0[i])
	}
	for j := range gw {
		gw[j] += float64(dw0[j])
	}
	near(t, "RMSNormBackward dinp "+name, dinp.s(), gi, 1e-4, 1e-4)
	near(t, "RMSNormBackward dweight "+name, dw.s(), gw, 1e-4, 1e-4)
	dinp.check(t, "dinp")
	dw.check(t, "dweight")
	unchanged(t, "dout", dout.s(), dout0)
	unchanged(t, "rstd", rstd.s(), rstd0)
	unchanged(t, "inp", inp.s(), inp0)
}

func TestRMSNormDeterministic(t *testing.T) {
	r := newRand(t)
	n, c := 300, 131
	inp, w := randVec(r, n*c, 2), randVec(r, c, 1)
	dout := randVec(r, n*c, 1)
	rstd, out := make([]float32, n), make([]float32, n*c)
	RMSNormForward(out, rstd, inp, w, n, c, 1e-5)
	run := func() []float32 {
		g := make([]float32, n*c+c)
		RMSNormBackward(g[:n*c], g[n*c:], dout, inp, w, rstd, n, c)
		return g
	}
	for _, th := range []int{1, 2, 3} {
		runThreads(th, func() {
			if a, b := run(), run(); !bitsEqual(a, b) {
				t.Fatalf("threads=%d: two runs differ", th)
			}
		})
	}
}

func BenchmarkRMSNorm(b *testing.B) {
	n, c := 8*128, 576 // B·T rows of SmolLM-135M's C
	r := newRand(b)
	inp, w, dout := randVec(r, n*c, 2), randVec(r, c, 1), randVec(r, n*c, 1)
	out, rstd := make([]float32, n*c), make([]float32, n)
	dinp, dw := make([]float32, n*c), make([]float32, c)
	benchImpls(b, func(b *testing.B) {
		b.Run("forward", func(b *testing.B) {
			stop := cpuTimer(b)
			for b.Loop() {
				RMSNormForward(out, rstd, inp, w, n, c, 1e-5)
			}
			stop()
		})
		b.Run("backward", func(b *testing.B) {
			stop := cpuTimer(b)
			for b.Loop() {
				RMSNormBackward(dinp, dw, dout, inp, w, rstd, n, c)
			}
			stop()
		})
	})
}
