package checkpoint

import "fmt"

// NonFiniteError is a checkpoint whose weights hold a NaN or an infinity:
// it was saved from a run that diverged, or corrupted since. No command can
// use it, and one that tried would fail later and blame something else (a
// fine-tuning run, its learning rate).
type NonFiniteError struct {
	File   string // the weights file
	Tensor string // the tensor's name in File
	Index  int    // the first bad element, in the file's order
	Value  float32
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("read safetensors %s: tensor %q holds %v at element %d: the checkpoint is broken; use an earlier checkpoint or train again",
		e.File, e.Tensor, e.Value, e.Index)
}

// checkFinite returns a *NonFiniteError for the first NaN or infinity of
// data, the tensor name of file.
func checkFinite(file, name string, data []float32) error {
	for i, v := range data {
		if v-v != 0 { // NaN - NaN and Inf - Inf are NaN
			return &NonFiniteError{File: file, Tensor: name, Index: i, Value: v}
		}
	}
	return nil
}
