//go:build amd64 && !noasm

#include "textflag.h"

// AVX2+FMA versions of the Llama row kernels in llama_amd64.s. They take n a
// multiple of 8 (RoPE: a half head a multiple of 8) and leave the rest to
// the Go twins. AVX2 has no broadcast operands, so the constants of the
// exponential (those of expf in vec.go) are stored here as whole vectors.

DATA exp8<>+0(SB)/4, $0x3fb8aa3b // log2(e)
DATA exp8<>+4(SB)/4, $0x3fb8aa3b
DATA exp8<>+8(SB)/4, $0x3fb8aa3b
DATA exp8<>+12(SB)/4, $0x3fb8aa3b
DATA exp8<>+16(SB)/4, $0x3fb8aa3b
DATA exp8<>+20(SB)/4, $0x3fb8aa3b
DATA exp8<>+24(SB)/4, $0x3fb8aa3b
DATA exp8<>+28(SB)/4, $0x3fb8aa3b
DATA exp8<>+32(SB)/4, $0xbf318000 // -ln2 hi
DATA exp8<>+36(SB)/4, $0xbf318000
DATA exp8<>+40(SB)/4, $0xbf318000
DATA exp8<>+44(SB)/4, $0xbf318000
DATA exp8<>+48(SB)/4, $0xbf318000
DATA exp8<>+52(SB)/4, $0xbf318000
DATA exp8<>+56(SB)/4, $0xbf318000
DATA exp8<>+60(SB)/4, $0xbf318000
DATA exp8<>+64(SB)/4, $0x395e8083 // -ln2 lo
DATA exp8<>+68(SB)/4, $0x395e8083
DATA exp8<>+72(SB)/4, $0x395e8083
DATA exp8<>+76(SB)/4, $0x395e8083
DATA exp8<>+80(SB)/4, $0x395e8083
DATA exp8<>+84(SB)/4, $0x395e8083
DATA exp8<>+88(SB)/4, $0x395e8083
DATA exp8<>+92(SB)/4, $0x395e8083
DATA exp8<>+96(SB)/4, $0x39500d01 // 1/7!
DATA exp8<>+100(SB)/4, $0x39500d01
DATA exp8<>+104(SB)/4, $0x39500d01
DATA exp8<>+108(SB)/4, $0x39500d01
DATA exp8<>+112(SB)/4, $0x39500d01
DATA exp8<>+116(SB)/4, $0x39500d01
DATA exp8<>+120(SB)/4, $0x39500d01
DATA exp8<>+124(SB)/4, $0x39500d01
DATA exp8<>+128(SB)/4, $0x3ab60b61 // 1/6!
DATA exp8<>+132(SB)/4, $0x3ab60b61
DATA exp8<>+136(SB)/4, $0x3ab60b61
DATA exp8<>+140(SB)/4, $0x3ab60b61
DATA exp8<>+144(SB)/4, $0x3ab60b61
DATA exp8<>+148(SB)/4, $0x3ab60b61
DATA exp8<>+152(SB)/4, $0x3ab60b61
DATA exp8<>+156(SB)/4, $0x3ab60b61
DATA exp8<>+160(SB)/4, $0x3c088889 // 1/5!
DATA exp8<>+164(SB)/4, $0x3c088889
DATA exp8<>+168(SB)/4, $0x3c088889
DATA exp8<>+172(SB)/4, $0x3c088889
DATA exp8<>+176(SB)/4, $0x3c088889
DATA exp8<>+180(SB)/4, $0x3c088889
DATA exp8<>+184(SB)/4, $0x3c088889
DATA exp8<>+188(SB)/4, $0x3c088889
DATA exp8<>+192(SB)/4, $0x3d2aaaab // 1/4!
DATA exp8<>+196(SB)/4, $0x3d2aaaab
DATA exp8<>+200(SB)/4, $0x3d2aaaab
DATA exp8<>+204(SB)/4, $0x3d2aaaab
DATA exp8<>+208(SB)/4, $0x3d2aaaab
DATA exp8<>+212(SB)/4, $0x3d2aaaab
DATA exp8<>+216(SB)/4, $0x3d2aaaab
DATA exp8<>+220(SB)/4, $0x3d2aaaab
DATA exp8<>+224(SB)/4, $0x3e2aaaab // 1/3!
DATA exp8<>+228(SB)/4, $0x3e2aaaab
DATA exp8<>+232(SB)/4, $0x3e2aaaab
DATA exp8<>+236(SB)/4, $0x3e2aaaab
DATA exp8<>+240(SB)/4, $0x3e2aaaab
DATA exp8<>+244(SB)/4, $0x3e2aaaab
DATA exp8<>+248(SB)/4, $0x3e2aaaab
DATA exp8<>+252(SB)/4, $0x3e2aaaab
DATA exp8<>+256(SB)/4, $0x3f000000 // 1/2
DATA exp8<>+260(SB)/4, $0x3f000000
DATA exp8<>+264(SB)/4, $0x3f000000
DATA exp8<>+268(SB)/4, $0x3f000000
DATA exp8<>+272(SB)/4, $0x3f000000
DATA exp8<>+276(SB)/4, $0x3f000000
DATA exp8<>+280(SB)/4, $0x3f000000
DATA exp8<>+284(SB)/4, $0x3f000000
DATA exp8<>+288(SB)/4, $0x3f800000 // 1
DATA exp8<>+292(SB)/4, $0x3f800000
DATA exp8<>+296(SB)/4, $0x3f800000
DATA exp8<>+300(SB)/4, $0x3f800000
DATA exp8<>+304(SB)/4, $0x3f800000
DATA exp8<>+308(SB)/4, $0x3f800000
DATA exp8<>+312(SB)/4, $0x3f800000
DATA exp8<>+316(SB)/4, $0x3f800000
DATA exp8<>+320(SB)/4, $0xc2d00000 // -104: below, exp underflows to 0
DATA exp8<>+324(SB)/4, $0xc2d00000
DATA exp8<>+328(SB)/4, $0xc2d00000
DATA exp8<>+332(SB)/4, $0xc2d00000
DATA exp8<>+336(SB)/4, $0xc2d00000
DATA exp8<>+340(SB)/4, $0xc2d00000
DATA exp8<>+344(SB)/4, $0xc2d00000
DATA exp8<>+348(SB)/4, $0xc2d00000
DATA exp8<>+352(SB)/4, $0x0000007f // 127, the exponent bias (an int32)
DATA exp8<>+356(SB)/4, $0x0000007f
DATA exp8<>+360(SB)/4, $0x0000007f
DATA exp8<>+364(SB)/4, $0x0000007f
DATA exp8<>+368(SB)/4, $0x0000007f
DATA exp8<>+372(SB)/4, $0x0000007f
DATA exp8<>+376(SB)/4, $0x0000007f
DATA exp8<>+380(SB)/4, $0x0000007f
DATA exp8<>+384(SB)/4, $0x42a00000 // 80: SiLU clamps exp's argument here
DATA exp8<>+388(SB)/4, $0x42a00000
DATA exp8<>+392(SB)/4, $0x42a00000
DATA exp8<>+396(SB)/4, $0x42a00000
DATA exp8<>+400(SB)/4, $0x42a00000
DATA exp8<>+404(SB)/4, $0x42a00000
DATA exp8<>+408(SB)/4, $0x42a00000
DATA exp8<>+412(SB)/4, $0x42a00000
DATA exp8<>+416(SB)/4, $0x80000000 // the sign bit
DATA exp8<>+420(SB)/4, $0x80000000
DATA exp8<>+424(SB)/4, $0x80000000
DATA exp8<>+428(SB)/4, $0x80000000
DATA exp8<>+432(SB)/4, $0x80000000
DATA exp8<>+436(SB)/4, $0x80000000
DATA exp8<>+440(SB)/4, $0x80000000
DATA exp8<>+444(SB)/4, $0x80000000
GLOBL exp8<>(SB), RODATA|NOPTR, $448

