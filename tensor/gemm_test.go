package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// implementations lists the kernel families this CPU can run and restores
// the default selection when the test ends.
func implementations(t testing.TB) []string {
	def := Implementation()
	t.Cleanup(func() { SetImplementation(def) })
	var names []string
	for _, name := range []string{"avx512", "avx2", "go"} {
		if SetImplementation(name) == name {
			names = append(names, name)
		}
	}
	SetImplementation(def)
	return names
}

func withThreads(t testing.TB, n int) {
	old := Threads()
	SetThreads(n)
	t.Cleanup(func() { SetThreads(old) })
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	lda, ldb, ldc  int
	accumulate     bool
}

func (tc gemmCase) String() string {
	layout := map[bool]string{false: "N", true: "T"}
	return fmt.Sprintf("%s%s/%dx%dx%d/ld%d,%d,%d/acc=%v", layout[tc.transA], layout[tc.transB],
		tc.m, tc.n, tc.k, tc.lda, tc.ldb, tc.ldc, tc.accumulate)
}

// gemmRef computes op(A)·op(B) in float64 together with Σ|a||b| per element,
// the scale that float32 rounding error is proportional to.
func gemmRef(tc gemmCase, a, b []float32) (want, scale []float64) {
	want = make([]float64, tc.m*tc.n)
	scale = make([]float64, tc.m*tc.n)
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			var s, abs float64
			for p := 0; p < tc.k; p++ {
				var av, bv float32
				if tc.transA {
					av = a[p*tc.lda+i]
				} else {
					av = a[i*tc.lda+p]
				}
				if tc.transB {
					bv = b[j*tc.ldb+p]
				} else {
					bv = b[p*tc.ldb+j]
				}
				s += float64(av) * float64(bv)
				abs += math.Abs(float64(av) * float64(bv))
			}
			want[i*tc.n+j] = s
			scale[i*tc.n+j] = abs
		}
	}
	return want, scale
}

const guard = float32(-12345.5)

// runGemmCase runs one case on fresh random inputs placed at an offset inside
// guard-filled buffers, and checks the result, the guards and the inputs.
func runGemmCase(t *testing.T, r *rand.Rand, tc gemmCase) {
	t.Helper()
	rowsA, colsA := tc.m, tc.k
	if tc.transA {
		rowsA, colsA = tc.k, tc.m
	}
	rowsB, colsB := tc.k, tc.n
	if tc.transB {
		rowsB, colsB = tc.n, tc.k
	}
	const off = 3 // unaligned start
	alloc := func(rows, cols, ld int) ([]float32, []float32) {
		buf := make([]float32, off+rows*ld+off)
		for i := range buf {
			buf[i] = guard
		}
		for i := 0; i < rows; i++ {
			copy(buf[off+i*ld:off+i*ld+cols], randSlice(r, cols))
		}
		return buf, buf[off : off+max(0, (rows-1)*ld+cols)]
	}
	abuf, a := alloc(rowsA, colsA, tc.lda)
	bbuf, b := alloc(rowsB, colsB, tc.ldb)
	cbuf, c := alloc(tc.m, tc.n, tc.ldc)
	a0, b0, c0 := slices.Clone(abuf), slices.Clone(bbuf), slices.Clone(c)
	want, scale := gemmRef(tc, a, b)

	Gemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, a, tc.lda, b, tc.ldb, c, tc.ldc, tc.accumulate)

	if !slices.Equal(abuf, a0) || !slices.Equal(bbuf, b0) {
		t.Fatalf("%v: inputs modified", tc)
	}
	for i := range cbuf {
		inC := i >= off && i < off+len(c)
		if inC {
			ci := i - off
			if ci%tc.ldc < tc.n && ci/tc.ldc < tc.m {
				continue
			}
			if cbuf[i] != c0[ci] {
				t.Fatalf("%v: c[%d] outside the m×n view changed to %v", tc, ci, cbuf[i])
			}
		} else if cbuf[i] != guard {
			t.Fatalf("%v: guard at %d changed to %v", tc, i, cbuf[i])
		}
	}
	const eps = 1e-6 * 8 // float32 rounding, generous for long sums
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			w := want[i*tc.n+j]
			if tc.accumulate {
				w += float64(c0[i*tc.ldc+j])
			}
			got := float64(c[i*tc.ldc+j])
			tol := eps * (scale[i*tc.n+j] + math.Abs(w) + 1e-30)
			if math.Abs(got-w) > tol {
				t.Fatalf("%v: c[%d][%d] = %v, want %v (tol %g)", tc, i, j, got, w, tol)
			}
		}
	}
}

