package tensor

// SoftmaxForward writes the softmax of each of the n rows of inp (n×c) to out.
// out may alias inp.
func SoftmaxForward(out, inp []float32, n, c int) {
	if n <= 0 || c <= 0 {
		return
	}
	_, _ = out[n*c-1], inp[n*c-1]
	parallelRows(n, c, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			softmaxRow(out[i*c:(i+1)*c], inp[i*c:(i+1)*c], 1)
		}
	})
}

// softmaxRow writes softmax(a·x) to out (a > 0); out may alias x.
func softmaxRow(out, x []float32, a float32) {
	mx := maxf(x)
	s := expSum(out, x, a, -a*mx)
	scale(1/s, out)
}
