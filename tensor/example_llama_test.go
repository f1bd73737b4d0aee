package tensor_test

import (
	"fmt"

	"github.com/align-project/align/tensor"
)

// Llama 3.1's rope_scaling keeps the high frequencies, divides the low ones
// by the factor and blends those in between.
func ExampleRoPEInvFreq() {
	s := &tensor.RoPEScaling{Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 8192}
	plain := tensor.RoPEInvFreq(128, 500000, nil)
	scaled := tensor.RoPEInvFreq(128, 500000, s)
	for _, i := range []int{0, 30, 63} {
		fmt.Printf("f[%d] scaled by %.4f\n", i, scaled[i]/plain[i])
	}
	// Output:
	// f[0] scaled by 1.0000
	// f[30] scaled by 0.6437
	// f[63] scaled by 0.1250
}

// Rotating q in place for B=1, T=2 and one head of D=4: position 0 is left
// alone, position 1 turns each pair (x[i], x[i+2]) by its angle.
func ExampleRoPEForward() {
	const b, t, nh, d = 1, 2, 1, 4
	cos, sin := make([]float32, t*d/2), make([]float32, t*d/2)
	tensor.RoPETable(cos, sin, t, d, 10000, nil)
	q := []float32{
		1, 0, 0, 1, // position 0
		1, 0, 0, 1, // position 1
	}
	tensor.RoPEForward(q, q, cos, sin, b, t, nh, d, nh*d)
	fmt.Printf("%.4f\n", q)
	// Output:
	// [1.0000 0.0000 0.0000 1.0000 0.5403 -0.0100 0.8415 0.9999]
}

// The two elementwise steps of a Llama block: RMSNorm of the residual stream
// and the MLP activation silu(gate)·up.
func ExampleSwiGLUForward() {
	x := []float32{3, 4} // one row of C=2, root mean square √12.5
	w := []float32{1, 1}
	y, rstd := make([]float32, 2), make([]float32, 1)
	tensor.RMSNormForward(y, rstd, x, w, 1, 2, 1e-6)
	gate, up := []float32{0, 2}, []float32{5, 1}
	out := make([]float32, 2)
	tensor.SwiGLUForward(out, gate, up)
	fmt.Printf("rmsnorm %.4f, swiglu %.4f\n", y, out)
	// Output:
	// rmsnorm [0.8485 1.1314], swiglu [0.0000 1.7616]
}
