package tensor

import "math"

// CrossEntropy computes, for each of the n rows of logits (n×v), the loss
// −log softmax(row)[target] into losses, and writes into dlogits the gradient
// weight·(softmax(row) − onehot(target)). A row whose target is negative or
// whose weight is zero gets loss 0 and a zero gradient. dlogits may alias
// logits; dlogits may be nil when only losses are wanted.
func CrossEntropy(losses, dlogits, logits []float32, targets []int32, weights []float32, n, v int) {
	ParallelFor(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			x := logits[i*v : (i+1)*v]
			tgt := int(targets[i])
			w := float32(1)
			if weights != nil {
				w = weights[i]
			}
			if tgt < 0 || w == 0 {
				losses[i] = 0
				if dlogits != nil {
					d := dlogits[i*v : (i+1)*v]
					for j := range d {
						d[j] = 0
					}
				}
				continue
			}
			mx := float32(math.Inf(-1))
			for _, z := range x {
				if z > mx {
					mx = z
				}
			}
			var s float64
			for _, z := range x {
				s += math.Exp(float64(z - mx))
			}
			lse := float32(math.Log(s)) + mx
			losses[i] = lse - x[tgt]
			if dlogits != nil {
				d := dlogits[i*v : (i+1)*v]
				for j, z := range x {
					d[j] = w * float32(math.Exp(float64(z-lse)))
				}
				d[tgt] -= w
			}
		}
	})
}
