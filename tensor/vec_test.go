package tensor

import (
	"fmt"
	"math"
	"testing"
)

// vecLens covers empty, short, every tail length and the unrolled loops.
var vecLens = []int{0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 67, 100, 127, 128, 131, 255, 256, 300}

func TestVecPrimitives(t *testing.T) {
	r := newRand(t)
	forEachImpl(t, func(t *testing.T) {
		for _, n := range vecLens {
			x, y := randGuarded(r, n, 2), randGuarded(r, n, 2)
			x0, y0 := clone(x.s()), clone(y.s())
			var dot, sum float64
			mx := math.Inf(-1)
			for i := range x0 {
				dot += float64(x0[i]) * float64(y0[i])
				sum += float64(x0[i])
				mx = math.Max(mx, float64(x0[i]))
			}
			near1(t, fmt.Sprint("Dot n=", n), Dot(x.s(), y.s()), dot, 1e-5, 1e-5*float64(n+1))
			near1(t, fmt.Sprint("Sum n=", n), Sum(x.s()), sum, 1e-5, 1e-5*float64(n+1))
			if got := Max(x.s()); float64(got) != mx {
				t.Fatalf("Max n=%d: %v, want %v", n, got, mx)
			}
			unchanged(t, "Dot x", x.s(), x0)
			unchanged(t, "Dot y", y.s(), y0)

			Axpy(-1.5, x.s(), y.s())
			want := make([]float64, n)
			for i := range want {
				want[i] = float64(y0[i]) - 1.5*float64(x0[i])
			}
			near(t, fmt.Sprint("Axpy n=", n), y.s(), want, 1e-6, 1e-6)
			y.check(t, "Axpy")
			unchanged(t, "Axpy x", x.s(), x0)

			Scale(0.75, x.s())
			for i := range want {
				want[i] = 0.75 * float64(x0[i])
			}
			near(t, fmt.Sprint("Scale n=", n), x.s(), want, 1e-7, 0)
			x.check(t, "Scale")
		}
	})
}

func TestExpSum(t *testing.T) {
	r := newRand(t)
	forEachImpl(t, func(t *testing.T) {
		for _, n := range vecLens {
			x := randGuarded(r, n, 30)
			if n > 3 {
				x.s()[1] = -200 // underflows to 0
				x.s()[2] = float32(math.Inf(-1))
			}
			x0 := clone(x.s())
			dst := newGuarded(r, n)
			const a, b = 0.9, -1.25
			want := make([]float64, n)
			var s float64
			for i, v := range x0 {
				want[i] = math.Exp(a*float64(v) + b)
				s += want[i]
			}
			got := ExpSum(dst.s(), x.s(), a, b)
			for i, v := range x0 {
				// The argument a·x+b is rounded to float32 first.
				tol := 1e-6 + 1.2e-7*math.Abs(a*float64(v)+b)
				if g := float64(dst.s()[i]); math.Abs(g-want[i]) > tol*want[i]+1.5e-38 {
					t.Fatalf("ExpSum n=%d: exp(%v·%v%+v) = %v, want %v", n, a, v, b, g, want[i])
				}
			}
			near1(t, fmt.Sprint("ExpSum sum n=", n), got, s, 1e-5, 1e-37)
			want32 := append([]float32(nil), dst.s()...)
			dst.check(t, "ExpSum")
			unchanged(t, "ExpSum x", x.s(), x0)
			near1(t, "ExpSum nil", ExpSum(nil, x.s(), a, b), s, 1e-5, 1e-37)
			ExpSum(x.s(), x.s(), a, b) // aliasing
			if !bitsEqual(x.s(), want32) {
				t.Fatalf("ExpSum in place differs from ExpSum into dst")
			}
			x.check(t, "ExpSum in place")
		}
	})
}

