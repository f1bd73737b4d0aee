//go:build !amd64 || noasm

package tensor

func gemmImplementation(m int) gemmImpl { return gemmGo }

// Without assembly gemmImpl.asmPack is never set, so these are unreachable.
func transpose8x8(src *float32, lds int, dst *float32, ldd int, nblk int) { panic("unreachable") }
func transpose4x8(src *float32, lds int, dst *float32, ldd int, nblk int) { panic("unreachable") }
func copyRows12(src *float32, lds int, dst *float32, n int)               { panic("unreachable") }
func copyRows32(src *float32, lds int, dst *float32, n int)               { panic("unreachable") }

func gemmSkinny(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool) bool {
	return false
}

func fastBF16(m, k int) bool { return false }

func gemmSkinnyBF16(m, n, k int, a []float32, lda int, b []uint16, ldb int, c []float32, ldc int, accumulate bool) bool {
	return false
}
