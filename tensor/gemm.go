package tensor

import (
	"fmt"
	"sync"
)

// Gemm follows the GotoBLAS/BLIS plan. C is cut into column blocks of nc
// columns; the k dimension into blocks of kc; for each (column block, k block)
// pair the kc×nc block of op(B) is packed into panels of nr columns stored
// k-major, sized to stay in L2, and every mr-row strip of op(A) is packed the
// same way right before use, so it stays in L1 while the micro-kernel sweeps
// it across all the B panels. Packing absorbs both transposes and the ragged
// edges (panels are zero-padded), so one register-blocked micro-kernel per
// instruction set covers all four layouts; tiles that stick out of C are
// computed into a small scratch tile and copied.
//
// Batched decoding (m ≤ 8, weights stored transposed) takes a path of its
// own with AVX-512, gemmSkinny, that reads each weight once without packing.
//
// Work is split between workers by rows or columns of C only, never along k,
// and the k blocks depend only on k: every element of C is summed in the same
// order whatever the thread count, so results are bit-identical across thread
// counts, not only across runs.

// gemmKernel computes the mr×nr tile c = a·b (or c += a·b when accum is 1)
// from a packed A strip (kc×mr, k-major) and a packed B panel (kc×nr).
type gemmKernel func(kc int, a, b, c *float32, ldc int, accum int)

type gemmImpl struct {
	mr, nr  int
	kern    gemmKernel
	asmPack bool // use the assembly transposes for packing
}

// Cache blocking. A kc×mr strip of A (12×384×4 = 18 KB for AVX-512) sits in
// the 48 KB L1d next to the B panel being streamed; the kc×nc block of B
// (≤ 768 KB) stays in the 1 MB per-core L2 of Zen 5.
const (
	gemmMaxKC = 384
	gemmMaxNC = 512
)

// gemmSmall is the work (m·n·k) below which a call runs on one worker: waking
// the pool costs one to a few microseconds, the time one core takes for about
// 2¹⁸ multiply-adds.
const gemmSmall = 1 << 18

// Gemm computes C = op(A)·op(B), or C += op(A)·op(B) when accumulate is set.
// op(A) is m×k and op(B) is k×n; C is m×n with row stride ldc. With transA,
// A is stored k×m (row stride lda) and used transposed; likewise for B.
// With k = 0, C is zeroed (or left unchanged when accumulating).
func Gemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	if m <= 0 || n <= 0 {
		return
	}
	if k < 0 {
		k = 0
	}
	checkGemmArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if k == 0 {
		if !accumulate {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	if gemmSkinny(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate) {
		return
	}
	impl := gemmImplementation(m)
	w := Threads()
	if m*n*k < gemmSmall {
		w = 1
	}
	tm, tn := (m+impl.mr-1)/impl.mr, (n+impl.nr-1)/impl.nr
	splitRows := tm >= tn || tn < w
	tiles := tn
	if splitRows {
		tiles = tm
	}
	if w > tiles {
		w = tiles
	}
	g := gemmArgs{transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, impl}
	if w <= 1 {
		g.block(0, m, 0, n)
		return
	}
	ParallelFor(w, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			t0, t1 := t*tiles/w, (t+1)*tiles/w
			if splitRows {
				g.block(t0*impl.mr, min(t1*impl.mr, m), 0, n)
			} else {
				g.block(0, m, t0*impl.nr, min(t1*impl.nr, n))
			}
		}
	})
}

func checkGemmArgs(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	check := func(name string, s []float32, rows, cols, ld int) {
		if rows == 0 || cols == 0 {
			return
		}
		if ld < cols {
			panic(fmt.Sprintf("tensor: Gemm: ld%s = %d < %d", name, ld, cols))
		}
		if need := (rows-1)*ld + cols; len(s) < need {
			panic(fmt.Sprintf("tensor: Gemm: len(%s) = %d < %d", name, len(s), need))
		}
	}
	if transA {
		check("a", a, k, m, lda)
	} else {
		check("a", a, m, k, lda)
	}
	if transB {
		check("b", b, n, k, ldb)
	} else {
		check("b", b, k, n, ldb)
	}
	check("c", c, m, n, ldc)
}

type gemmArgs struct {
	transA, transB bool
	m, n, k        int
	a              []float32
	lda            int
	b              []float32
	ldb            int
	c              []float32
	ldc            int
	accumulate     bool
	impl           gemmImpl
}

type gemmScratch struct {
	a, b, tile []float32
}

var gemmScratchPool = sync.Pool{New: func() any {
	return &gemmScratch{
		a:    make([]float32, gemmMaxMR*gemmMaxKC),
		b:    make([]float32, gemmMaxKC*gemmMaxNC),
		tile: make([]float32, gemmMaxMR*gemmMaxNR),
	}
}}

// Upper bounds of mr and nr over all implementations, for scratch sizes.
const (
	gemmMaxMR = 12
	gemmMaxNR = 32
)

// kBlocks splits k into equal blocks of at most gemmMaxKC, so that no block
// is a sliver; the split depends only on k.
func kBlocks(k int) (kc int) {
	nb := (k + gemmMaxKC - 1) / gemmMaxKC
	return (k + nb - 1) / nb
}

