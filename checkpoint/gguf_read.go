package checkpoint

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
)

// maxArrayDepth bounds how deeply arrays of arrays may nest in a file read.
const maxArrayDepth = 8

// GGUFFile is a validated GGUF file: its metadata and tensor infos, with the
// tensor data read on demand.
type GGUFFile struct {
	Name      string // the path or name used in error messages
	Version   uint32
	Alignment uint32 // general.alignment, or GGUFDefaultAlignment
	KV        []KV   // metadata in file order
	Tensors   []GGUFTensorInfo
	// DataOffset is the absolute file offset of the tensor data section.
	DataOffset int64

	r       io.ReaderAt
	closer  io.Closer
	kvIndex map[string]int
	tIndex  map[string]int
}

// OpenGGUF opens and validates the GGUF file at path. Tensor data is read
// only when asked for; Close the file when done.
func OpenGGUF(path string) (*GGUFFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read gguf: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read gguf %s: %w", path, err)
	}
	g, err := ParseGGUF(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	g.closer = f
	return g, nil
}

// Close releases the underlying file, if OpenGGUF opened one.
func (f *GGUFFile) Close() error {
	if f.closer == nil {
		return nil
	}
	err := f.closer.Close()
	f.closer = nil
	return err
}

// ggufDecoder reads the sequential part of a GGUF file (everything before
// the tensor data), never past size.
type ggufDecoder struct {
	br        *bufio.Reader
	pos, size int64
	buf       [8]byte
}

// left is the number of unread bytes.
func (d *ggufDecoder) left() int64 { return d.size - d.pos }

// read returns the next n bytes, which are only valid until the next call
// when n <= 8.
func (d *ggufDecoder) read(n uint64) ([]byte, error) {
	if n > uint64(d.left()) {
		return nil, fmt.Errorf("needs %d bytes at offset %d but the file ends at %d", n, d.pos, d.size)
	}
	var b []byte
	if n <= uint64(len(d.buf)) {
		b = d.buf[:n]
	} else {
		b = make([]byte, n)
	}
	if _, err := io.ReadFull(d.br, b); err != nil {
		return nil, fmt.Errorf("at offset %d: %w", d.pos, err)
	}
	d.pos += int64(n)
	return b, nil
}

