package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"
)

// MaxSafetensorsHeader is the largest JSON header a reader accepts, the same
// limit as the reference implementation.
const MaxSafetensorsHeader = 100_000_000

// safetensorsMetadataKey is the header entry that holds free-form metadata.
const safetensorsMetadataKey = "__metadata__"

// safetensorsDTypeSize maps every dtype of the safetensors format with a
// whole-byte element size to that size. Only F32, F16 and BF16 can be read as
// float32; the others are recognised so that a file is validated completely.
var safetensorsDTypeSize = map[string]int{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
	"U16": 2, "I16": 2, "F16": 2, "BF16": 2,
	"U32": 4, "I32": 4, "F32": 4,
	"U64": 8, "I64": 8, "F64": 8,
}

// SafetensorsTensor describes one tensor of a safetensors file.
type SafetensorsTensor struct {
	Name  string
	DType string // as written in the file, e.g. "F32"
	Shape []int  // row-major order; empty for a scalar
	// Begin and End are the data_offsets: a byte range relative to the start
	// of the data area (just after the header).
	Begin, End int64
}

// NumElements is the product of the shape.
func (t SafetensorsTensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// SafetensorsFile is a validated safetensors file whose tensors are read on
// demand.
type SafetensorsFile struct {
	Name     string            // the path or name used in error messages
	Metadata map[string]string // the "__metadata__" map; nil if absent
	Tensors  []SafetensorsTensor
	// DataOffset is the absolute file offset of the data area.
	DataOffset int64

	r      io.ReaderAt
	closer io.Closer
	index  map[string]int
}

// OpenSafetensors opens and validates the safetensors file at path. Tensor
// data is read only when asked for; Close the file when done.
func OpenSafetensors(path string) (*SafetensorsFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read safetensors: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read safetensors %s: %w", path, err)
	}
	sf, err := ParseSafetensors(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	sf.closer = f
	return sf, nil
}

// Close releases the underlying file, if OpenSafetensors opened one.
func (f *SafetensorsFile) Close() error {
	if f.closer == nil {
		return nil
	}
	err := f.closer.Close()
	f.closer = nil
	return err
}

// ParseSafetensors validates the safetensors content of r (size bytes long)
// and indexes its tensors; name is used in error messages. It checks the
// header length, that the header is well-formed JSON with known fields and
// dtypes and no duplicate names, that every tensor's byte range matches its
// shape and dtype, and that the ranges tile the data area exactly, without
// gaps or overlap.
func ParseSafetensors(r io.ReaderAt, size int64, name string) (*SafetensorsFile, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("read safetensors %s: %s", name, fmt.Sprintf(format, args...))
	}
	if size < 8 {
		return nil, fail("file is %d bytes, too short for the 8-byte header length", size)
	}
	var lenBuf [8]byte
	if err := readFullAt(r, lenBuf[:], 0); err != nil {
		return nil, fail("header length: %v", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxSafetensorsHeader {
		return nil, fail("header length %d exceeds the limit of %d bytes", n, MaxSafetensorsHeader)
	}
	if n > uint64(size-8) {
		return nil, fail("header length %d exceeds the %d bytes after the length field", n, size-8)
	}
	if n < 2 {
		return nil, fail("header length %d is too short for a JSON object", n)
	}
	hdr := make([]byte, n)
	if err := readFullAt(r, hdr, 8); err != nil {
		return nil, fail("header: %v", err)
	}
	sf := &SafetensorsFile{Name: name, r: r, DataOffset: 8 + int64(n)}
	if err := sf.parseHeader(hdr); err != nil {
		return nil, fail("%v", err)
	}
	if err := sf.checkLayout(size - sf.DataOffset); err != nil {
		return nil, fail("%v", err)
	}
	return sf, nil
}

// stEntry is one tensor entry of the JSON header. Pointers tell a missing
// field from a zero one.
type stEntry struct {
	DType       *string   `json:"dtype"`
	Shape       *[]uint64 `json:"shape"`
	DataOffsets *[]uint64 `json:"data_offsets"`
}

// parseHeader decodes the JSON header into f.Metadata and f.Tensors.
func (f *SafetensorsFile) parseHeader(hdr []byte) error {
	if hdr[0] != '{' {
		return fmt.Errorf("header does not start with '{'")
	}
	if !utf8.Valid(hdr) {
		return fmt.Errorf("header is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	if _, err := dec.Token(); err != nil { // the opening '{'
		return fmt.Errorf("header JSON: %v", err)
	}
	f.index = make(map[string]int)
	seenMeta := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("header JSON: %v", err)
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("header JSON: object key is %v, not a string", tok)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("header JSON: value of %q: %v", key, err)
		}
		if key == safetensorsMetadataKey {
			if seenMeta {
				return fmt.Errorf("duplicate %q entry", key)
			}
			seenMeta = true
			if err := json.Unmarshal(raw, &f.Metadata); err != nil {
				return fmt.Errorf("%q must map strings to strings: %v", key, err)
			}
			continue
		}
		if _, dup := f.index[key]; dup {
			return fmt.Errorf("duplicate tensor name %q", key)
		}
		t, err := parseSTEntry(key, raw)
		if err != nil {
			return err
		}
		f.index[key] = len(f.Tensors)
		f.Tensors = append(f.Tensors, t)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return fmt.Errorf("header JSON: %v", err)
	}
	// Anything but whitespace (the padding) after the object is an error.
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return fmt.Errorf("header JSON after the object: %v", err)
		}
		return fmt.Errorf("header JSON: unexpected %v after the object", tok)
	}
	return nil
}

