package tensor

import (
	"fmt"
	"math/rand"
	"testing"
)

func TestLayerNorm(t *testing.T) {
	r := newRand(t)
	// The float64 backward agrees with finite differences of the forward.
	{
		n, c := 3, 7
		inp, w, b := to64(randVec(r, n*c, 2)), to64(randVec(r, c, 1)), to64(randVec(r, c, 1))
		proj := to64(randVec(r, n*c, 1))
		loss := func(inp, w, b []float64) float64 {
			out, _, _ := refLayerNorm(inp, w, b, n, c)
			return weightedSum(proj, out)
		}
		dinp, dw, db := refLayerNormBackward(proj, inp, w, n, c)
		fdCheck(t, "ln dinp", r, func(x []float64) float64 { return loss(x, w, b) }, inp, dinp)
		fdCheck(t, "ln dw", r, func(x []float64) float64 { return loss(inp, x, b) }, w, dw)
		fdCheck(t, "ln db", r, func(x []float64) float64 { return loss(inp, w, x) }, b, db)
	}
	forEachImpl(t, func(t *testing.T) {
		for _, n := range []int{1, 2, 5, 33, 67} {
			for _, c := range []int{1, 3, 16, 67, 131, 256} {
				for _, th := range []int{1, 2, 3} {
					runThreads(th, func() { checkLayerNorm(t, r, n, c) })
				}
			}
		}
	})
}

func checkLayerNorm(t *testing.T, rr *rand.Rand, n, c int) {
	name := fmt.Sprintf("n=%d c=%d threads=%d", n, c, Threads())
	inp := randGuarded(rr, n*c, 3)
	for i := range inp.s() {
		inp.s()[i] += 1.5 // a mean away from zero
	}
	w, b := randGuarded(rr, c, 1), randGuarded(rr, c, 1)
	out, mean, rstd := newGuarded(rr, n*c), newGuarded(rr, n), newGuarded(rr, n)
	inp0, w0, b0 := clone(inp.s()), clone(w.s()), clone(b.s())
	LayerNormForward(out.s(), mean.s(), rstd.s(), inp.s(), w.s(), b.s(), n, c)
	wo, wm, wr := refLayerNorm(to64(inp0), to64(w0), to64(b0), n, c)
	// x − mean loses the bits the rows share, which rstd then scales up: a
	// row of three close values (rstd near 100) needs a tolerance to match.
	for row := range n {
		tol := 1e-5 * max(1, wr[row])
		near(t, fmt.Sprintf("LayerNormForward out %s row %d", name, row), out.s()[row*c:(row+1)*c], wo[row*c:(row+1)*c], 1e-5, tol)
	}
	near(t, "LayerNormForward mean "+name, mean.s(), wm, 1e-6, 1e-6)
	near(t, "LayerNormForward rstd "+name, rstd.s(), wr, 1e-5, 0)
	out.check(t, "out")
	mean.check(t, "mean")
	rstd.check(t, "rstd")
	unchanged(t, "inp", inp.s(), inp0)
	unchanged(t, "weight", w.s(), w0)
	unchanged(t, "bias", b.s(), b0)

	dout := randGuarded(rr, n*c, 1)
	dinp, dw, db := randGuarded(rr, n*c, 1), randGuarded(rr, c, 1), randGuarded(rr, c, 1)
	dout0, dinp0, dw0, db0 := clone(dout.s()), clone(dinp.s()), clone(dw.s()), clone(db.s())
	mean0, rstd0 := clone(mean.s()), clone(rstd.s())
	LayerNormBackward(dinp.s(), dw.s(), db.s(), dout.s(), inp.s(), w.s(), mean.s(), rstd.s(), n, c)
	gi, gw, gb := refLayerNormBackward(to64(dout0), to64(inp0), to64(w0), n, c)
	for i := range gi {
		gi[i] += float64(dinp0[i])
	}
	for j := range gw {
		gw[j] += float64(dw0[j])
		gb[j] += float64(db0[j])
	}
	// dinp is rstd times a difference of means that cancels when a row's
	// values are close, so its float32 rounding grows with rstd too.
	for row := range n {
		tol := 1e-4 * max(1, float64(rstd0[row]))
		near(t, fmt.Sprintf("LayerNormBackward dinp %s row %d", name, row), dinp.s()[row*c:(row+1)*c], gi[row*c:(row+1)*c], 1e-4, tol)
	}
	near(t, "LayerNormBackward dweight "+name, dw.s(), gw, 1e-4, 1e-4)
	near(t, "LayerNormBackward dbias "+name, db.s(), gb, 1e-5, 1e-5)
	dinp.check(t, "dinp")
	dw.check(t, "dweight")
	db.check(t, "dbias")
	unchanged(t, "dout", dout.s(), dout0)
	unchanged(t, "mean", mean.s(), mean0)
	unchanged(t, "rstd", rstd.s(), rstd0)
}

func TestLayerNormDeterministic(t *testing.T) {
	r := newRand(t)
	n, c := 300, 131
	inp, w := randVec(r, n*c, 2), randVec(r, c, 1)
	dout := randVec(r, n*c, 1)
	mean, rstd, out := make([]float32, n), make([]float32, n), make([]float32, n*c)
	LayerNormForward(out, mean, rstd, inp, w, w, n, c)
	run := func() []float32 {
		g := make([]float32, n*c+2*c)
		LayerNormBackward(g[:n*c], g[n*c:n*c+c], g[n*c+c:], dout, inp, w, mean, rstd, n, c)
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

func BenchmarkLayerNorm(b *testing.B) {
	n, c := 8*128, 256 // B·T rows of C
	r := newRand(b)
	inp, w, bias, dout := randVec(r, n*c, 2), randVec(r, c, 1), randVec(r, c, 1), randVec(r, n*c, 1)
	out, mean, rstd := make([]float32, n*c), make([]float32, n), make([]float32, n)
	dinp, dw, db := make([]float32, n*c), make([]float32, c), make([]float32, c)
	benchImpls(b, func(b *testing.B) {
		b.Run("forward", func(b *testing.B) {
			stop := cpuTimer(b)
			for b.Loop() {
				LayerNormForward(out, mean, rstd, inp, w, bias, n, c)
			}
			stop()
		})
		b.Run("backward", func(b *testing.B) {
			stop := cpuTimer(b)
			for b.Loop() {
				LayerNormBackward(dinp, dw, db, dout, inp, w, mean, rstd, n, c)
			}
			stop()
		})
	})
}
