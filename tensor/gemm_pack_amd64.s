//go:build amd64 && !noasm

#include "textflag.h"

// Transposes for packing the operands that arrive the wrong way round: A
// rows into k-major strips, and stored-transposed B rows into k-major panels.
// Both need only AVX; they run on every machine that has the AVX2 kernel.

// func transpose8x8(src *float32, lds int, dst *float32, ldd int, nblk int)
//
// For q < nblk, r, c < 8: dst[(8q+c)*ldd + r] = src[r*lds + 8q + c].
// Rows r0–r7 load into Y0–Y7; unpck pairs rows (Y8–Y15), shufps gathers
// four rows of a column in each 128-bit lane (Y0–Y7 again), and vperm2f128
// joins the two lanes that hold rows 0–3 and 4–7 of the same column.
//   SI src, DI dst, AX lds bytes, BX 3·lds, R8 src+4·lds, DX ldd bytes, CX nblk
TEXT ·transpose8x8(SB), NOSPLIT, $0-40
	MOVQ src+0(FP), SI
	MOVQ lds+8(FP), AX
	MOVQ dst+16(FP), DI
	MOVQ ldd+24(FP), DX
	MOVQ nblk+32(FP), CX
	SHLQ $2, AX
	SHLQ $2, DX
	LEAQ (AX)(AX*2), BX
	LEAQ (SI)(AX*4), R8
	TESTQ CX, CX
	JZ   done8

loop8:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(AX*1), Y1
	VMOVUPS (SI)(AX*2), Y2
	VMOVUPS (SI)(BX*1), Y3
	VMOVUPS (R8), Y4
	VMOVUPS (R8)(AX*1), Y5
	VMOVUPS (R8)(AX*2), Y6
	VMOVUPS (R8)(BX*1), Y7
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	VMOVUPS Y8, (DI)
	ADDQ DX, DI
	VMOVUPS Y9, (DI)
	ADDQ DX, DI
	VMOVUPS Y10, (DI)
	ADDQ DX, DI
	VMOVUPS Y11, (DI)
	ADDQ DX, DI
	VMOVUPS Y12, (DI)
	ADDQ DX, DI
	VMOVUPS Y13, (DI)
	ADDQ DX, DI
	VMOVUPS Y14, (DI)
	ADDQ DX, DI
	VMOVUPS Y15, (DI)
	ADDQ DX, DI
	ADDQ $32, SI
	ADDQ $32, R8
	DECQ CX
	JNZ  loop8

done8:
	VZEROUPPER
	RET

// func transpose4x8(src *float32, lds int, dst *float32, ldd int, nblk int)
//
// For q < nblk, r < 4, c < 8: dst[(8q+c)*ldd + r] = src[r*lds + 8q + c].
// The same unpck/shufps steps on four rows leave column c in the low lane
// and column c+4 in the high lane of one register.
TEXT ·transpose4x8(SB), NOSPLIT, $0-40
	MOVQ src+0(FP), SI
	MOVQ lds+8(FP), AX
	MOVQ dst+16(FP), DI
	MOVQ ldd+24(FP), DX
	MOVQ nblk+32(FP), CX
	SHLQ $2, AX
	SHLQ $2, DX
	LEAQ (AX)(AX*2), BX
	LEAQ (DX)(DX*2), R9
	TESTQ CX, CX
	JZ   done4

loop4:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(AX*1), Y1
	VMOVUPS (SI)(AX*2), Y2
	VMOVUPS (SI)(BX*1), Y3
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VMOVUPS X0, (DI)
	VMOVUPS X1, (DI)(DX*1)
	VMOVUPS X2, (DI)(DX*2)
	VMOVUPS X3, (DI)(R9*1)
	LEAQ (DI)(DX*4), DI
	VEXTRACTF128 $1, Y0, (DI)
	VEXTRACTF128 $1, Y1, (DI)(DX*1)
	VEXTRACTF128 $1, Y2, (DI)(DX*2)
	VEXTRACTF128 $1, Y3, (DI)(R9*1)
	LEAQ (DI)(DX*4), DI
	ADDQ $32, SI
	DECQ CX
	JNZ  loop4

done4:
	VZEROUPPER
	RET

// func copyRows12(src *float32, lds int, dst *float32, n int)
//
// For p < n, j < 12: dst[12p + j] = src[p*lds + j]: packing a 12-row strip
// of a transposed A, one call instead of a 48-byte copy per k.
TEXT ·copyRows12(SB), NOSPLIT, $0-32
	MOVQ src+0(FP), SI
	MOVQ lds+8(FP), AX
	MOVQ dst+16(FP), DI
	MOVQ n+24(FP), CX
	SHLQ $2, AX
	TESTQ CX, CX
	JZ   done12

loop12:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), X1
	VMOVUPS Y0, (DI)
	VMOVUPS X1, 32(DI)
	ADDQ AX, SI
	ADDQ $48, DI
	DECQ CX
	JNZ  loop12

done12:
	VZEROUPPER
	RET

// func copyRows32(src *float32, lds int, dst *float32, n int)
//
// For p < n, j < 32: dst[32p + j] = src[p*lds + j]: packing a 32-column
// panel of B, one call instead of a 128-byte copy per k.
TEXT ·copyRows32(SB), NOSPLIT, $0-32
	MOVQ src+0(FP), SI
	MOVQ lds+8(FP), AX
	MOVQ dst+16(FP), DI
	MOVQ n+24(FP), CX
	SHLQ $2, AX
	TESTQ CX, CX
	JZ   done32

loop32:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ AX, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  loop32

done32:
	VZEROUPPER
	RET