var gemmShapes = [][3]int{
	{1, 1, 1}, {1, 67, 3}, {2, 3, 0}, {3, 1, 5}, {8, 32, 16}, {13, 33, 7},
	{67, 131, 29}, {5, 300, 513}, {130, 17, 1025}, {8, 768, 256}, {7, 100, 40},
	{25, 65, 400}, {100, 97, 3}, {5, 33, 21}, {8, 31, 47}, {2, 2, 16},
}

func TestGemm(t *testing.T) {
	shapes := gemmShapes
	if !testing.Short() {
		shapes = append(shapes, [3]int{200, 300, 800}, [3]int{1, 1025, 700}, [3]int{300, 1, 77})
	}
	for _, impl := range implementations(t) {
		for _, nt := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/threads=%d", impl, nt), func(t *testing.T) {
				SetImplementation(impl)
				withThreads(t, nt)
				r := rand.New(rand.NewPCG(1, uint64(nt)))
				for _, s := range shapes {
					for _, layout := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
						for _, acc := range []bool{false, true} {
							tc := gemmCase{transA: layout[0], transB: layout[1], m: s[0], n: s[1], k: s[2], accumulate: acc}
							colsA, colsB := tc.k, tc.n
							if tc.transA {
								colsA = tc.m
							}
							if tc.transB {
								colsB = tc.k
							}
							tc.lda, tc.ldb, tc.ldc = colsA+1+r.IntN(5), colsB+r.IntN(3), tc.n+2
							runGemmCase(t, r, tc)
						}
					}
				}
			})
		}
	}
}

// TestGemmDeterministic checks that repeated runs, and runs on different
// thread counts, give bit-identical results.
func TestGemmDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	const m, n, k = 150, 270, 700
	a, b := randSlice(r, m*k), randSlice(r, k*n)
	for _, impl := range implementations(t) {
		SetImplementation(impl)
		var first []float32
		for _, nt := range []int{1, 2, 2, 3} {
			withThreads(t, nt)
			c := make([]float32, m*n)
			MatMulNN(c, a, b, m, n, k, false)
			MatMulNT(c, a, b[:n*k], m, n, k, true)
			if first == nil {
				first = c
			} else if !slices.Equal(first, c) {
				t.Fatalf("%s: threads=%d differs from the first run", impl, nt)
			}
		}
	}
}

func TestGemmBadArgs(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("short c did not panic")
		}
	}()
	MatMulNN(make([]float32, 5), make([]float32, 6), make([]float32, 6), 2, 3, 3, false)
}

// gemmBenchShapes are 1024³ and the products a GPT with C = 256, T·B = 1024
// computes: QKV, attention projection, MLP up and down (NT forward), an input
// gradient (NN), a weight gradient (TN), and batch-8 decoding.
var gemmBenchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"NN/1024x1024x1024", false, false, 1024, 1024, 1024},
	{"NT/1024x768x256", false, true, 1024, 768, 256},
	{"NT/1024x256x256", false, true, 1024, 256, 256},
	{"NT/1024x1024x256", false, true, 1024, 1024, 256},
	{"NT/1024x256x1024", false, true, 1024, 256, 1024},
	{"NN/1024x256x768", false, false, 1024, 256, 768},
	{"TN/768x256x1024", true, false, 768, 256, 1024},
	{"NT/8x768x256", false, true, 8, 768, 256},
	{"NT/8x1024x256", false, true, 8, 1024, 256},
	{"NT/8x256x1024", false, true, 8, 256, 1024},
}

func BenchmarkGemm(b *testing.B) {
	for _, impl := range implementations(b) {
		for _, s := range gemmBenchShapes {
			b.Run(impl+"/"+s.name, func(b *testing.B) {
				SetImplementation(impl)
				benchGemm(b, Gemm, s.transA, s.transB, s.m, s.n, s.k)
			})
		}
	}
}

type gemmFunc func(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool)

func benchGemm(b *testing.B, gemm gemmFunc, transA, transB bool, m, n, k int) {
	r := rand.New(rand.NewPCG(1, 2))
	a, bm, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	b.ResetTimer()
	for b.Loop() {
		gemm(transA, transB, m, n, k, a, lda, bm, ldb, c, n, false)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
