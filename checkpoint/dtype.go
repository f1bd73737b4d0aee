package checkpoint

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
)

// DType is how a tensor's elements are stored in a file. In memory tensors are
// always float32; writers convert to the DType, readers convert back.
type DType uint8

const (
	F32  DType = iota // IEEE 754 binary32, the zero value
	F16               // IEEE 754 binary16, rounded to nearest even
	BF16              // bfloat16 (the top half of a binary32), rounded to nearest even
)

// String returns the safetensors name of the type: "F32", "F16" or "BF16".
func (d DType) String() string {
	switch d {
	case F32:
		return "F32"
	case F16:
		return "F16"
	case BF16:
		return "BF16"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Size is the number of bytes one element takes, or 0 for an invalid DType.
func (d DType) Size() int {
	switch d {
	case F32:
		return 4
	case F16, BF16:
		return 2
	}
	return 0
}

// Tensor is a named float32 tensor handed to a writer.
type Tensor struct {
	Name  string
	Shape []int     // row-major (numpy) order, outermost first
	Data  []float32 // len(Data) must be the product of Shape
	DType DType     // storage type in the file; F32 unless set
}

// numElements returns the product of shape, checking for negative dimensions
// and overflow.
func numElements(shape []int) (int, error) {
	n := uint64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt64/8 {
			return 0, fmt.Errorf("shape %v is too large", shape)
		}
		n = lo
	}
	return int(n), nil
}

// checkTensor validates what every writer needs from a tensor.
func checkTensor(t *Tensor) error {
	if t.DType.Size() == 0 {
		return fmt.Errorf("tensor %q: invalid dtype %v", t.Name, t.DType)
	}
	n, err := numElements(t.Shape)
	if err != nil {
		return fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	if n != len(t.Data) {
		return fmt.Errorf("tensor %q: shape %v holds %d elements but data has %d", t.Name, t.Shape, n, len(t.Data))
	}
	return nil
}

// Float32ToF16 rounds f to the nearest IEEE 754 half-precision value (ties to
// even). Values beyond the half range become ±Inf; NaN stays NaN.
func Float32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>13) // quiet NaN, keep top payload bits
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15 // rebiased exponent
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		// Subnormal half (or zero): the value is m·2^(e-14) in units of 2^-24.
		if e < -10 {
			return sign // below half the smallest subnormal
		}
		m := mant | 0x800000
		shift := uint(14 - e)
		h := m >> shift
		rem := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || (rem == half && h&1 == 1) {
			h++ // may carry into the smallest normal, which is the right encoding
		}
		return sign | uint16(h)
	}
	h := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // a carry out of the mantissa bumps the exponent, up to Inf
	}
	return sign | uint16(h)
}

// F16ToFloat32 converts an IEEE 754 half-precision value to float32 exactly.
func F16ToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch exp {
	case 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		f := float32(mant) * (1.0 / (1 << 24)) // exact: mant < 2^10
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}

// Float32ToBF16 rounds f to the nearest bfloat16 (ties to even); NaN stays NaN.
func Float32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40 // quiet NaN
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// BF16ToFloat32 converts a bfloat16 value to float32 exactly.
func BF16ToFloat32(h uint16) float32 {
	return math.Float32frombits(uint32(h) << 16)
}

// encodeFloats stores src as little-endian dt values into dst, which must hold
// len(src)*dt.Size() bytes.
func encodeFloats(dst []byte, src []float32, dt DType) {
	switch dt {
	case F32:
		for i, v := range src {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
		}
	case F16:
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], Float32ToF16(v))
		}
	case BF16:
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], Float32ToBF16(v))
		}
	}
}

// decodeFloats reads len(dst) little-endian dt values from src.
func decodeFloats(dst []float32, src []byte, dt DType) {
	switch dt {
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case F16:
		for i := range dst {
			dst[i] = F16ToFloat32(binary.LittleEndian.Uint16(src[2*i:]))
		}
	case BF16:
		for i := range dst {
			dst[i] = BF16ToFloat32(binary.LittleEndian.Uint16(src[2*i:]))
		}
	}
}

// chunkElems is how many elements are converted per write or read call.
const chunkElems = 16 << 10

// writeFloats streams data to w as little-endian dt values in bounded chunks.
func writeFloats(w io.Writer, data []float32, dt DType) error {
	size := dt.Size()
	buf := make([]byte, min(len(data), chunkElems)*size)
	for len(data) > 0 {
		n := min(len(data), chunkElems)
		encodeFloats(buf[:n*size], data[:n], dt)
		if _, err := w.Write(buf[:n*size]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// readFloats fills dst from r at offset off, where the bytes are little-endian
// dt values.
func readFloats(r io.ReaderAt, off int64, dst []float32, dt DType) error {
	size := dt.Size()
	buf := make([]byte, min(len(dst), chunkElems)*size)
	for len(dst) > 0 {
		n := min(len(dst), chunkElems)
		if err := readFullAt(r, buf[:n*size], off); err != nil {
			return err
		}
		decodeFloats(dst[:n], buf[:n*size], dt)
		off += int64(n * size)
		dst = dst[n:]
	}
	return nil
}

// readFullAt reads exactly len(b) bytes at off; a short read is
// io.ErrUnexpectedEOF.
func readFullAt(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}
