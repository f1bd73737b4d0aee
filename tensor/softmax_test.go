package tensor

import (
	"fmt"
	"math"
	"testing"
)

func TestSoftmax(t *testing.T) {
	r := newRand(t)
	forEachImpl(t, func(t *testing.T) {
		for _, n := range []int{1, 2, 7, 67} {
			for _, c := range []int{1, 3, 17, 67, 131, 256} {
				name := fmt.Sprintf("n=%d c=%d", n, c)
				inp := randGuarded(r, n*c, 20)
				if c > 2 {
					inp.s()[1] = float32(math.Inf(-1)) // a masked entry
				}
				inp0 := clone(inp.s())
				out := newGuarded(r, n*c)
				SoftmaxForward(out.s(), inp.s(), n, c)
				var want []float64
				for i := 0; i < n; i++ {
					want = append(want, refSoftmax(to64(inp0[i*c:(i+1)*c]))...)
				}
				// Inputs span ±20, so rounding x−max costs up to 40·2⁻²⁴ relative.
				near(t, "SoftmaxForward "+name, out.s(), want, 6e-6, 1e-30)
				out.check(t, "SoftmaxForward "+name)
				unchanged(t, "SoftmaxForward inp "+name, inp.s(), inp0)
				SoftmaxForward(inp.s(), inp.s(), n, c)
				if !bitsEqual(inp.s(), out.s()) {
					t.Fatalf("SoftmaxForward in place differs, %s", name)
				}
				inp.check(t, "SoftmaxForward in place "+name)
			}
		}
	})
}

func BenchmarkSoftmax(b *testing.B) {
	n, v := 8*128, 256
	x, y := randVec(newRand(b), n*v, 5), make([]float32, n*v)
	benchImpls(b, func(b *testing.B) {
		stop := cpuTimer(b)
		for b.Loop() {
			SoftmaxForward(y, x, n, v)
		}
		stop()
	})
}