// EXP256 replaces X by exp(X), using K, P and T as temporaries; it is the
// exponential of expSumAVX2 (vec_amd64.s) written as a macro, without the
// upper clamp: X must not exceed 88.7, and the SiLU callers clamp at 80.
// NaN stays NaN.
#define EXP256(X, K, P, T) \
	VMOVUPS exp8<>+320(SB), T; \
	VMAXPS X, T, X; \
	VMULPS exp8<>+0(SB), X, K; \
	VROUNDPS $0, K, K; \
	VFMADD231PS exp8<>+32(SB), K, X; \
	VFMADD231PS exp8<>+64(SB), K, X; \
	VMOVUPS exp8<>+96(SB), P; \
	VFMADD213PS exp8<>+128(SB), X, P; \
	VFMADD213PS exp8<>+160(SB), X, P; \
	VFMADD213PS exp8<>+192(SB), X, P; \
	VFMADD213PS exp8<>+224(SB), X, P; \
	VFMADD213PS exp8<>+256(SB), X, P; \
	VFMADD213PS exp8<>+288(SB), X, P; \
	VFMADD213PS exp8<>+288(SB), X, P; \
	VCVTPS2DQ K, K; \
	VPSRAD $1, K, T; \
	VPSUBD T, K, K; \
	VPADDD exp8<>+352(SB), T, T; \
	VPADDD exp8<>+352(SB), K, K; \
	VPSLLD $23, T, T; \
	VPSLLD $23, K, K; \
	VMULPS T, P, P; \
	VMULPS K, P, X

