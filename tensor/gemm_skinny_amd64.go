//go:build amd64 && !noasm

package tensor

import "sync"

// gemmDotAVX512 is in gemm_dot_amd64.s.
//
//go:noescape
func gemmDotAVX512(k int, a *float32, lda int, b *float32, ldb int, out *float32)

// gemmDotBF16AVX512 is in gemm_dot_amd64.s.
//
//go:noescape
func gemmDotBF16AVX512(k int, a *float32, lda int, b *uint16, ldb int, out *float32)

// gemmSkinny computes C (+)= A·Bᵀ for m ≤ 8 (batched decoding, weights
// stored (out, in)) as dot products along k, two rows of B at a time. The
// packed path would transpose all of B into panels to do a third of the work
// on it; here each weight is read once and used for all m rows. It reports
// false for calls it does not handle.
func gemmSkinny(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) bool {
	if !useAVX512 || transA || !transB || m > 8 || k < 16 {
		return false
	}
	skinnyRows(m, n, k, a, lda, ldb, c, ldc, accumulate, func(ap []float32, ldap, j, ldbj int, out *[16]float32) {
		gemmDotAVX512(k, &ap[0], ldap, &b[j*ldb], ldbj, &out[0])
	})
	return true
}

// fastBF16 reports whether gemmSkinnyBF16 handles m rows of k.
func fastBF16(m, k int) bool { return useAVX512 && m <= 8 && k >= 16 && k%16 == 0 }

// gemmSkinnyBF16 is gemmSkinny with B stored as bfloat16, bit for bit
// gemmSkinny on the widened B. It reports false for calls it does not
// handle (see fastBF16).
func gemmSkinnyBF16(m, n, k int, a []float32, lda int, b []uint16, ldb int, c []float32, ldc int, accumulate bool) bool {
	if !fastBF16(m, k) {
		return false
	}
	skinnyRows(m, n, k, a, lda, ldb, c, ldc, accumulate, func(ap []float32, ldap, j, ldbj int, out *[16]float32) {
		gemmDotBF16AVX512(k, &ap[0], ldap, &b[j*ldb], ldbj, &out[0])
	})
	return true
}

// skinnyRows runs dot over the pairs of B's rows (j, j+1), split across the
// workers, and stores the m×2 sums of each into C. dot gets A padded to 8
// rows and the stride from row j to the pair's second row: ldb, or 0 for the
// lone row of an odd n (it is read twice and the second sum dropped).
func skinnyRows(m, n, k int, a []float32, lda, ldb int, c []float32, ldc int, accumulate bool,
	dot func(ap []float32, ldap, j, ldbj int, out *[16]float32)) {
	w := Threads()
	if m*n*k < gemmSmall {
		w = 1
	}
	pairs := (n + 1) / 2
	w = min(w, pairs)
	run := func(j0, j1 int) {
		s := skinnyScratch.Get().(*[]float32)
		defer skinnyScratch.Put(s)
		ap, ldap := a, lda
		if m < 8 {
			// The kernel reads 8 rows: pad A with zero rows.
			if cap(*s) < 8*k {
				*s = make([]float32, 8*k)
			}
			ap, ldap = (*s)[:8*k], k
			clear(ap[m*k:])
			for i := 0; i < m; i++ {
				copy(ap[i*k:(i+1)*k], a[i*lda:i*lda+k])
			}
		}
		var out [16]float32
		for j := j0; j < j1; j += 2 {
			ldbj := ldb
			if j+1 == n {
				ldbj = 0
			}
			dot(ap, ldap, j, ldbj, &out)
			for i := 0; i < m; i++ {
				for jj := 0; jj < 2 && j+jj < n; jj++ {
					reg := 2*i + jj
					v := out[(reg%4)*4+reg/4]
					if accumulate {
						c[i*ldc+j+jj] += v
					} else {
						c[i*ldc+j+jj] = v
					}
				}
			}
		}
	}
	if w <= 1 {
		run(0, n)
		return
	}
	ParallelFor(w, func(lo, hi int) {
		run(2*(lo*pairs/w), min(n, 2*(hi*pairs/w)))
	})
}

var skinnyScratch = sync.Pool{New: func() any { return new([]float32) }}
