package checkpoint

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// allKVs has a value of every GGUF type, arrays of every element type, and
// arrays of arrays.
func allKVs() []KV {
	return []KV{
		{"general.architecture", "test"},
		{"t.u8", uint8(200)}, {"t.i8", int8(-100)},
		{"t.u16", uint16(60000)}, {"t.i16", int16(-30000)},
		{"t.u32", uint32(4000000000)}, {"t.i32", int32(-2000000000)},
		{"t.f32", float32(1.5)}, {"t.bool", true}, {"t.str", "héllo"},
		{"t.u64", uint64(1 << 60)}, {"t.i64", int64(-1 << 60)}, {"t.f64", math.Pi},
		{"t.empty_str", ""},
		{"a.u8", []uint8{1, 2, 255}}, {"a.i8", []int8{-1, 2}},
		{"a.u16", []uint16{1, 65535}}, {"a.i16", []int16{-32768, 5}},
		{"a.u32", []uint32{7}}, {"a.i32", []int32{-7, 8, 9}},
		{"a.f32", []float32{0.5, -0.25}}, {"a.bool", []bool{true, false, true}},
		{"a.str", []string{"a", "", "Ġt he"}}, {"a.u64", []uint64{1 << 63}},
		{"a.i64", []int64{-1}}, {"a.f64", []float64{1e300}},
		{"a.empty", []string{}},
		{"a.nested", []any{[]int32{1, 2}, []string{"x"}, []any{[]uint8{3}}}},
	}
}

func ggufTensors() []Tensor {
	seq := func(n int) []float32 {
		d := make([]float32, n)
		for i := range d {
			d[i] = float32(i) - 3
		}
		return d
	}
	return []Tensor{
		{Name: "token_embd.weight", Shape: []int{3, 5}, Data: seq(15)},
		{Name: "v", Shape: []int{7}, Data: seq(7), DType: F16},
		{Name: "b16", Shape: []int{2, 3}, Data: seq(6), DType: BF16},
		{Name: "four", Shape: []int{2, 1, 3, 2}, Data: seq(12)},
	}
}

func writeGGUF(t *testing.T, kvs []KV, tensors []Tensor) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteGGUF(&buf, kvs, tensors); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func parseGGUF(b []byte) (*GGUFFile, error) {
	return ParseGGUF(bytes.NewReader(b), int64(len(b)), "test.gguf")
}

func TestGGUFRoundTrip(t *testing.T) {
	for _, align := range []uint32{0, 8, 64} {
		kvs := allKVs()
		if align != 0 {
			kvs = append(kvs, KV{KeyAlignment, align})
		} else {
			align = GGUFDefaultAlignment
		}
		tensors := ggufTensors()
		b := writeGGUF(t, kvs, tensors)
		g, err := parseGGUF(b)
		if err != nil {
			t.Fatal(err)
		}
		if g.Version != 3 || g.Alignment != align {
			t.Errorf("version %d alignment %d, want 3 %d", g.Version, g.Alignment, align)
		}
		if !reflect.DeepEqual(g.KV, kvs) {
			t.Errorf("metadata differs:\n got %#v\nwant %#v", g.KV, kvs)
		}
		if g.DataOffset%int64(align) != 0 || len(b)%int(align) != 0 {
			t.Errorf("data offset %d / file size %d not aligned to %d", g.DataOffset, len(b), align)
		}
		if len(g.Tensors) != len(tensors) {
			t.Fatalf("%d tensors, want %d", len(g.Tensors), len(tensors))
		}
		for i, want := range tensors {
			info := g.Tensors[i]
			if info.Name != want.Name || !slices.Equal(info.Shape(), want.Shape) || info.Type != ggmlTypeOf(want.DType) {
				t.Errorf("tensor %d: %s %v %v, want %s %v %v", i, info.Name, info.Shape(), info.Type, want.Name, want.Shape, want.DType)
			}
			if info.Offset%uint64(align) != 0 {
				t.Errorf("tensor %q offset %d not aligned", info.Name, info.Offset)
			}
			got, err := g.ReadFloat32(want.Name)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want.Data) {
				t.Errorf("%q = %v, want %v", want.Name, got, want.Data)
			}
		}
		// ggml dims are the shape reversed.
		if info, _ := g.Tensor("four"); !slices.Equal(info.Dims, []uint64{2, 3, 1, 2}) {
			t.Errorf("dims of four = %v", info.Dims)
		}
		if raw, err := g.ReadTensorBytes("v"); err != nil || len(raw) != 14 {
			t.Errorf("raw bytes of v: %d, %v", len(raw), err)
		}
	}
}