// SILU256_EXP leaves in E the value exp(min(−G, 80)); T is a temporary.
#define SILU256_EXP(G, E, K, P, T) \
	VXORPS exp8<>+416(SB), G, E; \
	VMOVUPS exp8<>+384(SB), T; \
	VMINPS E, T, E; \
	EXP256(E, K, P, T)

// func swigluAVX2(out, gate, up *float32, n int)
// out = g·u / (1 + exp(−g)); n a multiple of 8.
TEXT ·swigluAVX2(SB), NOSPLIT, $0-32
	MOVQ out+0(FP), DI
	MOVQ gate+8(FP), SI
	MOVQ up+16(FP), DX
	MOVQ n+24(FP), CX
	TESTQ CX, CX
	JZ    swiglu256_done

swiglu256_8:
	VMOVUPS (SI), Y0
	VMOVUPS (DX), Y1
	SILU256_EXP(Y0, Y2, Y3, Y4, Y5)
	VADDPS exp8<>+288(SB), Y2, Y2
	VMULPS Y1, Y0, Y0
	VDIVPS Y2, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  swiglu256_8

swiglu256_done:
	VZEROUPPER
	RET

// func swigluBackAVX2(dgate, dup, dout, gate, up *float32, n int)
// With e = exp(−g), s = 1/(1+e): dgate += dout·u·(s + g·s·(e·s));
// dup += dout·g·s. n a multiple of 8.
TEXT ·swigluBackAVX2(SB), NOSPLIT, $0-48
	MOVQ dgate+0(FP), DI
	MOVQ dup+8(FP), R8
	MOVQ dout+16(FP), R9
	MOVQ gate+24(FP), SI
	MOVQ up+32(FP), DX
	MOVQ n+40(FP), CX
	TESTQ CX, CX
	JZ    swiglub256_done

swiglub256_8:
	VMOVUPS (SI), Y0 // g
	VMOVUPS (DX), Y1 // u
	VMOVUPS (R9), Y2 // dout
	SILU256_EXP(Y0, Y3, Y4, Y5, Y6)
	VADDPS exp8<>+288(SB), Y3, Y4
	VMOVUPS exp8<>+288(SB), Y5
	VDIVPS Y4, Y5, Y5      // s
	VMULPS Y5, Y0, Y6      // g·s
	VMULPS Y5, Y3, Y3      // e·s = 1 − s
	VFMADD213PS Y5, Y6, Y3 // silu'(g) = s + g·s·(e·s)
	VMULPS Y2, Y1, Y1      // dout·u
	VMOVUPS (DI), Y4
	VFMADD231PS Y3, Y1, Y4
	VMOVUPS Y4, (DI)
	VMOVUPS (R8), Y5
	VFMADD231PS Y6, Y2, Y5
	VMOVUPS Y5, (R8)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, R9
	ADDQ $32, DI
	ADDQ $32, R8
	SUBQ $8, CX
	JNZ  swiglub256_8

