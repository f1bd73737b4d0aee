package tensor

import "math"

var geluScale = float32(math.Sqrt(2 / math.Pi))

// GeluForward applies GELU with the tanh approximation elementwise.
func GeluForward(out, inp []float32) {
	for i, x := range inp {
		cube := 0.044715 * x * x * x
		out[i] = 0.5 * x * (1 + float32(math.Tanh(float64(geluScale*(x+cube)))))
	}
}

// GeluBackward accumulates into dinp the gradient of GeluForward given dout.
func GeluBackward(dinp, inp, dout []float32) {
	for i, x := range inp {
		cube := 0.044715 * x * x * x
		arg := geluScale * (x + cube)
		th := float32(math.Tanh(float64(arg)))
		sech2 := 1 - th*th
		local := 0.5*(1+th) + x*0.5*sech2*geluScale*(1+3*0.044715*x*x)
		dinp[i] += local * dout[i]
	}
}
