// Package checkpointtest breaks checkpoints for tests of the commands that
// load them.
package checkpointtest

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/align-project/align/checkpoint"
)

// Poison writes v (a NaN or an infinity, say) into the first element of the
// F32 tensor name of the model directory dir, as a run that diverged before
// it was saved, or a disk error, would leave it.
func Poison(t testing.TB, dir, name string, v float32) {
	t.Helper()
	path := filepath.Join(dir, checkpoint.HFWeightsFile)
	sf, err := checkpoint.OpenSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := sf.Tensor(name)
	sf.Close()
	if !ok || st.DType != "F32" {
		t.Fatalf("%s has no F32 tensor %s", path, name)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)), sf.DataOffset+st.Begin); err != nil {
		t.Fatal(err)
	}
}

// NaN is a float32 NaN for Poison.
var NaN = float32(math.NaN())
