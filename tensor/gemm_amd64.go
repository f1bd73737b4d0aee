//go:build amd64 && !noasm

package tensor

// Micro-kernels in gemm_amd64.s; see gemmKernelGo for what they compute.
//
//go:noescape
func gemmKernelAVX512(kc int, a, b, c *float32, ldc int, accum int)

//go:noescape
func gemmKernelAVX512x8(kc int, a, b, c *float32, ldc int, accum int)

//go:noescape
func gemmKernelAVX2(kc int, a, b, c *float32, ldc int, accum int)

var (
	gemmAVX512 = gemmImpl{mr: 12, nr: 32, kern: gemmKernelAVX512, asmPack: true}
	// For m ≤ 8, batched decoding: a third of the 12-row tile would be padding.
	gemmAVX512x8 = gemmImpl{mr: 8, nr: 32, kern: gemmKernelAVX512x8, asmPack: true}
	gemmAVX2     = gemmImpl{mr: 6, nr: 16, kern: gemmKernelAVX2, asmPack: true}
)

func gemmImplementation(m int) gemmImpl {
	switch {
	case useAVX512 && m <= 8:
		return gemmAVX512x8
	case useAVX512:
		return gemmAVX512
	case useAVX2:
		return gemmAVX2
	}
	return gemmGo
}

// Packing transposes in gemm_pack_amd64.s; transpose in gemm.go has the
// pure-Go loop they replace.
//
//go:noescape
func transpose8x8(src *float32, lds int, dst *float32, ldd int, nblk int)

//go:noescape
func transpose4x8(src *float32, lds int, dst *float32, ldd int, nblk int)

//go:noescape
func copyRows12(src *float32, lds int, dst *float32, n int)

//go:noescape
func copyRows32(src *float32, lds int, dst *float32, n int)
