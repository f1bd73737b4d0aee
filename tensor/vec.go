package tensor

import (
	"math"
	"sync"
)

// This file holds the vector primitives the row kernels are built from. Each
// exported function checks its arguments and hands the work to a dispatcher
// (dot, axpy, ...) defined in vec_amd64.go (assembly, chosen at run time by
// useAVX512/useAVX2) or vec_generic.go (pure Go). The *Go functions below are
// the pure-Go twins of the assembly: they are the specification, and they run
// when SetImplementation("go") is in force or the build has no assembly.

// Dot returns the inner product of x and y[:len(x)].
func Dot(x, y []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	return dot(x, y[:len(x)])
}

// Axpy computes y += alpha·x over len(x) elements.
func Axpy(alpha float32, x, y []float32) {
	if len(x) == 0 {
		return
	}
	axpy(alpha, x, y[:len(x)])
}

// Scale computes x *= alpha.
func Scale(alpha float32, x []float32) {
	if len(x) == 0 {
		return
	}
	scale(alpha, x)
}

// Sum returns the sum of the elements of x.
func Sum(x []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	return sum(x)
}

// Max returns the largest element of x, or −Inf when x is empty.
func Max(x []float32) float32 {
	if len(x) == 0 {
		return float32(math.Inf(-1))
	}
	return maxf(x)
}

// ExpSum writes exp(a·x[i] + b) to dst[i] and returns the sum of those values.
// dst may alias x, and may be nil when only the sum is wanted. It is the core
// of a softmax: with b = −a·max(x) no term exceeds 1.
func ExpSum(dst, x []float32, a, b float32) float32 {
	if len(x) == 0 {
		return 0
	}
	if dst == nil {
		var tmp [256]float32
		var s float32
		for len(x) > 0 {
			n := min(len(x), len(tmp))
			s += expSum(tmp[:n], x[:n], a, b)
			x = x[n:]
		}
		return s
	}
	return expSum(dst[:len(x)], x, a, b)
}

// VecMat computes y[j] = Σₚ x[p]·B[p·ldb + j] for j < n and p < k (adding to
// y when accumulate is set): the row vector x times the k×n matrix B stored
// with row stride ldb. Attention is made of these products.
func VecMat(y, x, b []float32, k, n, ldb int, accumulate bool) {
	if n <= 0 {
		return
	}
	if k <= 0 {
		if !accumulate {
			clear(y[:n])
		}
		return
	}
	if ldb < n {
		panic("tensor: VecMat ldb < n")
	}
	vecMat(y[:n], x[:k], b[:(k-1)*ldb+n], k, n, ldb, accumulate)
}

// VecMat2 is VecMat for two row vectors against the same matrix,
// y0 (+)= x0·B and y1 (+)= x1·B, reading B once.
func VecMat2(y0, y1, x0, x1, b []float32, k, n, ldb int, accumulate bool) {
	if n <= 0 {
		return
	}
	if k <= 0 {
		if !accumulate {
			clear(y0[:n])
			clear(y1[:n])
		}
		return
	}
	if ldb < n {
		panic("tensor: VecMat2 ldb < n")
	}
	vecMat2(y0[:n], y1[:n], x0[:k], x1[:k], b[:(k-1)*ldb+n], k, n, ldb, accumulate)
}

// dotGo returns the inner product of x and y; len(y) ≥ len(x) > 0.
func dotGo(x, y []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpyGo computes y += alpha·x; len(y) ≥ len(x).
func axpyGo(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// scaleGo computes x *= alpha.
func scaleGo(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

// sumGo returns the sum of x.
func sumGo(x []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i]
		s1 += x[i+1]
		s2 += x[i+2]
		s3 += x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// maxGo returns the largest element of a non-empty x.
func maxGo(x []float32) float32 {
	m := x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
	}
	return m
}

// expSumGo writes exp(a·x[i] + b) to dst[i] and returns their sum; dst may
// alias x.
func expSumGo(dst, x []float32, a, b float32) float32 {
	dst = dst[:len(x)]
	var s float32
	for i, v := range x {
		e := expf(a*v + b)
		dst[i] = e
		s += e
	}
	return s
}

// vecMatGo computes y[j] (+)= Σₚ x[p]·b[p·ldb + j] for j < n, p < k.
func vecMatGo(y, x, b []float32, k, n, ldb int, acc bool) {
	y = y[:n]
	if !acc {
		clear(y)
	}
	for p, xv := range x[:k] {
		axpyGo(xv, b[p*ldb:p*ldb+n], y)
	}
}

// Constants of expf: exp(x) = 2^k · exp(r) with k = round(x·log₂e) and
// r = x − k·ln2 (ln2 split in two so k·ln2Hi is exact), |r| ≤ ln2/2; exp(r)
// is its Taylor polynomial of degree 7, whose remainder is below 6e-9.
// The assembly versions use the same constants.
const (
	expLog2e = 1.44269504088896341
	expLn2Hi = 0.693359375
	expLn2Lo = -2.12194440e-4
	expMin   = -104     // exp(x) underflows to 0 below about −103.3
	expMax   = 88.72283 // and overflows above 88.7228391
)

// expf returns e^x in float32 with a relative error of a few ulp.
func expf(x float32) float32 {
	if x != x {
		return x
	}
	if x < -87.3 {
		if x < expMin {
			return 0
		}
		// Denormal results: rare, so let float64 handle them.
		return float32(math.Exp(float64(x)))
	}
	if x > expMax {
		return float32(math.Inf(1))
	}
	k := float32(math.RoundToEven(float64(x * expLog2e)))
	r := x - k*expLn2Hi
	r -= k * expLn2Lo
	p := float32(1.0 / 5040)
	p = p*r + 1.0/720
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r + 1
	p = p*r + 1
	return math.Float32frombits(math.Float32bits(p) + uint32(int32(k))<<23)
}

// rowBufs recycles the kernels' scratch buffers so the hot paths do not
// allocate.
var rowBufs sync.Pool

// getRowBuf returns a buffer of n float32s with arbitrary contents.
func getRowBuf(n int) *[]float32 {
	if p, ok := rowBufs.Get().(*[]float32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	s := make([]float32, n)
	return &s
}

func putRowBuf(p *[]float32) { rowBufs.Put(p) }