// TestExpAccuracy sweeps the whole float32 range of exp through every
// implementation.
func TestExpAccuracy(t *testing.T) {
	const n = 20000
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(-110 + 200*float64(i)/n)
	}
	x = append(x, 0, 1, -1, 88.7, 88.72, -87.33, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)))
	forEachImpl(t, func(t *testing.T) {
		y := make([]float32, len(x))
		ExpSum(y, x, 1, 0)
		var worst float64
		for i, v := range x {
			w := math.Exp(float64(v))
			g := float64(y[i])
			switch {
			case math.IsNaN(float64(v)):
				if !math.IsNaN(g) {
					t.Fatalf("exp(NaN) = %v", g)
				}
			case v < -87.3: // underflow region: tiny absolute error
				if math.Abs(g-w) > 1.5e-38 {
					t.Fatalf("exp(%v) = %v, want %v", v, g, w)
				}
			case w > math.MaxFloat32:
				if !math.IsInf(g, 1) {
					t.Fatalf("exp(%v) = %v, want +Inf", v, g)
				}
			default:
				worst = math.Max(worst, math.Abs(g-w)/w)
			}
		}
		if worst > 3e-7 {
			t.Fatalf("worst relative error %.3g", worst)
		}
		t.Logf("worst relative error %.3g", worst)
	})
}

func TestVecMat(t *testing.T) {
	r := newRand(t)
	forEachImpl(t, func(t *testing.T) {
		for _, k := range []int{1, 2, 3, 5, 8, 33, 64} {
			for _, n := range []int{1, 3, 8, 15, 16, 17, 33, 64, 65, 100, 128, 131} {
				for _, acc := range []bool{false, true} {
					ldb := n + r.Intn(5)
					x := randGuarded(r, k, 1)
					b := randGuarded(r, (k-1)*ldb+n, 1)
					y := randGuarded(r, n, 1)
					x0, b0, y0 := clone(x.s()), clone(b.s()), clone(y.s())
					want := make([]float64, n)
					for j := range want {
						if acc {
							want[j] = float64(y0[j])
						}
						for p := 0; p < k; p++ {
							want[j] += float64(x0[p]) * float64(b0[p*ldb+j])
						}
					}
					VecMat(y.s(), x.s(), b.s(), k, n, ldb, acc)
					name := fmt.Sprintf("VecMat k=%d n=%d acc=%v", k, n, acc)
					near(t, name, y.s(), want, 1e-5, 1e-5*float64(k))
					y.check(t, name)
					unchanged(t, name+" x", x.s(), x0)
					unchanged(t, name+" b", b.s(), b0)

					// VecMat2: the second row gets x reversed.
					xr := make([]float32, k)
					for p := range xr {
						xr[p] = x0[k-1-p]
					}
					ya, yb := randGuarded(r, n, 1), randGuarded(r, n, 1)
					w0, w1 := make([]float64, n), make([]float64, n)
					for j := 0; j < n; j++ {
						if acc {
							w0[j], w1[j] = float64(ya.s()[j]), float64(yb.s()[j])
						}
						for p := 0; p < k; p++ {
							w0[j] += float64(x0[p]) * float64(b0[p*ldb+j])
							w1[j] += float64(xr[p]) * float64(b0[p*ldb+j])
						}
					}
					VecMat2(ya.s(), yb.s(), x0, xr, b.s(), k, n, ldb, acc)
					near(t, "VecMat2 ya "+name, ya.s(), w0, 1e-5, 1e-5*float64(k))
					near(t, "VecMat2 yb "+name, yb.s(), w1, 1e-5, 1e-5*float64(k))
					ya.check(t, "VecMat2 ya")
					yb.check(t, "VecMat2 yb")
					unchanged(t, name+" b", b.s(), b0)
				}
			}
		}
	})
}

func BenchmarkDot(b *testing.B) {
	x, y := make([]float32, 256), make([]float32, 256)
	benchImpls(b, func(b *testing.B) {
		stop := cpuTimer(b)
		for b.Loop() {
			Dot(x, y)
		}
		stop()
	})
}

func BenchmarkVecMat(b *testing.B) {
	// A score row of attention: 64 channels against 128 keys.
	x, m, y := make([]float32, 64), make([]float32, 64*128), make([]float32, 128)
	benchImpls(b, func(b *testing.B) {
		stop := cpuTimer(b)
		for b.Loop() {
			VecMat(y, x, m, 64, 128, 128, false)
		}
		stop()
		b.ReportMetric(float64(2*64*128)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

// benchImpls runs a benchmark under every kernel family the CPU supports.
func benchImpls(b *testing.B, f func(b *testing.B)) {
	prev := Implementation()
	defer SetImplementation(prev)
	for _, name := range []string{"avx512", "avx2", "go"} {
		if SetImplementation(name) != name {
			continue
		}
		b.Run(name, f)
	}
}
