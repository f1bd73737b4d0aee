package checkpoint

import (
	"fmt"
	"math"
	"math/bits"
)

// GGUF format constants.
const (
	GGUFMagic            = "GGUF"
	GGUFVersion          = 3  // the version WriteGGUF writes; readers accept 2 and 3
	GGUFDefaultAlignment = 32 // used when general.alignment is absent
	GGUFMaxDims          = 4  // ggml tensors have at most 4 dimensions
	GGUFMaxTensorName    = 63 // llama.cpp's limit (GGML_MAX_NAME less the NUL)
	GGUFMaxKeyLength     = 65535

	// KeyAlignment is the metadata key that sets the data alignment (UINT32).
	KeyAlignment = "general.alignment"
)

// GGUFValueType is the type tag of a GGUF metadata value.
type GGUFValueType uint32

// The metadata value types of the GGUF spec. Each maps to one Go type in a
// KV's Value; arrays map to slices of that type, nested arrays to []any.
const (
	GGUFUint8   GGUFValueType = 0  // uint8
	GGUFInt8    GGUFValueType = 1  // int8
	GGUFUint16  GGUFValueType = 2  // uint16
	GGUFInt16   GGUFValueType = 3  // int16
	GGUFUint32  GGUFValueType = 4  // uint32
	GGUFInt32   GGUFValueType = 5  // int32
	GGUFFloat32 GGUFValueType = 6  // float32
	GGUFBool    GGUFValueType = 7  // bool (one byte, 0 or 1)
	GGUFString  GGUFValueType = 8  // string (uint64 length + UTF-8 bytes)
	GGUFArray   GGUFValueType = 9  // []T (uint32 element type + uint64 count + elements)
	GGUFUint64  GGUFValueType = 10 // uint64
	GGUFInt64   GGUFValueType = 11 // int64
	GGUFFloat64 GGUFValueType = 12 // float64
)

var ggufValueTypeNames = [...]string{
	"UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32", "BOOL",
	"STRING", "ARRAY", "UINT64", "INT64", "FLOAT64",
}

func (t GGUFValueType) String() string {
	if int(t) < len(ggufValueTypeNames) {
		return ggufValueTypeNames[t]
	}
	return fmt.Sprintf("GGUFValueType(%d)", uint32(t))
}

// fixedSize is the encoded size of a scalar type, 0 for STRING and ARRAY, -1
// for an invalid type.
func (t GGUFValueType) fixedSize() int {
	switch t {
	case GGUFUint8, GGUFInt8, GGUFBool:
		return 1
	case GGUFUint16, GGUFInt16:
		return 2
	case GGUFUint32, GGUFInt32, GGUFFloat32:
		return 4
	case GGUFUint64, GGUFInt64, GGUFFloat64:
		return 8
	case GGUFString, GGUFArray:
		return 0
	}
	return -1
}

// minSize is the fewest bytes a value of type t can take in a file.
func (t GGUFValueType) minSize() uint64 {
	switch t {
	case GGUFString:
		return 8
	case GGUFArray:
		return 12
	}
	return uint64(t.fixedSize())
}

// KV is one GGUF metadata key/value pair. Value holds one of uint8, int8,
// uint16, int16, uint32, int32, float32, bool, string, uint64, int64, float64,
// a slice of one of those (a GGUF array), or []any whose elements are such
// slices (an array of arrays).
type KV struct {
	Key   string
	Value any
}

// GGMLType is the element type of a GGUF tensor.
type GGMLType uint32

// The tensor types this package converts to and from float32. Other ggml
// types (quantised ones included) are recognised and validated by the reader.
const (
	GGMLTypeF32  GGMLType = 0
	GGMLTypeF16  GGMLType = 1
	GGMLTypeBF16 GGMLType = 30
)

// ggmlTraits describes how a ggml type lays out its elements: blocks of
// blockSize elements taking typeSize bytes.
type ggmlTraits struct {
	name                string
	blockSize, typeSize uint64
}

// ggmlTypes lists the ggml types the GGUF spec defines (types removed from
// the format have no entry).
var ggmlTypes = map[GGMLType]ggmlTraits{
	0: {"F32", 1, 4}, 1: {"F16", 1, 2},
	2: {"Q4_0", 32, 18}, 3: {"Q4_1", 32, 20},
	6: {"Q5_0", 32, 22}, 7: {"Q5_1", 32, 24},
	8: {"Q8_0", 32, 34}, 9: {"Q8_1", 32, 36},
	10: {"Q2_K", 256, 84}, 11: {"Q3_K", 256, 110}, 12: {"Q4_K", 256, 144},
	13: {"Q5_K", 256, 176}, 14: {"Q6_K", 256, 210}, 15: {"Q8_K", 256, 292},
	16: {"IQ2_XXS", 256, 66}, 17: {"IQ2_XS", 256, 74}, 18: {"IQ3_XXS", 256, 98},
	19: {"IQ1_S", 256, 50}, 20: {"IQ4_NL", 32, 18}, 21: {"IQ3_S", 256, 110},
	22: {"IQ2_S", 256, 82}, 23: {"IQ4_XS", 256, 136},
	24: {"I8", 1, 1}, 25: {"I16", 1, 2}, 26: {"I32", 1, 4}, 27: {"I64", 1, 8},
	28: {"F64", 1, 8}, 29: {"IQ1_M", 256, 56}, 30: {"BF16", 1, 2},
	34: {"TQ1_0", 256, 54}, 35: {"TQ2_0", 256, 66}, 39: {"MXFP4", 32, 17},
}

