//go:build amd64 && !noasm

#include "textflag.h"
#include "vec_amd64.h"

// Row kernels of the Llama-family blocks for AVX-512: RMSNorm, RoPE and
// SwiGLU; pure-Go twins in rmsnorm.go, rope.go and swiglu.go. Tails are
// handled with a lane mask, so every kernel takes any n ≥ 1.

// func rmsScaleAVX512(out, x, w *float32, n int, r float32)
// out = (x·r)·w
TEXT ·rmsScaleAVX512(SB), NOSPLIT, $0-36
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS r+32(FP), Z9
	MOVL $0xffff, AX
	KMOVW AX, K1

rmss512_16:
	CMPQ CX, $16
	JGE  rmss512_go
	TESTQ CX, CX
	JZ   rmss512_done
	TAILMASK

rmss512_go:
	VMOVUPS.Z (SI), K1, Z0
	VMULPS Z9, Z0, Z0
	VMULPS.Z (DX), Z0, K1, Z0
	VMOVUPS Z0, K1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, DX
	SUBQ $16, CX
	JG   rmss512_16

rmss512_done:
	VZEROUPPER
	RET

// func rmsBackApplyAVX512(dinp, dw, dy, x, w *float32, n int, r, c2 float32)
// With u = x·r: dw += u·g; dinp += (w·g − u·c2)·r.
TEXT ·rmsBackApplyAVX512(SB), NOSPLIT, $0-56
	MOVQ dinp+0(FP), DI
	MOVQ dw+8(FP), R8
	MOVQ dy+16(FP), SI
	MOVQ x+24(FP), BX
	MOVQ w+32(FP), DX
	MOVQ n+40(FP), CX
	VBROADCASTSS r+48(FP), Z9
	VBROADCASTSS c2+52(FP), Z11
	MOVL $0xffff, AX
	KMOVW AX, K1

rmsba512_16:
	CMPQ CX, $16
	JGE  rmsba512_go
	TESTQ CX, CX
	JZ   rmsba512_done
	TAILMASK

rmsba512_go:
	VMOVUPS.Z (SI), K1, Z0    // g
	VMOVUPS.Z (BX), K1, Z1    // x
	VMULPS Z9, Z1, Z1         // u
	VMOVUPS.Z (R8), K1, Z3
	VFMADD231PS Z0, Z1, Z3
	VMOVUPS Z3, K1, (R8)      // dw += u·g
	VMULPS.Z (DX), Z0, K1, Z4 // w·g
	VFNMADD231PS Z11, Z1, Z4  // w·g − u·c2
	VMOVUPS.Z (DI), K1, Z5
	VFMADD231PS Z9, Z4, Z5
	VMOVUPS Z5, K1, (DI)
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DX
	ADDQ $64, DI
	ADDQ $64, R8
	SUBQ $16, CX
	JG   rmsba512_16

rmsba512_done:
	VZEROUPPER
	RET

// func ropeAVX512(out, x, cos, sin *float32, nh, h int, sgn float32)
// For each of the nh heads of 2h elements, with a = x[i], b = x[i+h],
// c = cos[i] and s = sgn·sin[i]: out[i] = a·c − b·s, out[i+h] = b·c + a·s.
// Both halves are loaded before either is stored, so out may alias x.
TEXT ·ropeAVX512(SB), NOSPLIT, $0-52
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ cos+16(FP), R8
	MOVQ sin+24(FP), R9
	MOVQ nh+32(FP), BX
	MOVQ h+40(FP), DX
	VBROADCASTSS sgn+48(FP), Z10
	MOVQ DX, R10
	SHLQ $2, R10 // a half head in bytes

rope512_head:
	TESTQ BX, BX
	JZ    rope512_done
	LEAQ  (SI)(R10*1), R12 // second half of x
	LEAQ  (DI)(R10*1), R13 // second half of out
	MOVQ  DX, CX
	XORQ  R11, R11         // byte offset in the half
	MOVL  $0xffff, AX
	KMOVW AX, K1

rope512_16:
	CMPQ CX, $16
	JGE  rope512_go
	TESTQ CX, CX
	JZ   rope512_next
	TAILMASK

