package tensor

import (
	"fmt"
	"math"
)

// Weights in bfloat16 for decoding. A bfloat16 is the top 16 bits of a
// float32, so a float32 weight whose low 16 bits are zero (every weight of a
// checkpoint shipped in bf16, as most are) is stored in half the bytes with
// nothing lost. Decoding one token reads every weight once and little else,
// so its speed is set by the bytes read: MatMulNTBF16 widens the weights in
// registers and gives bit for bit what MatMulNT gives on the float32 ones.

// ToBF16Exact writes src into dst as bfloat16 and reports whether every value
// was exactly a bfloat16. It stops at the first that is not; dst is then
// only partly written.
func ToBF16Exact(dst []uint16, src []float32) bool {
	dst = dst[:len(src)]
	for i, v := range src {
		b := math.Float32bits(v)
		if b&0xffff != 0 {
			return false
		}
		dst[i] = uint16(b >> 16)
	}
	return true
}

// IsBF16 reports whether every value of x is exactly a bfloat16.
func IsBF16(x []float32) bool {
	for _, v := range x {
		if math.Float32bits(v)&0xffff != 0 {
			return false
		}
	}
	return true
}

// SameAsBF16 reports whether every value of f32 is the widened value of
// b16: whether b16 is still a copy of f32.
func SameAsBF16(f32 []float32, b16 []uint16) bool {
	if len(f32) != len(b16) {
		return false
	}
	for i, v := range f32 {
		if math.Float32bits(v) != uint32(b16[i])<<16 {
			return false
		}
	}
	return true
}

// FastBF16 reports whether MatMulNTBF16 reads the bfloat16 weights directly
// for m rows of k inputs. When it does not, MatMulNTBF16 widens them first
// and is slower than MatMulNT on the float32 weights, so a caller that has
// both uses those.
func FastBF16(m, k int) bool { return fastBF16(m, k) }

// MatMulNTBF16 computes C[m×n] (+)= A[m×k]·Wᵀ for W[n×k] stored as
// bfloat16: bit for bit MatMulNT of the widened W, on every implementation.
func MatMulNTBF16(c, a []float32, w []uint16, m, n, k int, accumulate bool) {
	if m <= 0 || n <= 0 {
		return
	}
	k = max(k, 0)
	if len(a) < m*k || len(w) < n*k || len(c) < m*n {
		panic(fmt.Sprintf("tensor: MatMulNTBF16: len(c), len(a), len(w) = %d, %d, %d for m, n, k = %d, %d, %d", len(c), len(a), len(w), m, n, k))
	}
	if k > 0 && gemmSkinnyBF16(m, n, k, a, k, w, k, c, n, accumulate) {
		return
	}
	wide := make([]float32, n*k)
	for i, v := range w[:n*k] {
		wide[i] = math.Float32frombits(uint32(v) << 16)
	}
	MatMulNT(c, a, wide, m, n, k, accumulate)
}
