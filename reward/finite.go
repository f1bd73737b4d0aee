package reward

import (
	"fmt"

	"github.com/align-project/align/internal/atomicfile"
)

// divergedHint is the fix for numbers that left the finite range in
// training.
const divergedHint = "training diverged: lower lr or set clip, check the preferences' margins and the loss weights, and train again"

// checkFinite returns an error naming what (a file or a step) and the
// field of v that holds a NaN or an Inf, or nil.
func checkFinite(what string, v any) error {
	if p := atomicfile.FirstNonFinite(v); p != "" {
		return fmt.Errorf("%s: %s is not a finite number: %s", what, p, divergedHint)
	}
	return nil
}
