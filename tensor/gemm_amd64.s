//go:build amd64 && !noasm

#include "textflag.h"

// Micro-kernels: an mr×nr tile of C = Σ_p a[p][0:mr]ᵀ · b[p][0:nr], with a
// and b packed k-major (gemm.go), stored or added to C. gemmKernelGo is the
// specification.
//
// AVX-512 register plan (32 zmm), for mr = 12 (and 8):
//   Z0–Z23   accumulators, row r in Z(2r) (columns 0–15) and Z(2r+1) (16–31)
//   Z24, Z25 the 32 floats of b[p]
//   Z26, Z27 a[p][r] broadcast, alternating so consecutive rows overlap
// One p costs 2 vector loads, 12 broadcasts and 24 FMAs: 12 cycles on the two
// 512-bit FMA pipes of Zen 5, so the 14 loads and the stream of b from L2 fit
// under the FMAs. Four FMAs of latency 4 per pipe would need only 8
// accumulators; 24 leave room for out-of-order slack.
// General registers: SI a, DI b, CX p count, DX c row, R8 ldc in bytes,
// R9 accum, R10 scratch.

#define ROW512(off, t, z0, z1) VBROADCASTSS off(SI), t; VFMADD231PS Z24, t, z0; VFMADD231PS Z25, t, z1

#define PREFC512 PREFETCHT0 (R10); PREFETCHT0 64(R10); ADDQ R8, R10
#define STORE512(z0, z1) VMOVUPS z0, (DX); VMOVUPS z1, 64(DX); ADDQ R8, DX
#define ADD512(z0, z1) VADDPS (DX), z0, z0; VADDPS 64(DX), z1, z1; VMOVUPS z0, (DX); VMOVUPS z1, 64(DX); ADDQ R8, DX

