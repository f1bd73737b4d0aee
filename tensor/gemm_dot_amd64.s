//go:build amd64 && !noasm

#include "textflag.h"

// func gemmDotAVX512(k int, a *float32, lda int, b *float32, ldb int, out *float32)
//
// The skinny NT product of batched decoding: for r < 8 and j < 2,
// sum(Z(2r+j)) = Σ_p a[r*lda+p]·b[j*ldb+p], with no packing, so each weight
// row is read exactly once, straight from memory. The 16 sums leave in a
// transposed order, out[(i%4)*4 + i/4] = sum(Zi); see gemmSkinny.
//
// Register plan: Z0–Z15 accumulators (16 lanes of p each), Z16, Z17 the two
// b rows, Z18 one a row, Z19–Z31 the reduction. K1 masks the k%16 tail, so
// nothing past a row is read.
//   SI a rows 0–3 (R13 = 3·lda bytes, AX = lda bytes), R11 a rows 4–7,
//   DI b row 0, R12 ldb bytes, CX count of whole 16-float steps.
#define DOTROW(addr, z0, z1) VMOVUPS addr, Z18; VFMADD231PS Z16, Z18, z0; VFMADD231PS Z17, Z18, z1
#define DOTROWM(addr, z0, z1) VMOVUPS.Z addr, K1, Z18; VFMADD231PS Z16, Z18, z0; VFMADD231PS Z17, Z18, z1

// Pairs: [lo+hi halves of za | lo+hi halves of zb].
#define HALVE(za, zb, d) VSHUFF32X4 $0x44, zb, za, Z30; VSHUFF32X4 $0xEE, zb, za, Z31; VADDPS Z31, Z30, d
// Quarters: [za.q0+q1, za.q2+q3, zb.q0+q1, zb.q2+q3].
#define QUARTER(za, zb, d) VSHUFF32X4 $0x88, zb, za, Z30; VSHUFF32X4 $0xDD, zb, za, Z31; VADDPS Z31, Z30, d
// In each 128-bit lane: [za0+za1, za2+za3, zb0+zb1, zb2+zb3].
#define PAIRS(za, zb, d) VSHUFPS $0x88, zb, za, Z30; VSHUFPS $0xDD, zb, za, Z31; VADDPS Z31, Z30, d

// The parts both kernels share: the arguments (AX = lda bytes), zeroed
// accumulators, one 16-wide step over the 8 a rows against Z16 and Z17, and
// the reduction of the 16 accumulators into out.
#define LOADARGS MOVQ k+0(FP), CX; MOVQ a+8(FP), SI; MOVQ lda+16(FP), AX; MOVQ b+24(FP), DI; MOVQ ldb+32(FP), R12; MOVQ out+40(FP), DX; SHLQ $2, AX
#define ZERO16 VPXORD Z0, Z0, Z0; VPXORD Z1, Z1, Z1; VPXORD Z2, Z2, Z2; VPXORD Z3, Z3, Z3; VPXORD Z4, Z4, Z4; VPXORD Z5, Z5, Z5; VPXORD Z6, Z6, Z6; VPXORD Z7, Z7, Z7; VPXORD Z8, Z8, Z8; VPXORD Z9, Z9, Z9; VPXORD Z10, Z10, Z10; VPXORD Z11, Z11, Z11; VPXORD Z12, Z12, Z12; VPXORD Z13, Z13, Z13; VPXORD Z14, Z14, Z14; VPXORD Z15, Z15, Z15
#define DOT8ROWS DOTROW((SI), Z0, Z1); DOTROW((SI)(AX*1), Z2, Z3); DOTROW((SI)(AX*2), Z4, Z5); DOTROW((SI)(R13*1), Z6, Z7); DOTROW((R11), Z8, Z9); DOTROW((R11)(AX*1), Z10, Z11); DOTROW((R11)(AX*2), Z12, Z13); DOTROW((R11)(R13*1), Z14, Z15)
#define REDUCE16 HALVE(Z0, Z1, Z19); HALVE(Z2, Z3, Z20); HALVE(Z4, Z5, Z21); HALVE(Z6, Z7, Z22); HALVE(Z8, Z9, Z23); HALVE(Z10, Z11, Z24); HALVE(Z12, Z13, Z25); HALVE(Z14, Z15, Z26); QUARTER(Z19, Z20, Z0); QUARTER(Z21, Z22, Z2); QUARTER(Z23, Z24, Z4); QUARTER(Z25, Z26, Z6); PAIRS(Z0, Z2, Z1); PAIRS(Z4, Z6, Z3); PAIRS(Z1, Z3, Z5); VMOVUPS Z5, (DX)

TEXT ·gemmDotAVX512(SB), NOSPLIT, $0-48
	LOADARGS
	SHLQ $2, R12
	LEAQ (AX)(AX*2), R13
	LEAQ (SI)(AX*4), R11
	MOVQ CX, R9
	ANDQ $15, R9
	SHRQ $4, CX
	ZERO16
	TESTQ CX, CX
	JZ   tail

loop:
	VMOVUPS (DI), Z16
	VMOVUPS (DI)(R12*1), Z17
	DOT8ROWS
	ADDQ $64, SI
	ADDQ $64, R11
	ADDQ $64, DI
	DECQ CX
	JNZ  loop

tail:
	TESTQ R9, R9
	JZ   reduce
	MOVQ R9, CX
	MOVL $1, R10
	SHLQ CX, R10
	DECQ R10
	KMOVW R10, K1
	VMOVUPS.Z (DI), K1, Z16
	VMOVUPS.Z (DI)(R12*1), K1, Z17
	DOTROWM((SI), Z0, Z1)
	DOTROWM((SI)(AX*1), Z2, Z3)
	DOTROWM((SI)(AX*2), Z4, Z5)
	DOTROWM((SI)(R13*1), Z6, Z7)
	DOTROWM((R11), Z8, Z9)
	DOTROWM((R11)(AX*1), Z10, Z11)
	DOTROWM((R11)(AX*2), Z12, Z13)
	DOTROWM((R11)(R13*1), Z14, Z15)

reduce:
	REDUCE16
	VZEROUPPER
	RET

// func gemmDotBF16AVX512(k int, a *float32, lda int, b *uint16, ldb int, out *float32)
//
// gemmDotAVX512 with the two b rows stored as bfloat16 (ldb in elements):
// each 16 are widened to float32 (exact: a bfloat16 is a float32's top half)
// and then meet the same FMAs in the same order, so the sums are bit for bit
// those of gemmDotAVX512 on the widened rows. k must be a multiple of 16.
TEXT ·gemmDotBF16AVX512(SB), NOSPLIT, $0-48
	LOADARGS
	SHLQ $1, R12
	LEAQ (AX)(AX*2), R13
	LEAQ (SI)(AX*4), R11
	SHRQ $4, CX
	ZERO16
	TESTQ CX, CX
	JZ   reduce

loop:
	VPMOVZXWD (DI), Z16
	VPMOVZXWD (DI)(R12*1), Z17
	VPSLLD $16, Z16, Z16
	VPSLLD $16, Z17, Z17
	DOT8ROWS
	ADDQ $64, SI
	ADDQ $64, R11
	ADDQ $32, DI
	DECQ CX
	JNZ  loop

reduce:
	REDUCE16
	VZEROUPPER
	RET