func (d *ggufDecoder) u32() (uint32, error) {
	b, err := d.read(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (d *ggufDecoder) u64() (uint64, error) {
	b, err := d.read(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// str reads a GGUF string of at most limit bytes.
func (d *ggufDecoder) str(limit uint64) (string, error) {
	n, err := d.u64()
	if err != nil {
		return "", err
	}
	if n > limit {
		return "", fmt.Errorf("string length %d exceeds the limit of %d", n, limit)
	}
	if n > uint64(d.left()) {
		return "", fmt.Errorf("string length %d at offset %d runs past the end of the file (%d bytes left)", n, d.pos-8, d.left())
	}
	b, err := d.read(n)
	return string(b), err
}

// value reads one metadata value of type t.
func (d *ggufDecoder) value(t GGUFValueType, depth int) (any, error) {
	switch t {
	case GGUFString:
		return d.str(math.MaxUint64)
	case GGUFArray:
		return d.array(depth)
	}
	size := t.fixedSize()
	if size <= 0 {
		return nil, fmt.Errorf("invalid value type %d", uint32(t))
	}
	b, err := d.read(uint64(size))
	if err != nil {
		return nil, err
	}
	return decodeScalar(t, b)
}

// decodeScalar decodes one fixed-size little-endian value.
func decodeScalar(t GGUFValueType, b []byte) (any, error) {
	le := binary.LittleEndian
	switch t {
	case GGUFUint8:
		return b[0], nil
	case GGUFInt8:
		return int8(b[0]), nil
	case GGUFUint16:
		return le.Uint16(b), nil
	case GGUFInt16:
		return int16(le.Uint16(b)), nil
	case GGUFUint32:
		return le.Uint32(b), nil
	case GGUFInt32:
		return int32(le.Uint32(b)), nil
	case GGUFFloat32:
		return math.Float32frombits(le.Uint32(b)), nil
	case GGUFBool:
		if b[0] > 1 {
			return nil, fmt.Errorf("bool byte is %d, want 0 or 1", b[0])
		}
		return b[0] == 1, nil
	case GGUFUint64:
		return le.Uint64(b), nil
	case GGUFInt64:
		return int64(le.Uint64(b)), nil
	case GGUFFloat64:
		return math.Float64frombits(le.Uint64(b)), nil
	}
	return nil, fmt.Errorf("invalid value type %d", uint32(t))
}

// array reads an array value: element type, count, elements.
func (d *ggufDecoder) array(depth int) (any, error) {
	if depth >= maxArrayDepth {
		return nil, fmt.Errorf("arrays nested more than %d deep", maxArrayDepth)
	}
	et32, err := d.u32()
	if err != nil {
		return nil, err
	}
	et := GGUFValueType(et32)
	if et.fixedSize() < 0 {
		return nil, fmt.Errorf("invalid array element type %d", et32)
	}
	n, err := d.u64()
	if err != nil {
		return nil, err
	}
	if min := et.minSize(); n > uint64(d.left())/min {
		return nil, fmt.Errorf("array of %d %s elements cannot fit in the %d bytes left", n, et, d.left())
	}
	switch et {
	case GGUFString:
		out := make([]string, n)
		for i := range out {
			if out[i], err = d.str(math.MaxUint64); err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
		}
		return out, nil
	case GGUFArray:
		out := make([]any, n)
		for i := range out {
			if out[i], err = d.array(depth + 1); err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
		}
		return out, nil
	}
	size := uint64(et.fixedSize())
	raw, err := d.read(n * size)
	if err != nil {
		return nil, err
	}
	return decodeArray(et, raw, int(n))
}

// decodeArray decodes n fixed-size elements of type et from raw.
func decodeArray(et GGUFValueType, raw []byte, n int) (any, error) {
	le := binary.LittleEndian
	switch et {
	case GGUFUint8:
		return append([]uint8(nil), raw[:n]...), nil
	case GGUFInt8:
		out := make([]int8, n)
		for i := range out {
			out[i] = int8(raw[i])
		}
		return out, nil
	case GGUFBool:
		out := make([]bool, n)
		for i := range out {
			if raw[i] > 1 {
				return nil, fmt.Errorf("element %d: bool byte is %d, want 0 or 1", i, raw[i])
			}
			out[i] = raw[i] == 1
		}
		return out, nil
	case GGUFUint16:
		out := make([]uint16, n)
		for i := range out {
			out[i] = le.Uint16(raw[2*i:])
		}
		return out, nil
	case GGUFInt16:
		out := make([]int16, n)
		for i := range out {
			out[i] = int16(le.Uint16(raw[2*i:]))
		}
		return out, nil
	case GGUFUint32:
		out := make([]uint32, n)
		for i := range out {
			out[i] = le.Uint32(raw[4*i:])
		}
		return out, nil
	case GGUFInt32:
		out := make([]int32, n)
		for i := range out {
			out[i] = int32(le.Uint32(raw[4*i:]))
		}
		return out, nil
	case GGUFFloat32:
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
		return out, nil
	case GGUFUint64:
		out := make([]uint64, n)
		for i := range out {
			out[i] = le.Uint64(raw[8*i:])
		}
		return out, nil
	case GGUFInt64:
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(le.Uint64(raw[8*i:]))
		}
		return out, nil
	case GGUFFloat64:
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(le.Uint64(raw[8*i:]))
		}
		return out, nil
	}
	return nil, fmt.Errorf("invalid array element type %d", uint32(et))
}

// Minimum encoded sizes, used to reject counts the file cannot hold before
// allocating for them.
const (
	minKVSize         = 8 + 1 + 4 + 1         // key length, 1-byte key, type, 1-byte value
	minTensorInfoSize = 8 + 1 + 4 + 8 + 4 + 8 // name length, 1-byte name, n_dims, 1 dim, type, offset
)

// ParseGGUF validates the GGUF content of r (size bytes long) and indexes
// its metadata and tensors; name is used in error messages. It checks the
// magic and version (2 or 3; v1 and big-endian files are refused), that the
// counts fit in the file, every string length, key, value type, bool and array
// element type, that general.alignment (if present) is a UINT32 power of two
// of at least 8, and that every tensor has 1 to 4 dimensions, a known ggml
// type with a whole number of blocks per row, a unique name of at most 64
// bytes, and an aligned data range inside the file that overlaps no other.
func ParseGGUF(r io.ReaderAt, size int64, name string) (*GGUFFile, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("read gguf %s: %s", name, fmt.Sprintf(format, args...))
	}
	if size < 0 {
		return nil, fail("negative size %d", size)
	}
	d := &ggufDecoder{br: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 64<<10), size: size}
	magic, err := d.read(4)
	if err != nil {
		return nil, fail("magic: %v", err)
	}
	if string(magic) != GGUFMagic {
		return nil, fail("magic is %q, want %q: not a GGUF file", magic, GGUFMagic)
	}
	version, err := d.u32()
	if err != nil {
		return nil, fail("version: %v", err)
	}
	switch {
	case version == 2 || version == 3:
	case version == 1:
		return nil, fail("version 1 is not supported (it used 32-bit counts); want 2 or 3")
	case version&0xffff == 0:
		return nil, fail("version %#x looks byte-swapped: big-endian GGUF is not supported", version)
	default:
		return nil, fail("unsupported version %d, want 2 or 3", version)
	}
	nTensors, err := d.u64()
	if err != nil {
		return nil, fail("tensor_count: %v", err)
	}
	nKV, err := d.u64()
	if err != nil {
		return nil, fail("metadata_kv_count: %v", err)
	}
	left := uint64(d.left())
	if nKV > left/minKVSize {
		return nil, fail("metadata_kv_count %d cannot fit in the %d bytes left", nKV, left)
	}
	if nTensors > (left-nKV*minKVSize)/minTensorInfoSize {
		return nil, fail("tensor_count %d cannot fit in the %d bytes left", nTensors, left)
	}

	g := &GGUFFile{
		Name: name, Version: version, Alignment: GGUFDefaultAlignment, r: r,
		KV: make([]KV, 0, nKV), kvIndex: make(map[string]int, nKV),
		Tensors: make([]GGUFTensorInfo, 0, nTensors), tIndex: make(map[string]int, nTensors),
	}
	for i := range nKV {
		key, err := d.str(GGUFMaxKeyLength)
		if err != nil {
			return nil, fail("metadata %d: key: %v", i, err)
		}
		if err := checkKey(key); err != nil {
			return nil, fail("metadata %d: %v", i, err)
		}
		if _, dup := g.kvIndex[key]; dup {
			return nil, fail("metadata %d: duplicate key %q", i, key)
		}
		t, err := d.u32()
		if err != nil {
			return nil, fail("metadata %q: type: %v", key, err)
		}
		if GGUFValueType(t).fixedSize() < 0 {
			return nil, fail("metadata %q: invalid value type %d", key, t)
		}
		v, err := d.value(GGUFValueType(t), 0)
		if err != nil {
			return nil, fail("metadata %q: %v", key, err)
		}
		g.kvIndex[key] = len(g.KV)
		g.KV = append(g.KV, KV{key, v})
	}
	if v, ok := g.Lookup(KeyAlignment); ok {
		a, isU32 := v.(uint32)
		if !isU32 {
			return nil, fail("metadata %q has type %s, want UINT32", KeyAlignment, typeName(v))
		}
		if a < 8 || a&(a-1) != 0 {
			return nil, fail("metadata %q is %d, want a power of two of at least 8", KeyAlignment, a)
		}
		g.Alignment = a
	}

	for i := range nTensors {
		ti, err := d.tensorInfo()
		if err != nil {
			if ti.Name != "" {
				return nil, fail("tensor %d (%q): %v", i, ti.Name, err)
			}
			return nil, fail("tensor %d: %v", i, err)
		}
		if _, dup := g.tIndex[ti.Name]; dup {
			return nil, fail("tensor %d: duplicate name %q", i, ti.Name)
		}
		if ti.Offset%uint64(g.Alignment) != 0 {
			return nil, fail("tensor %q: offset %d is not a multiple of the alignment %d", ti.Name, ti.Offset, g.Alignment)
		}
		g.tIndex[ti.Name] = len(g.Tensors)
		g.Tensors = append(g.Tensors, ti)
	}

	g.DataOffset = alignUp(d.pos, int64(g.Alignment))
	if len(g.Tensors) == 0 {
		return g, nil
	}
	if g.DataOffset > size {
		return nil, fail("tensor data section starts at %d, past the end of the file (%d bytes)", g.DataOffset, size)
	}
	if err := g.checkDataRanges(uint64(size - g.DataOffset)); err != nil {
		return nil, fail("%v", err)
	}
	return g, nil
}