// parseSTEntry decodes and checks the header entry of tensor name.
func parseSTEntry(name string, raw json.RawMessage) (SafetensorsTensor, error) {
	t := SafetensorsTensor{Name: name}
	if name == "" {
		return t, fmt.Errorf("empty tensor name")
	}
	var e stEntry
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return t, fmt.Errorf("tensor %q: %v", name, err)
	}
	switch {
	case e.DType == nil:
		return t, fmt.Errorf("tensor %q: missing dtype", name)
	case e.Shape == nil:
		return t, fmt.Errorf("tensor %q: missing shape", name)
	case e.DataOffsets == nil:
		return t, fmt.Errorf("tensor %q: missing data_offsets", name)
	}
	t.DType = *e.DType
	elemSize, ok := safetensorsDTypeSize[t.DType]
	if !ok {
		return t, fmt.Errorf("tensor %q: unknown dtype %q", name, t.DType)
	}
	nElem := uint64(1)
	t.Shape = make([]int, len(*e.Shape))
	for i, d := range *e.Shape {
		hi, lo := bits.Mul64(nElem, d)
		if hi != 0 || d > math.MaxInt64 || lo > math.MaxInt64/uint64(elemSize) {
			return t, fmt.Errorf("tensor %q: shape %v is too large", name, *e.Shape)
		}
		nElem = lo
		t.Shape[i] = int(d)
	}
	offs := *e.DataOffsets
	if len(offs) != 2 {
		return t, fmt.Errorf("tensor %q: data_offsets has %d values, want 2", name, len(offs))
	}
	if offs[0] > offs[1] || offs[1] > math.MaxInt64 {
		return t, fmt.Errorf("tensor %q: data_offsets [%d, %d] are not an increasing byte range", name, offs[0], offs[1])
	}
	t.Begin, t.End = int64(offs[0]), int64(offs[1])
	if want := nElem * uint64(elemSize); uint64(t.End-t.Begin) != want {
		return t, fmt.Errorf("tensor %q: data_offsets [%d, %d] span %d bytes but %s%v needs %d",
			name, t.Begin, t.End, t.End-t.Begin, t.DType, t.Shape, want)
	}
	return t, nil
}

// checkLayout verifies that the tensors' byte ranges tile [0, dataSize)
// exactly, and orders f.Tensors by offset.
func (f *SafetensorsFile) checkLayout(dataSize int64) error {
	sort.SliceStable(f.Tensors, func(i, j int) bool {
		a, b := f.Tensors[i], f.Tensors[j]
		return a.Begin < b.Begin || (a.Begin == b.Begin && a.End < b.End)
	})
	var pos int64
	prev := ""
	for i, t := range f.Tensors {
		f.index[t.Name] = i
		switch {
		case t.Begin < pos:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap tensor %q, which ends at %d", t.Name, t.Begin, t.End, prev, pos)
		case t.Begin > pos:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] leave bytes [%d, %d) of the data area unused", t.Name, t.Begin, t.End, pos, t.Begin)
		}
		if t.End > dataSize {
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] exceed the data area of %d bytes", t.Name, t.Begin, t.End, dataSize)
		}
		pos, prev = t.End, t.Name
	}
	if pos != dataSize {
		return fmt.Errorf("tensors cover %d bytes but the data area has %d", pos, dataSize)
	}
	return nil
}

// Tensor returns the description of the named tensor.
func (f *SafetensorsFile) Tensor(name string) (SafetensorsTensor, bool) {
	i, ok := f.index[name]
	if !ok {
		return SafetensorsTensor{}, false
	}
	return f.Tensors[i], true
}

