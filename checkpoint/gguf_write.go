package checkpoint

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// WriteGGUF writes a GGUF v3 file to w: the metadata kvs in order, then the
// tensors in order, each stored as its DType says (F32 unless set) with ggml
// dimensions (Shape reversed) and its data aligned to general.alignment
// (taken from kvs, where it must be a UINT32, or GGUFDefaultAlignment).
//
// Keys must be lower_snake_case segments joined by dots, and values must have
// one of the Go types listed at KV; tensors need unique names of at most
// GGUFMaxTensorName bytes and 1 to 4 dimensions. Everything is checked before
// the first byte is written, and the data then streams from the tensors.
func WriteGGUF(w io.Writer, kvs []KV, tensors []Tensor) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("write gguf: %s", fmt.Sprintf(format, args...))
	}
	align := uint64(GGUFDefaultAlignment)
	seen := make(map[string]bool, len(kvs))
	for _, kv := range kvs {
		if err := checkWriteKey(kv.Key); err != nil {
			return fail("%v", err)
		}
		if seen[kv.Key] {
			return fail("duplicate metadata key %q", kv.Key)
		}
		seen[kv.Key] = true
		if err := checkWriteValue(kv.Value, 0); err != nil {
			return fail("metadata %q: %v", kv.Key, err)
		}
		if kv.Key == KeyAlignment {
			a, ok := kv.Value.(uint32)
			if !ok {
				return fail("metadata %q has type %s, want UINT32", kv.Key, typeName(kv.Value))
			}
			if a < 8 || a&(a-1) != 0 {
				return fail("metadata %q is %d, want a power of two of at least 8", kv.Key, a)
			}
			align = uint64(a)
		}
	}

	offsets := make([]uint64, len(tensors))
	var off uint64
	names := make(map[string]bool, len(tensors))
	for i := range tensors {
		t := &tensors[i]
		switch {
		case t.Name == "":
			return fail("tensor %d has an empty name", i)
		case len(t.Name) > GGUFMaxTensorName:
			return fail("tensor name %q is longer than %d bytes", t.Name, GGUFMaxTensorName)
		case names[t.Name]:
			return fail("duplicate tensor name %q", t.Name)
		case len(t.Shape) < 1 || len(t.Shape) > GGUFMaxDims:
			return fail("tensor %q has %d dimensions, want 1 to %d", t.Name, len(t.Shape), GGUFMaxDims)
		}
		names[t.Name] = true
		if err := checkTensor(t); err != nil {
			return fail("%v", err)
		}
		offsets[i] = off
		off += uint64(alignUp(int64(len(t.Data)*t.DType.Size()), int64(align)))
	}

	cw := &countingWriter{w: w}
	bw := bufio.NewWriter(cw)
	e := &ggufEncoder{w: bw}
	e.bytes([]byte(GGUFMagic))
	e.u32(GGUFVersion)
	e.u64(uint64(len(tensors)))
	e.u64(uint64(len(kvs)))
	for _, kv := range kvs {
		e.str(kv.Key)
		t, _, _ := valueType(kv.Value)
		e.u32(uint32(t))
		e.value(kv.Value)
	}
	for i, t := range tensors {
		e.str(t.Name)
		e.u32(uint32(len(t.Shape)))
		for j := len(t.Shape) - 1; j >= 0; j-- {
			e.u64(uint64(t.Shape[j]))
		}
		e.u32(uint32(ggmlTypeOf(t.DType)))
		e.u64(offsets[i])
	}
	if e.err != nil {
		return fail("%v", e.err)
	}
	if err := bw.Flush(); err != nil {
		return fail("%v", err)
	}
	if len(tensors) == 0 {
		return nil // no data section, so no padding (as llama.cpp's gguf-py writes it)
	}
	if err := writePadding(cw, align); err != nil {
		return fail("%v", err)
	}
	for _, t := range tensors {
		if err := writeFloats(cw, t.Data, t.DType); err != nil {
			return fail("tensor %q: %v", t.Name, err)
		}
		if err := writePadding(cw, align); err != nil {
			return fail("tensor %q: %v", t.Name, err)
		}
	}
	return nil
}

// SaveGGUF writes a GGUF file atomically (see WriteGGUF, WriteFileAtomic).
func SaveGGUF(path string, kvs []KV, tensors []Tensor) error {
	return WriteFileAtomic(path, func(w io.Writer) error {
		return WriteGGUF(w, kvs, tensors)
	})
}

// checkWriteKey enforces the spec's key rules: ASCII lower_snake_case
// segments separated by dots, at most GGUFMaxKeyLength bytes. A '-' is
// allowed too, as llama.cpp names architectures like "command-r".
func checkWriteKey(key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	segStart := true
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c == '.':
			if segStart {
				return fmt.Errorf("key %q has an empty segment", key)
			}
			segStart = true
			continue
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return fmt.Errorf("key %q is not lower_snake_case segments joined by dots", key)
		}
		segStart = false
	}
	if segStart {
		return fmt.Errorf("key %q has an empty segment", key)
	}
	return nil
}