// tensorInfo reads one tensor info. On error the returned info carries the
// name if it was read.
func (d *ggufDecoder) tensorInfo() (GGUFTensorInfo, error) {
	var ti GGUFTensorInfo
	name, err := d.str(64) // the spec's limit
	if err != nil {
		return ti, fmt.Errorf("name: %w", err)
	}
	if name == "" {
		return ti, fmt.Errorf("empty name")
	}
	ti.Name = name
	nd, err := d.u32()
	if err != nil {
		return ti, fmt.Errorf("n_dimensions: %w", err)
	}
	if nd < 1 || nd > GGUFMaxDims {
		return ti, fmt.Errorf("n_dimensions is %d, want 1 to %d", nd, GGUFMaxDims)
	}
	ti.Dims = make([]uint64, nd)
	for j := range ti.Dims {
		if ti.Dims[j], err = d.u64(); err != nil {
			return ti, fmt.Errorf("dimension %d: %w", j, err)
		}
		if ti.Dims[j] > math.MaxInt64 {
			return ti, fmt.Errorf("dimension %d is %d, beyond int64", j, ti.Dims[j])
		}
	}
	t, err := d.u32()
	if err != nil {
		return ti, fmt.Errorf("type: %w", err)
	}
	ti.Type = GGMLType(t)
	if _, ti.Size, err = ggmlNBytes(ti.Type, ti.Dims); err != nil {
		return ti, err
	}
	if ti.Offset, err = d.u64(); err != nil {
		return ti, fmt.Errorf("offset: %w", err)
	}
	return ti, nil
}

