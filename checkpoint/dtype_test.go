package checkpoint

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestF16RoundTrip converts every half-precision value to float32 and back.
func TestF16RoundTrip(t *testing.T) {
	for h := range 1 << 16 {
		f := F16ToFloat32(uint16(h))
		back := Float32ToF16(f)
		if f != f { // NaN: any NaN encoding will do
			if back&0x7c00 != 0x7c00 || back&0x3ff == 0 {
				t.Fatalf("NaN %#04x came back as %#04x", h, back)
			}
			continue
		}
		if back != uint16(h) {
			t.Fatalf("%#04x -> %v -> %#04x", h, f, back)
		}
	}
}

// TestBF16RoundTrip converts every bfloat16 value to float32 and back.
func TestBF16RoundTrip(t *testing.T) {
	for h := range 1 << 16 {
		f := BF16ToFloat32(uint16(h))
		back := Float32ToBF16(f)
		if f != f {
			if back&0x7f80 != 0x7f80 || back&0x7f == 0 {
				t.Fatalf("NaN %#04x came back as %#04x", h, back)
			}
			continue
		}
		if back != uint16(h) {
			t.Fatalf("%#04x -> %v -> %#04x", h, f, back)
		}
	}
}

// checkNearest asserts that h is the representable value nearest to x, ties
// going to the even encoding, by comparing with h's neighbours.
func checkNearest(t *testing.T, kind string, x float32, h uint16, toF func(uint16) float32, maxFinite uint16) {
	t.Helper()
	y := float64(toF(h))
	d := math.Abs(float64(x) - y)
	sign := h & 0x8000
	mag := h &^ 0x8000
	if mag > maxFinite { // rounded to Inf: x must be at least half an ulp past the largest finite value
		top := float64(toF(maxFinite))
		below := float64(toF(maxFinite - 1))
		if math.Abs(float64(x)) < top+(top-below)/2 {
			t.Fatalf("%s(%v) = Inf, but it is within range", kind, x)
		}
		return
	}
	for _, nb := range []uint16{mag - 1, mag + 1} {
		if nb > maxFinite || (mag == 0 && nb == 0xffff) {
			continue
		}
		z := float64(toF(sign | nb))
		dz := math.Abs(float64(x) - z)
		if dz < d || (dz == d && h&1 == 1) {
			t.Fatalf("%s(%v) = %#04x (%v), but %#04x (%v) is nearer or the even tie", kind, x, h, y, sign|nb, z)
		}
	}
}

func TestFloat32ToF16Nearest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []float32{0, 1, -1, 65504, 65519, 65520, -65520, 1e-8, 2.98e-8, 2.9802322e-8, 5.96e-8, 6.1e-5, 1.0009766, 1.0004883, 1.0014648, float32(math.Inf(1))}
	for range 200000 {
		// Random bit patterns concentrated on the half range, exponents 2^-26 .. 2^17.
		e := rng.IntN(44) - 26
		x := float32(math.Ldexp(1+rng.Float64(), e))
		if rng.IntN(2) == 0 {
			x = -x
		}
		cases = append(cases, x)
	}
	for _, x := range cases {
		if math.IsInf(float64(x), 0) {
			if h := Float32ToF16(x); h&0x7fff != 0x7c00 {
				t.Fatalf("F16(%v) = %#04x", x, h)
			}
			continue
		}
		checkNearest(t, "F16", x, Float32ToF16(x), F16ToFloat32, 0x7bff)
	}
}

func TestFloat32ToBF16Nearest(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		x := math.Float32frombits(rng.Uint32())
		if x != x || math.IsInf(float64(x), 0) {
			continue
		}
		checkNearest(t, "BF16", x, Float32ToBF16(x), BF16ToFloat32, 0x7f7f)
	}
	if h := Float32ToBF16(float32(math.NaN())); BF16ToFloat32(h) == BF16ToFloat32(h) {
		t.Fatalf("NaN became %#04x", h)
	}
}

func TestTranspose(t *testing.T) {
	for _, dims := range [][2]int{{1, 1}, {3, 5}, {33, 70}, {64, 64}} {
		r, c := dims[0], dims[1]
		src := make([]float32, r*c)
		for i := range src {
			src[i] = float32(i)
		}
		dst := transpose(src, r, c)
		for i := range r {
			for j := range c {
				if dst[j*r+i] != src[i*c+j] {
					t.Fatalf("%dx%d: dst[%d][%d] = %v, want %v", r, c, j, i, dst[j*r+i], src[i*c+j])
				}
			}
		}
	}
}
