package checkpoint

import (
	"bytes"
	"encoding/binary"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// sampleTensors covers every dtype, a scalar and an empty tensor.
func sampleTensors() []Tensor {
	seq := func(n int, scale float32) []float32 {
		d := make([]float32, n)
		for i := range d {
			d[i] = float32(i-n/2) * scale
		}
		return d
	}
	return []Tensor{
		{Name: "wte.weight", Shape: []int{5, 4}, Data: seq(20, 0.25)},
		{Name: "h.0.ln_1.bias", Shape: []int{3}, Data: seq(3, 0.5), DType: F16},
		{Name: "scale", Shape: []int{}, Data: []float32{3.5}, DType: BF16},
		{Name: "empty", Shape: []int{0, 7}, Data: nil},
		{Name: "blk.é/\"quoted\"", Shape: []int{2, 1, 2}, Data: seq(4, 1)},
	}
}

func writeST(t *testing.T, tensors []Tensor, meta map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, tensors, meta); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func parseST(b []byte) (*SafetensorsFile, error) {
	return ParseSafetensors(bytes.NewReader(b), int64(len(b)), "test.safetensors")
}

func TestSafetensorsRoundTrip(t *testing.T) {
	tensors := sampleTensors()
	meta := map[string]string{"format": "pt", "align": "v0"}
	b := writeST(t, tensors, meta)
	n := binary.LittleEndian.Uint64(b)
	if (8+n)%8 != 0 || b[8] != '{' {
		t.Fatalf("header length %d not aligned or header starts with %q", n, b[8])
	}
	f, err := parseST(b)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(f.Metadata, meta) {
		t.Errorf("metadata = %v, want %v", f.Metadata, meta)
	}
	if len(f.Tensors) != len(tensors) {
		t.Fatalf("%d tensors, want %d", len(f.Tensors), len(tensors))
	}
	for _, want := range tensors {
		info, ok := f.Tensor(want.Name)
		if !ok {
			t.Fatalf("tensor %q missing", want.Name)
		}
		if info.DType != want.DType.String() || !slices.Equal(info.Shape, want.Shape) {
			t.Errorf("%q: %s%v, want %s%v", want.Name, info.DType, info.Shape, want.DType, want.Shape)
		}
		got, err := f.ReadFloat32(want.Name)
		if err != nil {
			t.Fatal(err)
		}
		// The sample values are exact in F16 and BF16.
		if !slices.Equal(got, want.Data) && !(len(got) == 0 && len(want.Data) == 0) {
			t.Errorf("%q = %v, want %v", want.Name, got, want.Data)
		}
	}
	if _, err := f.ReadFloat32("nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("missing tensor error = %v", err)
	}
	if err := f.ReadFloat32Into("wte.weight", make([]float32, 3)); err == nil {
		t.Error("ReadFloat32Into accepted a short destination")
	}
}

// TestSafetensorsGolden pins the exact bytes of a tiny file.
func TestSafetensorsGolden(t *testing.T) {
	b := writeST(t, []Tensor{{Name: "a", Shape: []int{2}, Data: []float32{1, -2}}}, nil)
	hdr := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	for len(hdr)%8 != 0 {
		hdr += " "
	}
	want := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	want = append(want, hdr...)
	want = append(want, 0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0)
	if !bytes.Equal(b, want) {
		t.Fatalf("got\n%q\nwant\n%q", b, want)
	}
}

func TestSaveSafetensorsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	if err := SaveSafetensors(path, sampleTensors(), nil); err != nil {
		t.Fatal(err)
	}
	f, err := OpenSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := f.ReadFloat32("wte.weight"); err != nil || got[0] != -2.5 {
		t.Fatalf("read back %v, %v", got, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// A failing write leaves the old file and no temporary behind.
	bad := []Tensor{{Name: "x", Shape: []int{3}, Data: []float32{1}}}
	if err := SaveSafetensors(path, bad, nil); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("error = %v, want one naming %s", err, path)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want 1", len(entries))
	}
	if _, err := OpenSafetensors(path); err != nil {
		t.Fatalf("old file damaged: %v", err)
	}
	if _, err := OpenSafetensors(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("opened a missing file")
	}
}

func TestWriteSafetensorsErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tensors []Tensor
		want    string
	}{
		{"empty name", []Tensor{{Shape: []int{1}, Data: []float32{1}}}, "empty name"},
		{"reserved", []Tensor{{Name: "__metadata__", Shape: []int{1}, Data: []float32{1}}}, "reserved"},
		{"duplicate", []Tensor{{Name: "a", Shape: []int{1}, Data: []float32{1}}, {Name: "a", Shape: []int{1}, Data: []float32{1}}}, "duplicate"},
		{"size", []Tensor{{Name: "a", Shape: []int{2, 2}, Data: []float32{1}}}, `tensor "a": shape [2 2] holds 4`},
		{"negative", []Tensor{{Name: "a", Shape: []int{-1}, Data: nil}}, "negative"},
		{"dtype", []Tensor{{Name: "a", Shape: []int{1}, Data: []float32{1}, DType: 9}}, "invalid dtype"},
	} {
		err := WriteSafetensors(&bytes.Buffer{}, tc.tensors, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// rawST builds a safetensors file from a header string and a data length.
func rawST(header string, data int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, data)...)
}