// checkWriteValue reports whether v can be encoded: a supported Go type, and
// for []any every element a supported slice.
func checkWriteValue(v any, depth int) error {
	_, elem, ok := valueType(v)
	if !ok {
		return fmt.Errorf("unsupported value type %T (see checkpoint.KV)", v)
	}
	if elem != GGUFArray {
		return nil
	}
	if depth+1 >= maxArrayDepth {
		return fmt.Errorf("arrays nested more than %d deep", maxArrayDepth)
	}
	for i, x := range v.([]any) {
		t, _, ok := valueType(x)
		if !ok || t != GGUFArray {
			return fmt.Errorf("element %d of an array of arrays is %T, not a slice", i, x)
		}
		if err := checkWriteValue(x, depth+1); err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
	}
	return nil
}

// ggufEncoder writes little-endian GGUF primitives, keeping the first error.
type ggufEncoder struct {
	w   io.Writer
	err error
	buf [8]byte
}

func (e *ggufEncoder) bytes(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *ggufEncoder) u8(v uint8) { e.buf[0] = v; e.bytes(e.buf[:1]) }

func (e *ggufEncoder) u16(v uint16) {
	binary.LittleEndian.PutUint16(e.buf[:], v)
	e.bytes(e.buf[:2])
}

func (e *ggufEncoder) u32(v uint32) {
	binary.LittleEndian.PutUint32(e.buf[:], v)
	e.bytes(e.buf[:4])
}

func (e *ggufEncoder) u64(v uint64) {
	binary.LittleEndian.PutUint64(e.buf[:], v)
	e.bytes(e.buf[:8])
}

func (e *ggufEncoder) str(s string) {
	e.u64(uint64(len(s)))
	if e.err == nil {
		_, e.err = io.WriteString(e.w, s)
	}
}

func (e *ggufEncoder) boolean(b bool) {
	if b {
		e.u8(1)
	} else {
		e.u8(0)
	}
}

// value writes v's encoding without its type tag (checkWriteValue has
// accepted v).
func (e *ggufEncoder) value(v any) {
	switch v := v.(type) {
	case uint8:
		e.u8(v)
	case int8:
		e.u8(uint8(v))
	case uint16:
		e.u16(v)
	case int16:
		e.u16(uint16(v))
	case uint32:
		e.u32(v)
	case int32:
		e.u32(uint32(v))
	case float32:
		e.u32(math.Float32bits(v))
	case bool:
		e.boolean(v)
	case string:
		e.str(v)
	case uint64:
		e.u64(v)
	case int64:
		e.u64(uint64(v))
	case float64:
		e.u64(math.Float64bits(v))
	case []uint8:
		e.arrayHeader(GGUFUint8, len(v))
		e.bytes(v)
	case []int8:
		writeArray(e, GGUFInt8, v, func(x int8) { e.u8(uint8(x)) })
	case []uint16:
		writeArray(e, GGUFUint16, v, e.u16)
	case []int16:
		writeArray(e, GGUFInt16, v, func(x int16) { e.u16(uint16(x)) })
	case []uint32:
		writeArray(e, GGUFUint32, v, e.u32)
	case []int32:
		writeArray(e, GGUFInt32, v, func(x int32) { e.u32(uint32(x)) })
	case []float32:
		writeArray(e, GGUFFloat32, v, func(x float32) { e.u32(math.Float32bits(x)) })
	case []bool:
		writeArray(e, GGUFBool, v, e.boolean)
	case []string:
		writeArray(e, GGUFString, v, e.str)
	case []uint64:
		writeArray(e, GGUFUint64, v, e.u64)
	case []int64:
		writeArray(e, GGUFInt64, v, func(x int64) { e.u64(uint64(x)) })
	case []float64:
		writeArray(e, GGUFFloat64, v, func(x float64) { e.u64(math.Float64bits(x)) })
	case []any:
		// Each element is an array value: element type, count, elements.
		writeArray(e, GGUFArray, v, e.value)
	}
}

func (e *ggufEncoder) arrayHeader(t GGUFValueType, n int) {
	e.u32(uint32(t))
	e.u64(uint64(n))
}

func writeArray[T any](e *ggufEncoder, t GGUFValueType, v []T, put func(T)) {
	e.arrayHeader(t, len(v))
	for _, x := range v {
		put(x)
	}
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writePadding writes zero bytes up to the next multiple of align.
func writePadding(cw *countingWriter, align uint64) error {
	pad := alignUp(cw.n, int64(align)) - cw.n
	if pad == 0 {
		return nil
	}
	_, err := cw.Write(make([]byte, pad))
	return err
}
