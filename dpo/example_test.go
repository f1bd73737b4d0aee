package dpo_test

import (
	"fmt"

	"github.com/align-project/align/dpo"
)

// The losses at a pair the policy already ranks right by h = 1, with β 0.1
// and, for the noisy-label losses, ε 0.1. Each slope is the push on h: the
// logistic losses still push up; IPO, whose target is h = 1/2, pulls back.
func ExampleLoss() {
	for _, kind := range []dpo.LossKind{dpo.Sigmoid, dpo.IPO, dpo.Robust, dpo.Conservative} {
		loss, dh := dpo.Loss(kind, 1, 0.1, 0.1, 0.9)
		fmt.Printf("%-12s loss %.4f  dloss/dh %+.4f\n", kind, loss, dh)
	}
	// Output:
	// sigmoid      loss 0.3133  dloss/dh -0.2689
	// ipo          loss 25.0000  dloss/dh +100.0000
	// robust       loss 0.1883  dloss/dh -0.3939
	// conservative loss 0.4133  dloss/dh -0.1689
}
