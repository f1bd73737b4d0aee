//go:build amd64 && !noasm

#include "textflag.h"
#include "vec_amd64.h"

// Row kernels for AVX-512: GELU, layernorm, AdamW; pure-Go twins in
// gelu.go, layernorm.go and adamw.go.


// GELU512 leaves in X (holding x) the value x/(1+exp(x·(ga + gb·x²))) =
// 0.5·x·(1+tanh(√(2/π)(x+0.044715x³))); Z10, Z11, Z14 hold ga, gb and 80
// (the clamp of exp's argument); E, K, P are temporaries; the exponential is
// left in E for the backward pass.
#define GELU512_EXP(X, E, K, P) \
	VMULPS X, X, E; \
	VFMADD213PS Z10, Z11, E; \
	VMULPS X, E, E; \
	VMINPS E, Z14, E; \
	EXP512(E, K, P)

// func geluAVX512(out, x *float32, n int)
TEXT ·geluAVX512(SB), NOSPLIT, $0-24
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	EXP512_CONSTS
	VBROADCASTSS expc<>+56(SB), Z10
	VBROADCASTSS expc<>+60(SB), Z11
	VBROADCASTSS expc<>+52(SB), Z14

gelu512_16:
	CMPQ CX, $16
	JLT  gelu512_tail
	VMOVUPS (SI), Z0
	GELU512_EXP(Z0, Z1, Z2, Z3)
	VADDPS Z29, Z1, Z1
	VDIVPS Z1, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  gelu512_16

gelu512_tail:
	TESTQ CX, CX
	JZ    gelu512_done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	GELU512_EXP(Z0, Z1, Z2, Z3)
	VADDPS Z29, Z1, Z1
	VDIVPS Z1, Z0, Z0
	VMOVUPS Z0, K1, (DI)

gelu512_done:
	VZEROUPPER
	RET

// GELUBACK512 adds to D the product of G and GELU'(X):
// s + x·s·(1−s)·(g2s + g6·x²) with e = exp(x·(ga + gb·x²)), s = 1/(1+e)
// and 1−s = e·s. Z12, Z13 hold g2s, g6; E, K, P are temporaries.
#define GELUBACK512(X, G, D, E, K, P) \
	GELU512_EXP(X, E, K, P); \
	VADDPS Z29, E, P; \
	VDIVPS P, Z29, P; \
	VMULPS P, E, K; \
	VMULPS P, K, K; \
	VMULPS X, K, K; \
	VMULPS X, X, E; \
	VFMADD213PS Z12, Z13, E; \
	VFMADD231PS K, E, P; \
	VFMADD231PS G, P, D

// func geluBackAVX512(dinp, x, dout *float32, n int)
TEXT ·geluBackAVX512(SB), NOSPLIT, $0-32
	MOVQ dinp+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ dout+16(FP), DX
	MOVQ n+24(FP), CX
	EXP512_CONSTS
	VBROADCASTSS expc<>+56(SB), Z10
	VBROADCASTSS expc<>+60(SB), Z11
	VBROADCASTSS expc<>+52(SB), Z14
	VBROADCASTSS expc<>+64(SB), Z12
	VBROADCASTSS expc<>+68(SB), Z13

geluback512_16:
	CMPQ CX, $16
	JLT  geluback512_tail
	VMOVUPS (SI), Z0
	VMOVUPS (DX), Z1
	VMOVUPS (DI), Z2
	GELUBACK512(Z0, Z1, Z2, Z3, Z4, Z5)
	VMOVUPS Z2, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  geluback512_16

geluback512_tail:
	TESTQ CX, CX
	JZ    geluback512_done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DX), K1, Z1
	VMOVUPS.Z (DI), K1, Z2
	GELUBACK512(Z0, Z1, Z2, Z3, Z4, Z5)
	VMOVUPS Z2, K1, (DI)

geluback512_done:
	VZEROUPPER
	RET

