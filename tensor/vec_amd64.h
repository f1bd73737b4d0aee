// Shared by the vector assembly files: constants of the exponential and the
// macros that use them. Static symbols (name<>) are private to each file that
// includes this header, so every includer gets its own copy.

// Constants of the exponential, see expf in vec.go.
DATA expc<>+0(SB)/4, $0x3fb8aa3b  // log2(e)
DATA expc<>+4(SB)/4, $0xbf318000  // -ln2 hi
DATA expc<>+8(SB)/4, $0x395e8083  // -ln2 lo
DATA expc<>+12(SB)/4, $0x39500d01 // 1/7!
DATA expc<>+16(SB)/4, $0x3ab60b61 // 1/6!
DATA expc<>+20(SB)/4, $0x3c088889 // 1/5!
DATA expc<>+24(SB)/4, $0x3d2aaaab // 1/4!
DATA expc<>+28(SB)/4, $0x3e2aaaab // 1/3!
DATA expc<>+32(SB)/4, $0x3f000000 // 1/2
DATA expc<>+36(SB)/4, $0x3f800000 // 1
DATA expc<>+40(SB)/4, $0xc2d00000 // -104: below, exp underflows to 0
DATA expc<>+44(SB)/4, $0x42b1999a // 88.8: above, exp overflows to +Inf
DATA expc<>+48(SB)/4, $0x0000007f // 127, the exponent bias (an int32)
DATA expc<>+52(SB)/4, $0x42a00000 // 80: GELU clamps exp's argument here
DATA expc<>+56(SB)/4, $0xbfcc422a // GELU: -2·sqrt(2/π)
DATA expc<>+60(SB)/4, $0xbd922279 // GELU: -2·sqrt(2/π)·0.044715
DATA expc<>+64(SB)/4, $0x3fcc422a // GELU: 2·sqrt(2/π)
DATA expc<>+68(SB)/4, $0x3e5b33b6 // GELU: 6·sqrt(2/π)·0.044715
GLOBL expc<>(SB), RODATA|NOPTR, $72

// EXP512_CONSTS loads the constants of EXP512 into Z20–Z31.
#define EXP512_CONSTS \
	VBROADCASTSS expc<>+0(SB), Z20; \
	VBROADCASTSS expc<>+4(SB), Z21; \
	VBROADCASTSS expc<>+8(SB), Z22; \
	VBROADCASTSS expc<>+12(SB), Z23; \
	VBROADCASTSS expc<>+16(SB), Z24; \
	VBROADCASTSS expc<>+20(SB), Z25; \
	VBROADCASTSS expc<>+24(SB), Z26; \
	VBROADCASTSS expc<>+28(SB), Z27; \
	VBROADCASTSS expc<>+32(SB), Z28; \
	VBROADCASTSS expc<>+36(SB), Z29; \
	VBROADCASTSS expc<>+40(SB), Z30; \
	VBROADCASTSS expc<>+44(SB), Z31

// EXP512 replaces X by exp(X), using K and P as temporaries. NaN stays NaN.
#define EXP512(X, K, P) \
	VMAXPS X, Z30, X; \
	VMINPS X, Z31, X; \
	VMULPS Z20, X, K; \
	VRNDSCALEPS $8, K, K; \
	VFMADD231PS Z21, K, X; \
	VFMADD231PS Z22, K, X; \
	VMOVAPS Z23, P; \
	VFMADD213PS Z24, X, P; \
	VFMADD213PS Z25, X, P; \
	VFMADD213PS Z26, X, P; \
	VFMADD213PS Z27, X, P; \
	VFMADD213PS Z28, X, P; \
	VFMADD213PS Z29, X, P; \
	VFMADD213PS Z29, X, P; \
	VSCALEFPS K, P, X

// TAILMASK sets K1 to the low CX bits (CX < 16), clobbering AX.
#define TAILMASK \
	MOVL $1, AX; \
	SHLL CX, AX; \
	DECL AX; \
	KMOVW AX, K1

// HSUM512 leaves in X0 the sum of the lanes of Z0, clobbering Z1.
#define HSUM512 \
	VEXTRACTF32X8 $1, Z0, Y1; \
	VADDPS Y1, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X0; \
	VMOVHLPS X0, X0, X1; \
	VADDPS X1, X0, X0; \
	VMOVSHDUP X0, X1; \
	VADDSS X1, X0, X0

// HSUM256 leaves in X0 the sum of the lanes of Y0, clobbering Y1.
#define HSUM256 \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X0; \
	VMOVHLPS X0, X0, X1; \
	VADDPS X1, X0, X0; \
	VMOVSHDUP X0, X1; \
	VADDSS X1, X0, X0

