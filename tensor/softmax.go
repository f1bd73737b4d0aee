package tensor

import "math"

// SoftmaxForward writes the softmax of each of the n rows of inp (n×c) to out.
// out may alias inp.
func SoftmaxForward(out, inp []float32, n, c int) {
	for i := 0; i < n; i++ {
		x := inp[i*c : (i+1)*c]
		o := out[i*c : (i+1)*c]
		mx := float32(math.Inf(-1))
		for _, v := range x {
			if v > mx {
				mx = v
			}
		}
		var s float32
		for j, v := range x {
			e := float32(math.Exp(float64(v - mx)))
			o[j] = e
			s += e
		}
		inv := 1 / s
		for j := range o {
			o[j] *= inv
		}
	}
}
