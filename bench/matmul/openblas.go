//go:build openblas && cgo

package main

// OpenBLAS lives here rather than in package tensor because Go refuses Go
// assembly files in a package that uses cgo.

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

// openBLASGemm has tensor.Gemm's signature and semantics, computed by
// cblas_sgemm (alpha 1, beta 0 or 1).
func openBLASGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) {
	ta, tb := uint32(C.CblasNoTrans), uint32(C.CblasNoTrans)
	if transA {
		ta = C.CblasTrans
	}
	if transB {
		tb = C.CblasTrans
	}
	beta := C.float(0)
	if accumulate {
		beta = 1
	}
	C.cblas_sgemm(C.CblasRowMajor, C.enum_CBLAS_TRANSPOSE(ta), C.enum_CBLAS_TRANSPOSE(tb),
		C.blasint(m), C.blasint(n), C.blasint(k), 1,
		(*C.float)(&a[0]), C.blasint(lda), (*C.float)(&b[0]), C.blasint(ldb),
		beta, (*C.float)(&c[0]), C.blasint(ldc))
}

func init() {
	reference = openBLASGemm
	referenceName = "OpenBLAS " + C.GoString(C.openblas_get_config()) + " core=" + C.GoString(C.openblas_get_corename())
}