func TestGGUFGet(t *testing.T) {
	g, err := parseGGUF(writeGGUF(t, allKVs(), nil))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := GGUFGet[uint32](g, "t.u32"); err != nil || v != 4000000000 {
		t.Errorf("uint32: %v, %v", v, err)
	}
	if v, err := GGUFGet[[]string](g, "a.str"); err != nil || len(v) != 3 {
		t.Errorf("[]string: %v, %v", v, err)
	}
	if _, err := GGUFGet[uint64](g, "t.u32"); err == nil || !strings.Contains(err.Error(), "has type UINT32, want UINT64") {
		t.Errorf("wrong type error = %v", err)
	}
	if _, err := GGUFGet[string](g, "nope"); err == nil || !strings.Contains(err.Error(), `missing metadata key "nope"`) {
		t.Errorf("missing key error = %v", err)
	}
}

// TestGGUFGolden pins the exact bytes of a tiny file against the spec.
func TestGGUFGolden(t *testing.T) {
	b := writeGGUF(t, []KV{{"a.b", uint32(7)}}, []Tensor{{Name: "w", Shape: []int{1, 2}, Data: []float32{1, -2}}})
	le := binary.LittleEndian
	var want []byte
	want = append(want, "GGUF"...)
	want = le.AppendUint32(want, 3)
	want = le.AppendUint64(want, 1) // tensors
	want = le.AppendUint64(want, 1) // kvs
	want = le.AppendUint64(want, 3)
	want = append(want, "a.b"...)
	want = le.AppendUint32(want, 4) // UINT32
	want = le.AppendUint32(want, 7)
	want = le.AppendUint64(want, 1)
	want = append(want, "w"...)
	want = le.AppendUint32(want, 2) // n_dims
	want = le.AppendUint64(want, 2) // ne[0]: the innermost dimension
	want = le.AppendUint64(want, 1)
	want = le.AppendUint32(want, 0) // F32
	want = le.AppendUint64(want, 0) // offset
	for len(want)%32 != 0 {
		want = append(want, 0)
	}
	want = append(want, 0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0)
	for len(want)%32 != 0 {
		want = append(want, 0)
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("got\n% x\nwant\n% x", b, want)
	}
}