// func sumSqDevAVX512(x *float32, n int, m float32) float32
TEXT ·sumSqDevAVX512(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS m+16(FP), Z8
	VXORPS Z0, Z0, Z0
	VXORPS Z1, Z1, Z1

ssd512_32:
	CMPQ CX, $32
	JLT  ssd512_16
	VSUBPS (SI), Z8, Z4
	VSUBPS 64(SI), Z8, Z5
	VFMADD231PS Z4, Z4, Z0
	VFMADD231PS Z5, Z5, Z1
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  ssd512_32

ssd512_16:
	CMPQ CX, $16
	JLT  ssd512_tail
	VSUBPS (SI), Z8, Z4
	VFMADD231PS Z4, Z4, Z0
	ADDQ $64, SI
	SUBQ $16, CX

ssd512_tail:
	TESTQ CX, CX
	JZ    ssd512_done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z4
	VSUBPS.Z Z8, Z4, K1, Z4
	VFMADD231PS Z4, Z4, Z1

ssd512_done:
	VADDPS Z1, Z0, Z0
	HSUM512
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func lnAffineAVX512(out, x, w, b *float32, n int, m, r float32)
// out = (x−m)·r·w + b
TEXT ·lnAffineAVX512(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ b+24(FP), BX
	MOVQ n+32(FP), CX
	VBROADCASTSS m+40(FP), Z8
	VBROADCASTSS r+44(FP), Z9
	MOVL $0xffff, AX
	KMOVW AX, K1

lnaff512_16:
	CMPQ CX, $16
	JGE  lnaff512_go
	TESTQ CX, CX
	JZ   lnaff512_done
	TAILMASK

lnaff512_go:
	VMOVUPS.Z (SI), K1, Z0
	VSUBPS Z8, Z0, Z0
	VMULPS Z9, Z0, Z0
	VMOVUPS.Z (BX), K1, Z1
	VFMADD231PS.Z (DX), Z0, K1, Z1
	VMOVUPS Z1, K1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, DX
	ADDQ $64, BX
	SUBQ $16, CX
	JG   lnaff512_16

lnaff512_done:
	VZEROUPPER
	RET

// func lnBackSumsAVX512(dy, w, x *float32, n int, m float32) (a, b float32)
// a = Σ w·g, b = Σ w·g·(x−m)
TEXT ·lnBackSumsAVX512(SB), NOSPLIT, $0-48
	MOVQ dy+0(FP), SI
	MOVQ w+8(FP), DX
	MOVQ x+16(FP), BX
	MOVQ n+24(FP), CX
	VBROADCASTSS m+32(FP), Z8
	VXORPS Z2, Z2, Z2
	VXORPS Z3, Z3, Z3
	MOVL $0xffff, AX
	KMOVW AX, K1

lnbs512_16:
	CMPQ CX, $16
	JGE  lnbs512_go
	TESTQ CX, CX
	JZ   lnbs512_done
	TAILMASK

lnbs512_go:
	VMOVUPS.Z (SI), K1, Z4
	VMULPS.Z (DX), Z4, K1, Z4
	VMOVUPS.Z (BX), K1, Z5
	VSUBPS.Z Z8, Z5, K1, Z5
	VADDPS Z4, Z2, Z2
	VFMADD231PS Z5, Z4, Z3
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, BX
	SUBQ $16, CX
	JG   lnbs512_16

lnbs512_done:
	VMOVAPS Z2, Z0
	HSUM512
	MOVSS X0, a+40(FP)
	VMOVAPS Z3, Z0
	HSUM512
	MOVSS X0, b+44(FP)
	VZEROUPPER
	RET

// func lnBackApplyAVX512(dinp, dw, db, dy, x, w *float32, n int, m, r, c1, c2 float32)
// With u = (x−m)·r: db += g; dw += u·g; dinp += (w·g − c1 − u·c2)·r.
TEXT ·lnBackApplyAVX512(SB), NOSPLIT, $0-72
	MOVQ dinp+0(FP), DI
	MOVQ dw+8(FP), R8
	MOVQ db+16(FP), R9
	MOVQ dy+24(FP), SI
	MOVQ x+32(FP), BX
	MOVQ w+40(FP), DX
	MOVQ n+48(FP), CX
	VBROADCASTSS m+56(FP), Z8
	VBROADCASTSS r+60(FP), Z9
	VBROADCASTSS c1+64(FP), Z10
	VBROADCASTSS c2+68(FP), Z11
	MOVL $0xffff, AX
	KMOVW AX, K1

lnba512_16:
	CMPQ CX, $16
	JGE  lnba512_go
	TESTQ CX, CX
	JZ   lnba512_done
	TAILMASK

lnba512_go:
	VMOVUPS.Z (SI), K1, Z0   // g
	VMOVUPS.Z (BX), K1, Z1   // x
	VSUBPS Z8, Z1, Z1
	VMULPS Z9, Z1, Z1        // u
	VMOVUPS.Z (R9), K1, Z2
	VADDPS Z0, Z2, Z2
	VMOVUPS Z2, K1, (R9)     // db += g
	VMOVUPS.Z (R8), K1, Z3
	VFMADD231PS Z0, Z1, Z3
	VMOVUPS Z3, K1, (R8)     // dw += u·g
	VMULPS.Z (DX), Z0, K1, Z4 // w·g
	VSUBPS Z10, Z4, Z4
	VFNMADD231PS Z11, Z1, Z4 // w·g − c1 − u·c2
	VMOVUPS.Z (DI), K1, Z5
	VFMADD231PS Z9, Z4, Z5
	VMOVUPS Z5, K1, (DI)
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DX
	ADDQ $64, DI
	ADDQ $64, R8
	ADDQ $64, R9
	SUBQ $16, CX
	JG   lnba512_16

lnba512_done:
	VZEROUPPER
	RET

// func adamWAVX512(p, grad, m, v *float32, n int, lr, b1, b2, ibc1, ibc2, eps, wd float32)
// The AdamW update of adamW in adamw.go.
TEXT ·adamWAVX512(SB), NOSPLIT, $0-68
	MOVQ p+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m+16(FP), R8
	MOVQ v+24(FP), R9
	MOVQ n+32(FP), CX
	VBROADCASTSS lr+40(FP), Z20
	VBROADCASTSS b1+44(FP), Z21
	VBROADCASTSS b2+48(FP), Z22
	VBROADCASTSS ibc1+52(FP), Z23
	VBROADCASTSS ibc2+56(FP), Z24
	VBROADCASTSS eps+60(FP), Z25
	VBROADCASTSS wd+64(FP), Z26
	VBROADCASTSS expc<>+36(SB), Z27
	VSUBPS Z21, Z27, Z28 // 1−b1
	VSUBPS Z22, Z27, Z29 // 1−b2
	MOVL $0xffff, AX
	KMOVW AX, K1

adamw512_16:
	CMPQ CX, $16
	JGE  adamw512_go
	TESTQ CX, CX
	JZ   adamw512_done
	TAILMASK

adamw512_go:
	VMOVUPS.Z (SI), K1, Z0 // g
	VMOVUPS.Z (R8), K1, Z1 // m
	VMOVUPS.Z (R9), K1, Z2 // v
	VMULPS Z21, Z1, Z1
	VFMADD231PS Z28, Z0, Z1 // m = b1·m + (1−b1)·g
	VMULPS Z0, Z0, Z3
	VMULPS Z22, Z2, Z2
	VFMADD231PS Z29, Z3, Z2 // v = b2·v + (1−b2)·g²
	VMOVUPS Z1, K1, (R8)
	VMOVUPS Z2, K1, (R9)
	VMULPS Z24, Z2, Z2
	VSQRTPS Z2, Z2
	VADDPS Z25, Z2, Z2
	VMULPS Z23, Z1, Z1
	VDIVPS Z2, Z1, Z1        // m̂/(√v̂ + eps)
	VMOVUPS.Z (DI), K1, Z4   // p
	VFMADD231PS Z26, Z4, Z1  // + wd·p
	VFNMADD231PS Z20, Z1, Z4 // p −= lr·(…)
	VMOVUPS Z4, K1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R8
	ADDQ $64, R9
	SUBQ $16, CX
	JG   adamw512_16

adamw512_done:
	VZEROUPPER
	RET