swiglub256_done:
	VZEROUPPER
	RET

// func ropeAVX2(out, x, cos, sin *float32, nh, h int, sgn float32)
// ropeAVX512 for h a multiple of 8.
TEXT ·ropeAVX2(SB), NOSPLIT, $0-52
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ cos+16(FP), R8
	MOVQ sin+24(FP), R9
	MOVQ nh+32(FP), BX
	MOVQ h+40(FP), DX
	VBROADCASTSS sgn+48(FP), Y10
	MOVQ DX, R10
	SHLQ $2, R10 // a half head in bytes
	TESTQ DX, DX
	JZ    rope256_done

rope256_head:
	TESTQ BX, BX
	JZ    rope256_done
	LEAQ  (SI)(R10*1), R12 // second half of x
	LEAQ  (DI)(R10*1), R13 // second half of out
	MOVQ  DX, CX
	XORQ  R11, R11         // byte offset in the half

rope256_8:
	VMOVUPS (R8)(R11*1), Y2       // c
	VMULPS  (R9)(R11*1), Y10, Y3  // s
	VMOVUPS (SI)(R11*1), Y0       // a
	VMOVUPS (R12)(R11*1), Y1      // b
	VMULPS Y2, Y0, Y4
	VFNMADD231PS Y3, Y1, Y4       // a·c − b·s
	VMULPS Y2, Y1, Y5
	VFMADD231PS Y3, Y0, Y5        // b·c + a·s
	VMOVUPS Y4, (DI)(R11*1)
	VMOVUPS Y5, (R13)(R11*1)
	ADDQ $32, R11
	SUBQ $8, CX
	JNZ  rope256_8

	LEAQ (SI)(R10*2), SI
	LEAQ (DI)(R10*2), DI
	DECQ BX
	JMP  rope256_head

rope256_done:
	VZEROUPPER
	RET

// func rmsScaleAVX2(out, x, w *float32, n int, r float32)
// out = (x·r)·w; n a multiple of 8.
TEXT ·rmsScaleAVX2(SB), NOSPLIT, $0-36
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS r+32(FP), Y9
	TESTQ CX, CX
	JZ    rmss256_done

rmss256_8:
	VMOVUPS (SI), Y0
	VMULPS Y9, Y0, Y0
	VMULPS (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, DX
	SUBQ $8, CX
	JNZ  rmss256_8

rmss256_done:
	VZEROUPPER
	RET

// func rmsBackApplyAVX2(dinp, dw, dy, x, w *float32, n int, r, c2 float32)
// With u = x·r: dw += u·g; dinp += (w·g − u·c2)·r; n a multiple of 8.
TEXT ·rmsBackApplyAVX2(SB), NOSPLIT, $0-56
	MOVQ dinp+0(FP), DI
	MOVQ dw+8(FP), R8
	MOVQ dy+16(FP), SI
	MOVQ x+24(FP), BX
	MOVQ w+32(FP), DX
	MOVQ n+40(FP), CX
	VBROADCASTSS r+48(FP), Y9
	VBROADCASTSS c2+52(FP), Y11
	TESTQ CX, CX
	JZ    rmsba256_done

rmsba256_8:
	VMOVUPS (SI), Y0         // g
	VMOVUPS (BX), Y1         // x
	VMULPS Y9, Y1, Y1        // u
	VMOVUPS (R8), Y3
	VFMADD231PS Y0, Y1, Y3
	VMOVUPS Y3, (R8)         // dw += u·g
	VMULPS (DX), Y0, Y4      // w·g
	VFNMADD231PS Y11, Y1, Y4 // w·g − u·c2
	VMOVUPS (DI), Y5
	VFMADD231PS Y9, Y4, Y5
	VMOVUPS Y5, (DI)
	ADDQ $32, SI
	ADDQ $32, BX
	ADDQ $32, DX
	ADDQ $32, DI
	ADDQ $32, R8
	SUBQ $8, CX
	JNZ  rmsba256_8

rmsba256_done:
	VZEROUPPER
	RET