// ReadFloat32 reads the named tensor, converting F16 and BF16 to float32.
func (f *SafetensorsFile) ReadFloat32(name string) ([]float32, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("read safetensors %s: no tensor %q", f.Name, name)
	}
	dst := make([]float32, t.NumElements())
	if err := f.ReadFloat32Into(name, dst); err != nil {
		return nil, err
	}
	return dst, nil
}

// ReadFloat32Into reads the named tensor into dst, which must have exactly as
// many elements as the tensor, converting F16 and BF16 to float32.
func (f *SafetensorsFile) ReadFloat32Into(name string, dst []float32) error {
	t, ok := f.Tensor(name)
	if !ok {
		return fmt.Errorf("read safetensors %s: no tensor %q", f.Name, name)
	}
	var dt DType
	switch t.DType {
	case "F32":
		dt = F32
	case "F16":
		dt = F16
	case "BF16":
		dt = BF16
	default:
		return fmt.Errorf("read safetensors %s: tensor %q: dtype %s cannot be read as float32 (want F32, F16 or BF16)", f.Name, name, t.DType)
	}
	if n := t.NumElements(); n != len(dst) {
		return fmt.Errorf("read safetensors %s: tensor %q has %d elements %v, destination has %d", f.Name, name, n, t.Shape, len(dst))
	}
	if err := readFloats(f.r, f.DataOffset+t.Begin, dst, dt); err != nil {
		return fmt.Errorf("read safetensors %s: tensor %q: %w", f.Name, name, err)
	}
	return nil
}

// WriteSafetensors writes tensors, in the given order, and metadata (may be
// nil) in the safetensors format. The header is computed up front from the
// shapes, so the data streams straight from the tensors to w. Tensors are
// stored as their DType says (F32 unless set).
func WriteSafetensors(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	fail := func(err error) error { return fmt.Errorf("write safetensors: %w", err) }
	var hdr bytes.Buffer
	hdr.WriteByte('{')
	if metadata != nil {
		hdr.WriteString(strconv.Quote(safetensorsMetadataKey))
		hdr.WriteByte(':')
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		hdr.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				hdr.WriteByte(',')
			}
			writeJSONString(&hdr, k)
			hdr.WriteByte(':')
			writeJSONString(&hdr, metadata[k])
		}
		hdr.WriteByte('}')
	}
	seen := make(map[string]bool, len(tensors))
	var off int64
	for i := range tensors {
		t := &tensors[i]
		switch {
		case t.Name == "":
			return fail(fmt.Errorf("tensor %d has an empty name", i))
		case t.Name == safetensorsMetadataKey:
			return fail(fmt.Errorf("tensor name %q is reserved", t.Name))
		case seen[t.Name]:
			return fail(fmt.Errorf("duplicate tensor name %q", t.Name))
		case !utf8.ValidString(t.Name):
			return fail(fmt.Errorf("tensor name %q is not valid UTF-8", t.Name))
		}
		seen[t.Name] = true
		if err := checkTensor(t); err != nil {
			return fail(err)
		}
		if metadata != nil || i > 0 {
			hdr.WriteByte(',')
		}
		end := off + int64(len(t.Data)*t.DType.Size())
		writeJSONString(&hdr, t.Name)
		fmt.Fprintf(&hdr, `:{"dtype":%q,"shape":[`, t.DType.String())
		for j, d := range t.Shape {
			if j > 0 {
				hdr.WriteByte(',')
			}
			hdr.WriteString(strconv.Itoa(d))
		}
		fmt.Fprintf(&hdr, `],"data_offsets":[%d,%d]}`, off, end)
		off = end
	}
	hdr.WriteByte('}')
	for hdr.Len()%8 != 0 {
		hdr.WriteByte(' ')
	}
	if hdr.Len() > MaxSafetensorsHeader {
		return fail(fmt.Errorf("header of %d bytes exceeds the limit of %d", hdr.Len(), MaxSafetensorsHeader))
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(hdr.Len()))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return fail(err)
	}
	if _, err := w.Write(hdr.Bytes()); err != nil {
		return fail(err)
	}
	for i := range tensors {
		if err := writeFloats(w, tensors[i].Data, tensors[i].DType); err != nil {
			return fail(fmt.Errorf("tensor %q: %w", tensors[i].Name, err))
		}
	}
	return nil
}

// SaveSafetensors writes a safetensors file atomically (see WriteFileAtomic).
func SaveSafetensors(path string, tensors []Tensor, metadata map[string]string) error {
	return WriteFileAtomic(path, func(w io.Writer) error {
		return WriteSafetensors(w, tensors, metadata)
	})
}

// writeJSONString writes s as a JSON string literal.
func writeJSONString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s) // a string always marshals
	b.Write(enc)
}