// func gemmKernelAVX512(kc int, a, b, c *float32, ldc int, accum int)
TEXT ·gemmKernelAVX512(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	MOVQ accum+40(FP), R9

	// The C tile is needed only at the end; start fetching it now.
	MOVQ DX, R10
	PREFC512
	PREFC512
	PREFC512
	PREFC512
	PREFC512
	PREFC512
	PREFC512
	PREFC512
	PREFC512
	PREFC512
	PREFC512
	PREFC512

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	TESTQ CX, CX
	JZ   storegemmKernelAVX512

loopgemmKernelAVX512:
	VMOVUPS (DI), Z24
	VMOVUPS 64(DI), Z25
	// b streams from L2; ask for it eight steps (1 KB) ahead.
	PREFETCHT0 1024(DI)
	PREFETCHT0 1088(DI)
	ROW512(0, Z26, Z0, Z1)
	ROW512(4, Z27, Z2, Z3)
	ROW512(8, Z26, Z4, Z5)
	ROW512(12, Z27, Z6, Z7)
	ROW512(16, Z26, Z8, Z9)
	ROW512(20, Z27, Z10, Z11)
	ROW512(24, Z26, Z12, Z13)
	ROW512(28, Z27, Z14, Z15)
	ROW512(32, Z26, Z16, Z17)
	ROW512(36, Z27, Z18, Z19)
	ROW512(40, Z26, Z20, Z21)
	ROW512(44, Z27, Z22, Z23)
	ADDQ $48, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  loopgemmKernelAVX512

storegemmKernelAVX512:
	TESTQ R9, R9
	JNZ  addgemmKernelAVX512
	STORE512(Z0, Z1)
	STORE512(Z2, Z3)
	STORE512(Z4, Z5)
	STORE512(Z6, Z7)
	STORE512(Z8, Z9)
	STORE512(Z10, Z11)
	STORE512(Z12, Z13)
	STORE512(Z14, Z15)
	STORE512(Z16, Z17)
	STORE512(Z18, Z19)
	STORE512(Z20, Z21)
	STORE512(Z22, Z23)
	VZEROUPPER
	RET

addgemmKernelAVX512:
	ADD512(Z0, Z1)
	ADD512(Z2, Z3)
	ADD512(Z4, Z5)
	ADD512(Z6, Z7)
	ADD512(Z8, Z9)
	ADD512(Z10, Z11)
	ADD512(Z12, Z13)
	ADD512(Z14, Z15)
	ADD512(Z16, Z17)
	ADD512(Z18, Z19)
	ADD512(Z20, Z21)
	ADD512(Z22, Z23)
	VZEROUPPER
	RET

// func gemmKernelAVX512x8(kc int, a, b, c *float32, ldc int, accum int)
TEXT ·gemmKernelAVX512x8(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	MOVQ accum+40(FP), R9

	// The C tile is needed only at the end; start fetching it now.
	MOVQ DX, R10
	PREFC512
	PREFC512
	PREFC512
	PREFC512
	PREFC512
	PREFC512
	PREFC512
	PREFC512

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	TESTQ CX, CX
	JZ   storegemmKernelAVX512x8

loopgemmKernelAVX512x8:
	VMOVUPS (DI), Z24
	VMOVUPS 64(DI), Z25
	// b streams from L2; ask for it eight steps (1 KB) ahead.
	PREFETCHT0 1024(DI)
	PREFETCHT0 1088(DI)
	ROW512(0, Z26, Z0, Z1)
	ROW512(4, Z27, Z2, Z3)
	ROW512(8, Z26, Z4, Z5)
	ROW512(12, Z27, Z6, Z7)
	ROW512(16, Z26, Z8, Z9)
	ROW512(20, Z27, Z10, Z11)
	ROW512(24, Z26, Z12, Z13)
	ROW512(28, Z27, Z14, Z15)
	ADDQ $32, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  loopgemmKernelAVX512x8

storegemmKernelAVX512x8:
	TESTQ R9, R9
	JNZ  addgemmKernelAVX512x8
	STORE512(Z0, Z1)
	STORE512(Z2, Z3)
	STORE512(Z4, Z5)
	STORE512(Z6, Z7)
	STORE512(Z8, Z9)
	STORE512(Z10, Z11)
	STORE512(Z12, Z13)
	STORE512(Z14, Z15)
	VZEROUPPER
	RET

addgemmKernelAVX512x8:
	ADD512(Z0, Z1)
	ADD512(Z2, Z3)
	ADD512(Z4, Z5)
	ADD512(Z6, Z7)
	ADD512(Z8, Z9)
	ADD512(Z10, Z11)
	ADD512(Z12, Z13)
	ADD512(Z14, Z15)
	VZEROUPPER
	RET

// func gemmKernelAVX2(kc int, a, b, c *float32, ldc int, accum int)
//
// A 6×16 tile, the same scheme in 16 ymm registers:
//   Y0–Y11 accumulators, row r in Y(2r), Y(2r+1); Y12, Y13 b[p]; Y14, Y15 a[p][r].
// 2 loads, 6 broadcasts and 12 FMAs per p.

#define ROW256(off, t, y0, y1) VBROADCASTSS off(SI), t; VFMADD231PS Y12, t, y0; VFMADD231PS Y13, t, y1
#define STORE256(y0, y1) VMOVUPS y0, (DX); VMOVUPS y1, 32(DX); ADDQ R8, DX
#define ADD256(y0, y1) VADDPS (DX), y0, y0; VADDPS 32(DX), y1, y1; VMOVUPS y0, (DX); VMOVUPS y1, 32(DX); ADDQ R8, DX

TEXT ·gemmKernelAVX2(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	MOVQ accum+40(FP), R9
	// A row of the tile is 64 bytes, one or two cache lines.
	MOVQ DX, R10
	PREFETCHT0 (R10)
	PREFETCHT0 63(R10)
	ADDQ R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 63(R10)
	ADDQ R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 63(R10)
	ADDQ R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 63(R10)
	ADDQ R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 63(R10)
	ADDQ R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 63(R10)
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	TESTQ CX, CX
	JZ   store256

loop256:
	VMOVUPS (DI), Y12
	VMOVUPS 32(DI), Y13
	ROW256(0, Y14, Y0, Y1)
	ROW256(4, Y15, Y2, Y3)
	ROW256(8, Y14, Y4, Y5)
	ROW256(12, Y15, Y6, Y7)
	ROW256(16, Y14, Y8, Y9)
	ROW256(20, Y15, Y10, Y11)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  loop256

store256:
	TESTQ R9, R9
	JNZ  add256
	STORE256(Y0, Y1)
	STORE256(Y2, Y3)
	STORE256(Y4, Y5)
	STORE256(Y6, Y7)
	STORE256(Y8, Y9)
	STORE256(Y10, Y11)
	VZEROUPPER
	RET

add256:
	ADD256(Y0, Y1)
	ADD256(Y2, Y3)
	ADD256(Y4, Y5)
	ADD256(Y6, Y7)
	ADD256(Y8, Y9)
	ADD256(Y10, Y11)
	VZEROUPPER
	RET