func TestSaveGGUF(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := SaveGGUF(path, allKVs(), ggufTensors()); err != nil {
		t.Fatal(err)
	}
	g, err := OpenGGUF(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if got, err := g.ReadFloat32("four"); err != nil || got[11] != 8 {
		t.Fatalf("read back %v, %v", got, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode())
	}
}

func TestWriteGGUFErrors(t *testing.T) {
	one := []Tensor{{Name: "w", Shape: []int{1}, Data: []float32{1}}}
	for _, tc := range []struct {
		name    string
		kvs     []KV
		tensors []Tensor
		want    string
	}{
		{"int", []KV{{"a.b", 3}}, nil, "unsupported value type int"},
		{"bad key", []KV{{"A.b", uint32(1)}}, nil, "lower_snake_case"},
		{"empty segment", []KV{{"a..b", uint32(1)}}, nil, "empty segment"},
		{"dup key", []KV{{"a", true}, {"a", false}}, nil, `duplicate metadata key "a"`},
		{"alignment type", []KV{{KeyAlignment, uint64(32)}}, nil, "want UINT32"},
		{"alignment value", []KV{{KeyAlignment, uint32(12)}}, nil, "power of two"},
		{"nested scalar", []KV{{"a", []any{uint8(1)}}}, nil, "not a slice"},
		{"no dims", nil, []Tensor{{Name: "s", Shape: []int{}, Data: []float32{1}}}, "0 dimensions"},
		{"5 dims", nil, []Tensor{{Name: "s", Shape: []int{1, 1, 1, 1, 1}, Data: []float32{1}}}, "5 dimensions"},
		{"long name", nil, []Tensor{{Name: strings.Repeat("x", 64), Shape: []int{1}, Data: []float32{1}}}, "longer than 63"},
		{"dup tensor", nil, append(slices.Clone(one), one...), `duplicate tensor name "w"`},
		{"size", nil, []Tensor{{Name: "w", Shape: []int{2}, Data: []float32{1}}}, "holds 2 elements"},
	} {
		err := WriteGGUF(&bytes.Buffer{}, tc.kvs, tc.tensors)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// rawGGUF assembles GGUF bytes field by field, for files no writer makes.
type rawGGUF struct{ b []byte }

func (r *rawGGUF) u32(v uint32) *rawGGUF { r.b = binary.LittleEndian.AppendUint32(r.b, v); return r }
func (r *rawGGUF) u64(v uint64) *rawGGUF { r.b = binary.LittleEndian.AppendUint64(r.b, v); return r }
func (r *rawGGUF) str(s string) *rawGGUF { r.u64(uint64(len(s))); r.b = append(r.b, s...); return r }
func (r *rawGGUF) raw(b ...byte) *rawGGUF {
	r.b = append(r.b, b...)
	return r
}
func (r *rawGGUF) pad(a int) *rawGGUF {
	for len(r.b)%a != 0 {
		r.b = append(r.b, 0)
	}
	return r
}

// header starts a v3 file with the given counts.
func header(tensors, kvs uint64) *rawGGUF {
	r := &rawGGUF{b: []byte("GGUF")}
	return r.u32(3).u64(tensors).u64(kvs)
}

// tinfo appends a tensor info.
func (r *rawGGUF) tinfo(name string, dims []uint64, typ uint32, off uint64) *rawGGUF {
	r.str(name).u32(uint32(len(dims)))
	for _, d := range dims {
		r.u64(d)
	}
	return r.u32(typ).u64(off)
}

func TestParseGGUFErrors(t *testing.T) {
	data := func(r *rawGGUF, n int) []byte { return r.pad(32).raw(make([]byte, n)...).b }
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "magic"},
		{"magic", []byte("GGML\x03\x00\x00\x00"), `magic is "GGML"`},
		{"v1", (&rawGGUF{b: []byte("GGUF")}).u32(1).u32(0).u32(0).b, "version 1 is not supported"},
		{"big endian", (&rawGGUF{b: []byte("GGUF")}).u32(3 << 24).u64(0).u64(0).b, "big-endian"},
		{"v4", (&rawGGUF{b: []byte("GGUF")}).u32(4).u64(0).u64(0).b, "unsupported version 4"},
		{"truncated counts", []byte("GGUF\x03\x00\x00\x00\x01"), "tensor_count"},
		{"kv count", header(0, 1<<40).b, "metadata_kv_count 1099511627776 cannot fit"},
		{"tensor count", header(1<<40, 0).b, "tensor_count 1099511627776 cannot fit"},
		{"key too long", header(0, 1).u64(1 << 20).raw(make([]byte, 64)...).b, "metadata 0: key: string length 1048576 exceeds the limit of 65535"},
		{"key past end", header(0, 1).u64(1000).raw(make([]byte, 64)...).b, "runs past the end"},
		{"empty key", header(0, 1).str("").u32(0).raw(1, 0, 0).b, "empty key"},
		{"bad key", header(0, 1).str("a b").u32(0).raw(1).b, "not printable ASCII"},
		{"value type", header(0, 1).str("k").u32(13).raw(0).b, `metadata "k": invalid value type 13`},
		{"bool", header(0, 1).str("k").u32(7).raw(2).b, `metadata "k": bool byte is 2`},
		{"bool array", header(0, 1).str("k").u32(9).u32(7).u64(2).raw(1, 3).b, "element 1: bool byte is 3"},
		{"array type", header(0, 1).str("k").u32(9).u32(42).u64(0).b, "invalid array element type 42"},
		{"array len", header(0, 1).str("k").u32(9).u32(6).u64(1 << 61).raw(make([]byte, 16)...).b, "cannot fit"},
		{"string len", header(0, 1).str("k").u32(8).u64(1 << 62).raw(make([]byte, 16)...).b, "runs past the end"},
		{"string in array", header(0, 1).str("k").u32(9).u32(8).u64(2).str("ok").u64(99).b, "element 1: string length 99"},
		{"dup key", header(0, 2).str("k").u32(0).raw(1).str("k").u32(0).raw(1).b, `duplicate key "k"`},
		{"alignment type", header(0, 1).str(KeyAlignment).u32(10).u64(32).b, `"general.alignment" has type UINT64, want UINT32`},
		{"alignment zero", header(0, 1).str(KeyAlignment).u32(4).u32(0).b, "power of two"},
		{"alignment 48", header(0, 1).str(KeyAlignment).u32(4).u32(48).b, "power of two"},
		{"deep nesting", func() []byte {
			r := header(0, 1).str("k").u32(9)
			for range 9 {
				r.u32(9).u64(1)
			}
			return r.u32(0).u64(0).raw(make([]byte, 64)...).b
		}(), "nested more than 8"},
		{"tensor name", data(header(1, 0).str("").u32(1).u64(1).u32(0).u64(0), 32), "tensor 0: empty name"},
		{"tensor name long", data(header(1, 0).tinfo(strings.Repeat("n", 65), []uint64{1}, 0, 0), 32), "exceeds the limit of 64"},
		{"dims 0", data(header(1, 0).tinfo("w", nil, 0, 0), 32), `tensor 0 ("w"): n_dimensions is 0`},
		{"dims 5", data(header(1, 0).tinfo("w", []uint64{1, 1, 1, 1, 1}, 0, 0), 32), "n_dimensions is 5"},
		{"dim huge", data(header(1, 0).tinfo("w", []uint64{1 << 63}, 0, 0), 32), "beyond int64"},
		{"dims overflow", data(header(1, 0).tinfo("w", []uint64{1 << 40, 1 << 40}, 0, 0), 32), "overflow"},
		{"ggml type", data(header(1, 0).tinfo("w", []uint64{1}, 4, 0), 32), "unknown ggml type 4"},
		{"block", data(header(1, 0).tinfo("w", []uint64{33}, 2, 0), 32), "not a multiple of the Q4_0 block size 32"},
		{"unaligned", data(header(1, 0).tinfo("w", []uint64{1}, 0, 4), 32), `tensor "w": offset 4 is not a multiple of the alignment 32`},
		{"past end", data(header(1, 0).tinfo("w", []uint64{16}, 0, 0), 32), "runs past the end of the data section"},
		{"offset past end", data(header(1, 0).tinfo("w", []uint64{1}, 0, 1<<62), 32), "runs past the end of the data section"},
		{"no data", header(1, 0).tinfo("w", []uint64{1}, 0, 0).b, "past the end of the file"},
		{"overlap", data(header(2, 0).tinfo("a", []uint64{16}, 0, 0).tinfo("b", []uint64{1}, 0, 32), 64), `tensor "b": data at offset 32 overlaps tensor "a"`},
		{"dup tensor", data(header(2, 0).tinfo("a", []uint64{1}, 0, 0).tinfo("a", []uint64{1}, 0, 32), 64), `duplicate name "a"`},
	} {
		_, err := parseGGUF(tc.file)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "test.gguf") {
			t.Errorf("%s: error = %v, want %q and the file name", tc.name, err, tc.want)
		}
	}
}

// TestParseGGUFAccepts covers valid files no writer here produces.
func TestParseGGUFAccepts(t *testing.T) {
	v2 := (&rawGGUF{b: []byte("GGUF")}).u32(2).u64(0).u64(1).str("k").u32(8).str("v").b
	g, err := parseGGUF(v2)
	if err != nil || g.Version != 2 {
		t.Fatalf("v2: %v", err)
	}
	// A quantised tensor is described (not converted), and zero-sized
	// tensors may share an offset.
	q := header(3, 0).tinfo("q", []uint64{64, 2}, 2, 0).tinfo("z", []uint64{0}, 0, 160).tinfo("z2", []uint64{0, 3}, 0, 160).pad(32).raw(make([]byte, 160)...).b
	g, err = parseGGUF(q)
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := g.Tensor("q"); info.Size != 72 || info.Type.String() != "Q4_0" {
		t.Errorf("q4_0 info = %+v", info)
	}
	if _, err := g.ReadFloat32("q"); err == nil || !strings.Contains(err.Error(), "Q4_0 cannot be read") {
		t.Errorf("error = %v", err)
	}
}
