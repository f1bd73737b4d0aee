package tensor

// Gemm computes C = op(A)·op(B), or C += op(A)·op(B) when accumulate is set.
// op(A) is m×k and op(B) is k×n; C is m×n with row stride ldc. With transA,
// A is stored k×m (row stride lda) and used transposed; likewise for B.
func Gemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	if m <= 0 || n <= 0 {
		return
	}
	ParallelFor(m, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			for j := 0; j < n; j++ {
				var s float32
				for p := 0; p < k; p++ {
					var av, bv float32
					if transA {
						av = a[p*lda+i]
					} else {
						av = a[i*lda+p]
					}
					if transB {
						bv = b[j*ldb+p]
					} else {
						bv = b[p*ldb+j]
					}
					s += av * bv
				}
				if accumulate {
					c[i*ldc+j] += s
				} else {
					c[i*ldc+j] = s
				}
			}
		}
	})
}

// MatMulNN computes C[m×n] (+)= A[m×k]·B[k×n].
func MatMulNN(c, a, b []float32, m, n, k int, accumulate bool) {
	Gemm(false, false, m, n, k, a, k, b, n, c, n, accumulate)
}

// MatMulNT computes C[m×n] (+)= A[m×k]·B[n×k]ᵀ: a linear layer's forward pass
// with weights stored (out, in).
func MatMulNT(c, a, b []float32, m, n, k int, accumulate bool) {
	Gemm(false, true, m, n, k, a, k, b, k, c, n, accumulate)
}

// MatMulTN computes C[m×n] (+)= A[k×m]ᵀ·B[k×n]: a weight gradient.
func MatMulTN(c, a, b []float32, m, n, k int, accumulate bool) {
	Gemm(true, false, m, n, k, a, m, b, n, c, n, accumulate)
}
