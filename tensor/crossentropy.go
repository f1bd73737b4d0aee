package tensor

import "math"

// CrossEntropy computes, for each of the n rows of logits (n×v), the loss
// −log softmax(row)[target] into losses, and writes into dlogits the gradient
// weight·(softmax(row) − onehot(target)). A row whose target is negative or
// whose weight is zero gets loss 0 and a zero gradient. dlogits may alias
// logits; dlogits may be nil when only losses are wanted. weights may be nil
// (every weight 1).
func CrossEntropy(losses, dlogits, logits []float32, targets []int32, weights []float32, n, v int) {
	if n <= 0 || v <= 0 {
		return
	}
	_, _, _ = losses[n-1], logits[n*v-1], targets[n-1]
	if weights != nil {
		_ = weights[n-1]
	}
	if dlogits != nil {
		_ = dlogits[n*v-1]
	}
	parallelRows(n, v, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			x := logits[i*v : (i+1)*v]
			var d []float32
			if dlogits != nil {
				d = dlogits[i*v : (i+1)*v]
			}
			tgt := int(targets[i])
			w := float32(1)
			if weights != nil {
				w = weights[i]
			}
			if tgt < 0 || w == 0 {
				losses[i] = 0
				clear(d)
				continue
			}
			if tgt >= v {
				panic("tensor: CrossEntropy target out of range")
			}
			xt := x[tgt]
			mx := maxf(x)
			var s float32
			if d != nil {
				s = expSum(d, x, 1, -mx) // d may alias x: read x[tgt] first
				scale(w/s, d)
				d[tgt] -= w
			} else {
				s = ExpSum(nil, x, 1, -mx)
			}
			losses[i] = float32(math.Log(float64(s))) + mx - xt
		}
	})
}
