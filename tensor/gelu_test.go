package tensor

import (
	"fmt"
	"math"
	"testing"
)

func TestGelu(t *testing.T) {
	r := newRand(t)
	// The float64 derivative agrees with finite differences of the forward.
	for _, x := range []float64{-6, -2.5, -1, -0.3, 0, 0.2, 1, 3, 7} {
		fdCheck(t, "refGeluGrad", r, func(v []float64) float64 { return refGelu(v[0]) }, []float64{x}, []float64{refGeluGrad(x)})
	}
	forEachImpl(t, func(t *testing.T) {
		for _, n := range append(vecLens, 1000, 70001) {
			x := randGuarded(r, n, 6)
			if n > 4 {
				x.s()[0], x.s()[1], x.s()[2] = 40, -40, 0
			}
			x0 := clone(x.s())
			out := newGuarded(r, n)
			GeluForward(out.s(), x.s())
			want := make([]float64, n)
			for i, v := range x0 {
				want[i] = refGelu(float64(v))
			}
			near(t, fmt.Sprint("GeluForward n=", n), out.s(), want, 2e-6, 1e-7)
			out.check(t, "GeluForward")
			unchanged(t, "GeluForward inp", x.s(), x0)

			dout := randGuarded(r, n, 1)
			dinp := randGuarded(r, n, 1)
			dout0, dinp0 := clone(dout.s()), clone(dinp.s())
			GeluBackward(dinp.s(), x.s(), dout.s())
			for i, v := range x0 {
				want[i] = float64(dinp0[i]) + refGeluGrad(float64(v))*float64(dout0[i])
			}
			near(t, fmt.Sprint("GeluBackward n=", n), dinp.s(), want, 1e-5, 1e-6)
			dinp.check(t, "GeluBackward")
			unchanged(t, "GeluBackward inp", x.s(), x0)
			unchanged(t, "GeluBackward dout", dout.s(), dout0)

			GeluForward(x.s(), x.s()) // in place
			if !bitsEqual(x.s(), out.s()) {
				t.Fatalf("GeluForward in place differs")
			}
		}
		var nan [1]float32
		GeluForward(nan[:], []float32{float32(math.NaN())})
		if !math.IsNaN(float64(nan[0])) {
			t.Fatalf("GELU(NaN) = %v", nan[0])
		}
	})
}

func BenchmarkGelu(b *testing.B) {
	// One layer's MLP activation at B=8, T=128, C=256: (B·T, 4C).
	x, y := randVec(newRand(b), 8*128*1024, 3), make([]float32, 8*128*1024)
	benchImpls(b, func(b *testing.B) {
		b.Run("forward", func(b *testing.B) {
			stop := cpuTimer(b)
			for b.Loop() {
				GeluForward(y, x)
			}
			stop()
		})
		b.Run("backward", func(b *testing.B) {
			stop := cpuTimer(b)
			for b.Loop() {
				GeluBackward(y, x, x)
			}
			stop()
		})
	})
}