rope512_go:
	VMOVUPS.Z (R8)(R11*1), K1, Z2       // c
	VMULPS.Z  (R9)(R11*1), Z10, K1, Z3  // s
	VMOVUPS.Z (SI)(R11*1), K1, Z0       // a
	VMOVUPS.Z (R12)(R11*1), K1, Z1      // b
	VMULPS Z2, Z0, Z4
	VFNMADD231PS Z3, Z1, Z4             // a·c − b·s
	VMULPS Z2, Z1, Z5
	VFMADD231PS Z3, Z0, Z5              // b·c + a·s
	VMOVUPS Z4, K1, (DI)(R11*1)
	VMOVUPS Z5, K1, (R13)(R11*1)
	ADDQ $64, R11
	SUBQ $16, CX
	JG   rope512_16

rope512_next:
	LEAQ (SI)(R10*2), SI
	LEAQ (DI)(R10*2), DI
	DECQ BX
	JMP  rope512_head

rope512_done:
	VZEROUPPER
	RET

// SILU512_EXP leaves in E the value exp(min(−G, 80)); Z9 holds 0 and Z14
// holds 80; K and P are temporaries.
#define SILU512_EXP(G, E, K, P) \
	VSUBPS G, Z9, E; \
	VMINPS E, Z14, E; \
	EXP512(E, K, P)

// func swigluAVX512(out, gate, up *float32, n int)
// out = g·u / (1 + exp(−g))
TEXT ·swigluAVX512(SB), NOSPLIT, $0-32
	MOVQ out+0(FP), DI
	MOVQ gate+8(FP), SI
	MOVQ up+16(FP), DX
	MOVQ n+24(FP), CX
	EXP512_CONSTS
	VBROADCASTSS expc<>+52(SB), Z14
	VXORPS Z9, Z9, Z9
	MOVL $0xffff, AX
	KMOVW AX, K1

swiglu512_16:
	CMPQ CX, $16
	JGE  swiglu512_go
	TESTQ CX, CX
	JZ   swiglu512_done
	TAILMASK

swiglu512_go:
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DX), K1, Z1
	SILU512_EXP(Z0, Z2, Z3, Z4)
	VADDPS Z29, Z2, Z2
	VMULPS Z1, Z0, Z0
	VDIVPS Z2, Z0, Z0
	VMOVUPS Z0, K1, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JG   swiglu512_16

swiglu512_done:
	VZEROUPPER
	RET

// func swigluBackAVX512(dgate, dup, dout, gate, up *float32, n int)
// With e = exp(−g), s = 1/(1+e): dgate += dout·u·(s + g·s·(e·s));
// dup += dout·g·s.
TEXT ·swigluBackAVX512(SB), NOSPLIT, $0-48
	MOVQ dgate+0(FP), DI
	MOVQ dup+8(FP), R8
	MOVQ dout+16(FP), R9
	MOVQ gate+24(FP), SI
	MOVQ up+32(FP), DX
	MOVQ n+40(FP), CX
	EXP512_CONSTS
	VBROADCASTSS expc<>+52(SB), Z14
	VXORPS Z9, Z9, Z9
	MOVL $0xffff, AX
	KMOVW AX, K1

swiglub512_16:
	CMPQ CX, $16
	JGE  swiglub512_go
	TESTQ CX, CX
	JZ   swiglub512_done
	TAILMASK

swiglub512_go:
	VMOVUPS.Z (SI), K1, Z0  // g
	VMOVUPS.Z (DX), K1, Z1  // u
	VMOVUPS.Z (R9), K1, Z2  // dout
	VMOVUPS.Z (DI), K1, Z3  // dgate
	VMOVUPS.Z (R8), K1, Z4  // dup
	SILU512_EXP(Z0, Z5, Z6, Z7)
	VADDPS Z29, Z5, Z7
	VDIVPS Z7, Z29, Z7      // s
	VMULPS Z7, Z0, Z8       // g·s
	VMULPS Z7, Z5, Z5       // e·s = 1 − s
	VFMADD213PS Z7, Z8, Z5  // silu'(g) = s + g·s·(e·s)
	VMULPS Z1, Z2, Z6       // dout·u
	VFMADD231PS Z5, Z6, Z3
	VFMADD231PS Z8, Z2, Z4
	VMOVUPS Z3, K1, (DI)
	VMOVUPS Z4, K1, (R8)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, R9
	ADDQ $64, DI
	ADDQ $64, R8
	SUBQ $16, CX
	JG   swiglub512_16

swiglub512_done:
	VZEROUPPER
	RET