func (t GGMLType) String() string {
	if tr, ok := ggmlTypes[t]; ok {
		return tr.name
	}
	return fmt.Sprintf("GGMLType(%d)", uint32(t))
}

// dtype is the DType a ggml type converts through, if any.
func (t GGMLType) dtype() (DType, bool) {
	switch t {
	case GGMLTypeF32:
		return F32, true
	case GGMLTypeF16:
		return F16, true
	case GGMLTypeBF16:
		return BF16, true
	}
	return 0, false
}

// ggmlTypeOf maps a DType to its ggml type.
func ggmlTypeOf(d DType) GGMLType {
	switch d {
	case F16:
		return GGMLTypeF16
	case BF16:
		return GGMLTypeBF16
	}
	return GGMLTypeF32
}

// ggmlNBytes returns the element count and byte size of a tensor with ggml
// dimensions dims and type t, checking that the first dimension is a whole
// number of blocks and that nothing overflows int64.
func ggmlNBytes(t GGMLType, dims []uint64) (nElem, nBytes uint64, err error) {
	tr, ok := ggmlTypes[t]
	if !ok {
		return 0, 0, fmt.Errorf("unknown ggml type %d", uint32(t))
	}
	nElem = 1
	for _, d := range dims {
		hi, lo := bits.Mul64(nElem, d)
		if hi != 0 || lo > math.MaxInt64 {
			return 0, 0, fmt.Errorf("dimensions %v overflow", dims)
		}
		nElem = lo
	}
	if len(dims) > 0 && dims[0]%tr.blockSize != 0 {
		return 0, 0, fmt.Errorf("first dimension %d is not a multiple of the %s block size %d", dims[0], tr.name, tr.blockSize)
	}
	hi, lo := bits.Mul64(nElem/tr.blockSize, tr.typeSize)
	if hi != 0 || lo > math.MaxInt64 {
		return 0, 0, fmt.Errorf("dimensions %v overflow", dims)
	}
	return nElem, lo, nil
}

// GGUFTensorInfo describes one tensor of a GGUF file.
type GGUFTensorInfo struct {
	Name string
	Dims []uint64 // ggml order: innermost (contiguous) dimension first
	Type GGMLType
	// Offset is where the data starts, relative to the data section
	// (GGUFFile.DataOffset); Size is its length in bytes.
	Offset, Size uint64
}

// Shape returns the dimensions in row-major (numpy) order, outermost first:
// Dims reversed.
func (t GGUFTensorInfo) Shape() []int {
	s := make([]int, len(t.Dims))
	for i, d := range t.Dims {
		s[len(s)-1-i] = int(d)
	}
	return s
}

// NumElements is the product of the dimensions.
func (t GGUFTensorInfo) NumElements() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// valueType returns the GGUF type of a KV value and, for arrays, the element
// type; ok is false for a Go type that has no GGUF encoding.
func valueType(v any) (t, elem GGUFValueType, ok bool) {
	switch v.(type) {
	case uint8:
		return GGUFUint8, 0, true
	case int8:
		return GGUFInt8, 0, true
	case uint16:
		return GGUFUint16, 0, true
	case int16:
		return GGUFInt16, 0, true
	case uint32:
		return GGUFUint32, 0, true
	case int32:
		return GGUFInt32, 0, true
	case float32:
		return GGUFFloat32, 0, true
	case bool:
		return GGUFBool, 0, true
	case string:
		return GGUFString, 0, true
	case uint64:
		return GGUFUint64, 0, true
	case int64:
		return GGUFInt64, 0, true
	case float64:
		return GGUFFloat64, 0, true
	case []uint8:
		return GGUFArray, GGUFUint8, true
	case []int8:
		return GGUFArray, GGUFInt8, true
	case []uint16:
		return GGUFArray, GGUFUint16, true
	case []int16:
		return GGUFArray, GGUFInt16, true
	case []uint32:
		return GGUFArray, GGUFUint32, true
	case []int32:
		return GGUFArray, GGUFInt32, true
	case []float32:
		return GGUFArray, GGUFFloat32, true
	case []bool:
		return GGUFArray, GGUFBool, true
	case []string:
		return GGUFArray, GGUFString, true
	case []uint64:
		return GGUFArray, GGUFUint64, true
	case []int64:
		return GGUFArray, GGUFInt64, true
	case []float64:
		return GGUFArray, GGUFFloat64, true
	case []any:
		return GGUFArray, GGUFArray, true
	}
	return 0, 0, false
}

// typeName describes a KV value's GGUF type for messages, e.g. "UINT32" or
// "ARRAY[STRING]".
func typeName(v any) string {
	t, elem, ok := valueType(v)
	switch {
	case !ok:
		return fmt.Sprintf("Go type %T", v)
	case t == GGUFArray:
		return "ARRAY[" + elem.String() + "]"
	}
	return t.String()
}

// checkKey reports whether key is a valid metadata key for reading: non-empty
// printable ASCII of at most GGUFMaxKeyLength bytes.
func checkKey(key string) error {
	if key == "" {
		return fmt.Errorf("empty key")
	}
	if len(key) > GGUFMaxKeyLength {
		return fmt.Errorf("key of %d bytes is longer than %d", len(key), GGUFMaxKeyLength)
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c <= ' ' || c > '~' {
			return fmt.Errorf("key %q is not printable ASCII", key)
		}
	}
	return nil
}