// checkDataRanges verifies every tensor's bytes lie in a data section of
// dataSize bytes and that no two tensors share a byte.
func (g *GGUFFile) checkDataRanges(dataSize uint64) error {
	order := make([]int, len(g.Tensors))
	for i := range order {
		order[i] = i
	}
	for _, t := range g.Tensors {
		if t.Offset > dataSize || t.Size > dataSize-t.Offset {
			return fmt.Errorf("tensor %q: data [%d, %d+%d) runs past the end of the data section (%d bytes from offset %d)",
				t.Name, t.Offset, t.Offset, t.Size, dataSize, g.DataOffset)
		}
	}
	sort.Slice(order, func(a, b int) bool { return g.Tensors[order[a]].Offset < g.Tensors[order[b]].Offset })
	var prev *GGUFTensorInfo
	for _, i := range order {
		t := &g.Tensors[i]
		if t.Size == 0 {
			continue
		}
		if prev != nil && prev.Offset+prev.Size > t.Offset {
			return fmt.Errorf("tensor %q: data at offset %d overlaps tensor %q at [%d, %d)", t.Name, t.Offset, prev.Name, prev.Offset, prev.Offset+prev.Size)
		}
		prev = t
	}
	return nil
}

// alignUp rounds n up to a multiple of a.
func alignUp(n, a int64) int64 {
	return n + (a-n%a)%a
}

// Lookup returns the value of a metadata key.
func (f *GGUFFile) Lookup(key string) (any, bool) {
	i, ok := f.kvIndex[key]
	if !ok {
		return nil, false
	}
	return f.KV[i].Value, true
}

// GGUFGet returns the value of a metadata key as type T, which must be the
// key's exact Go type (see KV): a UINT32 key is a uint32, an array of strings
// a []string. A missing key or another type is an error naming both.
func GGUFGet[T any](f *GGUFFile, key string) (T, error) {
	var zero T
	v, ok := f.Lookup(key)
	if !ok {
		return zero, fmt.Errorf("gguf %s: missing metadata key %q", f.Name, key)
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("gguf %s: metadata %q has type %s, want %s", f.Name, key, typeName(v), typeName(zero))
	}
	return t, nil
}

// Tensor returns the info of the named tensor.
func (f *GGUFFile) Tensor(name string) (GGUFTensorInfo, bool) {
	i, ok := f.tIndex[name]
	if !ok {
		return GGUFTensorInfo{}, false
	}
	return f.Tensors[i], true
}

// ReadTensorBytes returns the raw bytes of the named tensor.
func (f *GGUFFile) ReadTensorBytes(name string) ([]byte, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("read gguf %s: no tensor %q", f.Name, name)
	}
	b := make([]byte, t.Size)
	if err := readFullAt(f.r, b, f.DataOffset+int64(t.Offset)); err != nil {
		return nil, fmt.Errorf("read gguf %s: tensor %q: %w", f.Name, name, err)
	}
	return b, nil
}

// ReadFloat32 reads the named tensor in ggml element order (which is
// row-major order for Shape()), converting F16 and BF16 to float32.
func (f *GGUFFile) ReadFloat32(name string) ([]float32, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("read gguf %s: no tensor %q", f.Name, name)
	}
	if _, ok := t.Type.dtype(); !ok {
		return nil, fmt.Errorf("read gguf %s: tensor %q: type %s cannot be read as float32 (want F32, F16 or BF16)", f.Name, name, t.Type)
	}
	dst := make([]float32, t.NumElements())
	if err := f.ReadFloat32Into(name, dst); err != nil {
		return nil, err
	}
	return dst, nil
}

// ReadFloat32Into reads the named tensor into dst, which must have exactly
// as many elements as the tensor.
func (f *GGUFFile) ReadFloat32Into(name string, dst []float32) error {
	t, ok := f.Tensor(name)
	if !ok {
		return fmt.Errorf("read gguf %s: no tensor %q", f.Name, name)
	}
	dt, ok := t.Type.dtype()
	if !ok {
		return fmt.Errorf("read gguf %s: tensor %q: type %s cannot be read as float32 (want F32, F16 or BF16)", f.Name, name, t.Type)
	}
	if n := t.NumElements(); n != uint64(len(dst)) {
		return fmt.Errorf("read gguf %s: tensor %q has %d elements %v, destination has %d", f.Name, name, n, t.Shape(), len(dst))
	}
	if err := readFloats(f.r, f.DataOffset+int64(t.Offset), dst, dt); err != nil {
		return fmt.Errorf("read gguf %s: tensor %q: %w", f.Name, name, err)
	}
	return nil
}
