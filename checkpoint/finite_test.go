package checkpoint

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/internal/yamlconf"
)

var (
	nan32  = math.Float32frombits(0x7fc00000)
	inf32  = float32(math.Inf(1))
	ninf32 = float32(math.Inf(-1))
)

// poke overwrites element i of tensor name in the safetensors file at path
// with v, in the tensor's dtype, as a disk error or a diverged run would
// leave it.
func poke(t *testing.T, path, name string, i int, v float32) {
	t.Helper()
	sf, err := OpenSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := sf.Tensor(name)
	sf.Close()
	if !ok {
		t.Fatalf("%s has no tensor %s", path, name)
	}
	var b []byte
	switch st.DType {
	case "F32":
		b = binary.LittleEndian.AppendUint32(nil, math.Float32bits(v))
	case "F16":
		b = binary.LittleEndian.AppendUint16(nil, Float32ToF16(v))
	default:
		t.Fatalf("poke: dtype %s", st.DType)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, sf.DataOffset+st.Begin+int64(i*len(b))); err != nil {
		t.Fatal(err)
	}
}

// TestLoadRefusesNonFinite: weights holding a NaN or an infinity, in any
// tensor and dtype, are an error naming the file, the tensor and the fix.
func TestLoadRefusesNonFinite(t *testing.T) {
	for _, tc := range []struct {
		tensor string
		i      int
		v      float32
		dt     DType
	}{
		{"transformer.wte.weight", 17, nan32, F32},
		{"transformer.h.1.mlp.c_fc.weight", 100, inf32, F32}, // stored transposed
		{"transformer.ln_f.bias", 3, ninf32, F32},
		{"score.weight", 0, nan32, F32},
		{"transformer.h.0.attn.c_attn.bias", 5, inf32, F16},
	} {
		cfg := tinyConfig
		cfg.ScalarHeads = 1
		dir := t.TempDir()
		if err := SaveHF(dir, testModel(t, cfg, 2), testTokenizer(t, true), HFOptions{DType: tc.dt}); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, HFWeightsFile)
		if _, err := LoadHF(dir); err != nil {
			t.Fatalf("before the poke: %v", err)
		}
		poke(t, path, tc.tensor, tc.i, tc.v)
		_, err := LoadHF(dir)
		nf, ok := errors.AsType[*NonFiniteError](err)
		if !ok || nf.File != path || nf.Tensor != tc.tensor || nf.Index != tc.i {
			t.Errorf("%s[%d] = %v (%v): error %v, want a *NonFiniteError naming them", tc.tensor, tc.i, tc.v, tc.dt, err)
			continue
		}
		for _, s := range []string{path, tc.tensor, "the checkpoint is broken", "earlier checkpoint"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q lacks %q", err, s)
			}
		}
		if !IsRefused(err) {
			t.Errorf("IsRefused(%v) is false", err)
		}
	}
}

// TestExportRefusesNonFinite: neither format exports broken weights, and
// nothing is written.
func TestExportRefusesNonFinite(t *testing.T) {
	dir := exportDir(t, true)
	poke(t, filepath.Join(dir, HFWeightsFile), "transformer.h.0.mlp.c_proj.weight", 9, nan32)
	for _, format := range []string{"gguf", "hf"} {
		out := filepath.Join(t.TempDir(), "out")
		_, err := Export(ExportSpec{Model: dir, Format: format, Out: out, DType: "f32"})
		ke, ok := errors.AsType[*yamlconf.KeyError](err)
		if _, nf := errors.AsType[*NonFiniteError](err); !ok || ke.Key != "model" || !nf {
			t.Errorf("export %s of NaN weights: %v, want a *NonFiniteError under the key model", format, err)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("export %s of NaN weights wrote %s: %v", format, out, err)
		}
	}

	// A model in memory too: llama.cpp would load it and answer nonsense.
	m := testModel(t, tinyConfig, 1)
	m.W.Lnfw[2] = inf32
	out := filepath.Join(t.TempDir(), "m.gguf")
	err := ExportGGUF(out, m, testTokenizer(t, true), GGUFExportOptions{})
	if err == nil || !strings.Contains(err.Error(), "ln_f.weight") || !strings.Contains(err.Error(), "broken") {
		t.Errorf("ExportGGUF of an infinite weight: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("ExportGGUF of an infinite weight wrote %s: %v", out, err)
	}
}