// block computes rows [i0,i1) × columns [j0,j1) of C.
func (g *gemmArgs) block(i0, i1, j0, j1 int) {
	s := gemmScratchPool.Get().(*gemmScratch)
	defer gemmScratchPool.Put(s)
	mr, nr, kern := g.impl.mr, g.impl.nr, g.impl.kern
	kcMax := kBlocks(g.k)
	for jc := j0; jc < j1; jc += gemmMaxNC {
		nc := min(gemmMaxNC, j1-jc)
		for pc := 0; pc < g.k; pc += kcMax {
			kc := min(kcMax, g.k-pc)
			accum := 0
			if pc > 0 || g.accumulate {
				accum = 1
			}
			for jr := 0; jr < nc; jr += nr {
				packB(s.b[jr*kc:(jr+nr)*kc], g.transB, g.b, g.ldb, pc, kc, jc+jr, min(nr, nc-jr), nr, g.impl.asmPack)
			}
			for ir := i0; ir < i1; ir += mr {
				rows := min(mr, i1-ir)
				packA(s.a[:mr*kc], g.transA, g.a, g.lda, ir, rows, pc, kc, mr, g.impl.asmPack)
				for jr := 0; jr < nc; jr += nr {
					cols := min(nr, nc-jr)
					ci := ir*g.ldc + jc + jr
					if rows == mr && cols == nr {
						kern(kc, &s.a[0], &s.b[jr*kc], &g.c[ci], g.ldc, accum)
						continue
					}
					kern(kc, &s.a[0], &s.b[jr*kc], &s.tile[0], nr, 0)
					for r := 0; r < rows; r++ {
						dst := g.c[ci+r*g.ldc : ci+r*g.ldc+cols]
						src := s.tile[r*nr : r*nr+cols]
						if accum == 1 {
							for j, v := range src {
								dst[j] += v
							}
						} else {
							copy(dst, src)
						}
					}
				}
			}
		}
	}
}

// packA stores rows [i0, i0+rows) and columns [p0, p0+kc) of op(A) k-major:
// dst[p*mr+r] = op(A)[i0+r][p0+p], with rows past the edge zeroed.
func packA(dst []float32, trans bool, a []float32, lda, i0, rows, p0, kc, mr int, fast bool) {
	dst = dst[:kc*mr]
	if rows < mr {
		clear(dst)
	}
	if !trans {
		transpose(dst, mr, a[i0*lda+p0:], lda, rows, kc, fast)
		return
	}
	if rows == 12 && mr == 12 {
		if fast {
			_ = a[(p0+kc-1)*lda+i0+11]
			copyRows12(&a[p0*lda+i0], lda, &dst[0], kc)
			return
		}
		for p := 0; p < kc; p++ {
			*(*[12]float32)(dst[p*12:]) = [12]float32(a[(p0+p)*lda+i0:])
		}
		return
	}
	for p := 0; p < kc; p++ {
		copy(dst[p*mr:p*mr+rows], a[(p0+p)*lda+i0:(p0+p)*lda+i0+rows])
	}
}

// packB stores rows [p0, p0+kc) and columns [j0, j0+cols) of op(B) k-major:
// dst[p*nr+j] = op(B)[p0+p][j0+j], with columns past the edge zeroed.
func packB(dst []float32, trans bool, b []float32, ldb, p0, kc, j0, cols, nr int, fast bool) {
	dst = dst[:kc*nr]
	if cols < nr {
		clear(dst)
	}
	if trans {
		transpose(dst, nr, b[j0*ldb+p0:], ldb, cols, kc, fast)
		return
	}
	if cols == 32 && nr == 32 {
		if fast {
			_ = b[(p0+kc-1)*ldb+j0+31]
			copyRows32(&b[p0*ldb+j0], ldb, &dst[0], kc)
			return
		}
		for p := 0; p < kc; p++ {
			*(*[32]float32)(dst[p*32:]) = [32]float32(b[(p0+p)*ldb+j0:])
		}
		return
	}
	for p := 0; p < kc; p++ {
		copy(dst[p*nr:p*nr+cols], b[(p0+p)*ldb+j0:(p0+p)*ldb+j0+cols])
	}
}

// transpose sets dst[c*ldd+r] = src[r*lds+c] for r < rows, c < cols, with
// the assembly 8×8 and 4×8 block transposes where fast is set.
func transpose(dst []float32, ldd int, src []float32, lds int, rows, cols int, fast bool) {
	r, c8 := 0, 0
	if fast {
		c8 = cols &^ 7
		if c8 > 0 {
			for ; r+8 <= rows; r += 8 {
				transpose8x8(&src[r*lds], lds, &dst[r], ldd, c8/8)
			}
			for ; r+4 <= rows; r += 4 {
				transpose4x8(&src[r*lds], lds, &dst[r], ldd, c8/8)
			}
		}
	}
	for ; r < rows; r++ {
		s := src[r*lds : r*lds+c8]
		d := dst[r:]
		for c, v := range s {
			d[c*ldd] = v
		}
	}
	for r := 0; r < rows && c8 < cols; r++ {
		s := src[r*lds+c8 : r*lds+cols]
		d := dst[c8*ldd+r:]
		for c, v := range s {
			d[c*ldd] = v
		}
	}
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