func TestParseSafetensorsErrors(t *testing.T) {
	t2 := func(name, dtype, shape string, b, e int) string {
		return `"` + name + `":{"dtype":"` + dtype + `","shape":` + shape + `,"data_offsets":[` + strconv.Itoa(b) + `,` + strconv.Itoa(e) + `]}`
	}
	huge := binary.LittleEndian.AppendUint64(nil, 200_000_000)
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty file", nil, "too short"},
		{"header limit", append(huge, make([]byte, 16)...), "exceeds the limit"},
		{"header past end", binary.LittleEndian.AppendUint64(nil, 100), "exceeds the 0 bytes"},
		{"not an object", rawST(`["a"]   `, 0), "does not start with '{'"},
		{"bad json", rawST(`{"a":}  `, 0), "header JSON"},
		{"trailing", rawST(`{} {}   `, 0), "after the object"},
		{"not utf8", rawST("{\"\xff\":1}", 0), "UTF-8"},
		{"duplicate", rawST(`{`+t2("a", "F32", "[1]", 0, 4)+`,`+t2("a", "F32", "[1]", 4, 8)+`}`, 8), `duplicate tensor name "a"`},
		{"unknown dtype", rawST(`{`+t2("a", "F7", "[1]", 0, 4)+`}`, 4), `tensor "a": unknown dtype "F7"`},
		{"missing field", rawST(`{"a":{"dtype":"F32","shape":[1]}}`, 4), `tensor "a": missing data_offsets`},
		{"unknown field", rawST(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, 4), `tensor "a"`},
		{"negative dim", rawST(`{`+t2("a", "F32", "[-1]", 0, 4)+`}`, 4), `tensor "a"`},
		{"size mismatch", rawST(`{`+t2("a", "F32", "[2]", 0, 4)+`}`, 4), `tensor "a": data_offsets [0, 4] span 4 bytes but F32[2] needs 8`},
		{"three offsets", rawST(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, 4), "has 3 values"},
		{"reversed", rawST(`{`+t2("a", "F32", "[0]", 4, 0)+`}`, 4), "not an increasing"},
		{"overlap", rawST(`{`+t2("a", "F32", "[2]", 0, 8)+`,`+t2("b", "F32", "[1]", 4, 8)+`}`, 8), `tensor "b": data_offsets [4, 8] overlap tensor "a"`},
		{"gap", rawST(`{`+t2("a", "F32", "[1]", 4, 8)+`}`, 8), "unused"},
		{"past end", rawST(`{`+t2("a", "F32", "[2]", 0, 8)+`}`, 4), "exceed the data area"},
		{"trailing data", rawST(`{`+t2("a", "F32", "[1]", 0, 4)+`}`, 8), "cover 4 bytes but the data area has 8"},
		{"bad metadata", rawST(`{"__metadata__":{"a":1}}`, 0), "__metadata__"},
		{"huge shape", rawST(`{`+t2("a", "F32", "[4294967296,4294967296]", 0, 4)+`}`, 4), "too large"},
	} {
		_, err := parseST(tc.file)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "test.safetensors") {
			t.Errorf("%s: error = %v, want %q and the file name", tc.name, err, tc.want)
		}
	}
}

func TestSafetensorsOtherDTypes(t *testing.T) {
	f, err := parseST(rawST(`{"i":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}    `, 16))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadFloat32("i"); err == nil || !strings.Contains(err.Error(), "I64") {
		t.Fatalf("error = %v, want one about I64", err)
	}
}
