package tensor

import "unsafe"

// gemmGo is the pure-Go implementation: the same packing as the assembly
// kernels with a 4×4 register tile, which is as many accumulators as the Go
// compiler keeps in registers on amd64.
var gemmGo = gemmImpl{mr: 4, nr: 4, kern: gemmKernelGo}

// gemmKernelGo is the specification of every micro-kernel: for each of the
// mr×nr outputs, a sum over p = 0, 1, …, kc-1 of a[p*mr+i]·b[p*nr+j], in that
// order, then stored (accum = 0) or added (accum = 1) to c[i*ldc+j].
func gemmKernelGo(kc int, a, b, c *float32, ldc int, accum int) {
	as := unsafe.Slice(a, kc*4)
	bs := unsafe.Slice(b, kc*4)
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	for len(as) >= 4 && len(bs) >= 4 {
		a0, a1, a2, a3 := as[0], as[1], as[2], as[3]
		b0, b1, b2, b3 := bs[0], bs[1], bs[2], bs[3]
		as, bs = as[4:], bs[4:]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	cs := unsafe.Slice(c, 3*ldc+4)
	rows := [4][4]float32{
		{c00, c01, c02, c03},
		{c10, c11, c12, c13},
		{c20, c21, c22, c23},
		{c30, c31, c32, c33},
	}
	for i := range rows {
		d := cs[i*ldc : i*ldc+4 : i*ldc+4]
		if accum != 0 {
			d[0] += rows[i][0]
			d[1] += rows[i][1]
			d[2] += rows[i][2]
			d[3] += rows[i][3]
		} else {
			d[0], d[1], d[2], d[3] = rows[i][0], rows[i][1], rows[i][2], rows[i][3]
		}
	}
}
