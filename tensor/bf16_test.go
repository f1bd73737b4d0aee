package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// bf16Weights returns n·k random weights rounded to bfloat16, as float32 and
// as bfloat16.
func bf16Weights(r *rand.Rand, n int) ([]float32, []uint16) {
	f := randSlice(r, n)
	for i, v := range f {
		f[i] = math.Float32frombits(math.Float32bits(v) &^ 0xffff)
	}
	b := make([]uint16, n)
	if !ToBF16Exact(b, f) {
		panic("rounded weights are not exact bfloat16")
	}
	return f, b
}

// MatMulNTBF16 is MatMulNT on the widened weights bit for bit, on every
// implementation, thread count and shape: the rows of decoding (m ≤ 8, the
// fast kernel when k is a multiple of 16) and the others (widened first),
// odd n, accumulate or not.
func TestMatMulNTBF16(t *testing.T) {
	r := rand.New(rand.NewPCG(11, uint64(rand.Int64())))
	for _, impl := range implementations(t) {
		SetImplementation(impl)
		for _, threads := range []int{1, 2, 3} {
			withThreads(t, threads)
			for _, s := range []struct{ m, n, k int }{
				{1, 577, 576}, {1, 1, 16}, {3, 33, 48}, {8, 960, 576}, {2, 7, 1536},
				{1, 9, 24}, {5, 13, 37}, {9, 40, 32}, {32, 65, 80}, {1, 700, 700},
			} {
				for _, acc := range []bool{false, true} {
					name := fmt.Sprintf("%s/t%d/%dx%dx%d/acc=%v", impl, threads, s.m, s.n, s.k, acc)
					a := randSlice(r, s.m*s.k)
					wf, wb := bf16Weights(r, s.n*s.k)
					c0 := randSlice(r, s.m*s.n)
					want, got := append([]float32(nil), c0...), append([]float32(nil), c0...)
					MatMulNT(want, a, wf, s.m, s.n, s.k, acc)
					MatMulNTBF16(got, a, wb, s.m, s.n, s.k, acc)
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s: c[%d] = %v, want %v (MatMulNT on the widened weights)", name, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

func TestToBF16Exact(t *testing.T) {
	f := []float32{0, 1, -2.5, float32(math.Inf(1)), 3.140625}
	b := make([]uint16, len(f))
	if !ToBF16Exact(b, f) || !SameAsBF16(f, b) {
		t.Fatalf("exact values refused: %v", b)
	}
	if b[1] != 0x3f80 || b[2] != 0xc020 {
		t.Errorf("1 and -2.5 as bfloat16: %#x %#x, want 0x3f80 0xc020", b[1], b[2])
	}
	f[3] = 3.14159
	if ToBF16Exact(b, f) {
		t.Error("3.14159 taken as an exact bfloat16")
	}
	if SameAsBF16(f, b) {
		t.Error("a changed weight still matches its bfloat16 copy")
	}
	if SameAsBF16(f[:2], b) {
		t.Error("lengths that differ match")
	}
}

// BenchmarkMatMulNTBF16 decodes one row through a layer-sized matrix that
// does not stay in cache: the bfloat16 weights against the float32 ones.
func BenchmarkMatMulNTBF16(b *testing.B) {
	const n, k, copies = 1536, 576, 64 // 226 MB of float32 weights
	r := rand.New(rand.NewPCG(1, 2))
	wf, wb := make([][]float32, copies), make([][]uint16, copies)
	for i := range wf {
		wf[i], wb[i] = bf16Weights(r, n*k)
	}
	a, c := randSlice(r, k), make([]float32, n)
	for _, bf := range []bool{false, true} {
		b.Run(fmt.Sprintf("bf16=%v", bf), func(b *testing.B) {
			i := 0
			for b.Loop() {
				if bf {
					MatMulNTBF16(c, a, wb[i%copies], 1, n, k, false)
				} else {
					MatMulNT(c, a, wf[i%copies], 1, n, k, false)
				}
				i++
			}
			bytes := 4
			if bf {
				bytes = 2
			}
			b.ReportMetric(float64(b.N*n*k*bytes)/b.Elapsed().Seconds()/1e9, "GB/s")
			b.ReportMetric(float64(b.N*n*k)/b.Elapsed().Seconds()/1e9, "Gweights/s")
		})
	}
}
