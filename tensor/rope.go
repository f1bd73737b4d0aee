package tensor

import "math"

// Rotary position embeddings (RoPE) in Hugging Face's "rotate_half"
// convention, the one Llama, Qwen2, Qwen3 and SmolLM checkpoints are trained
// with: a head vector x of D elements is split into halves, and for
// i < D/2 the pair (x[i], x[i+D/2]) is rotated by the angle p·f[i] at
// position p:
//
//	out[i]     = x[i]·cos − x[i+D/2]·sin
//	out[i+D/2] = x[i+D/2]·cos + x[i]·sin
//
// This is not the interleaved GPT-J / Meta-checkpoint convention that rotates
// (x[2i], x[2i+1]); weights converted by Hugging Face have had their q and k
// projections permuted to suit rotate_half.

// RoPEScaling is the Llama 3 ("rope_type": "llama3") adjustment of the
// inverse frequencies, with the fields of the rope_scaling block of a Hugging
// Face config (and its JSON names, so a model config that embeds it reads
// like Hugging Face's).
type RoPEScaling struct {
	Factor               float64 `json:"factor"`                           // low frequencies are divided by it
	LowFreqFactor        float64 `json:"low_freq_factor"`                  // lower blend threshold
	HighFreqFactor       float64 `json:"high_freq_factor"`                 // upper blend threshold
	OriginalMaxPositions int     `json:"original_max_position_embeddings"` // the context trained before scaling
}

// RoPEInvFreq returns the D/2 inverse frequencies f[i] = θ^(−2i/D), adjusted
// by s when it is not nil, as Hugging Face's _compute_llama3_parameters does:
// with L = OriginalMaxPositions and wavelength λ = 2π/f, frequencies whose
// λ exceeds L/LowFreqFactor are divided by Factor, those whose λ is below
// L/HighFreqFactor are kept, and in between f becomes
// (1−a)·f/Factor + a·f with a = (L/λ − LowFreqFactor)/(HighFreqFactor −
// LowFreqFactor), a blend that is continuous at both ends.
//
// The frequencies are computed in float64; Hugging Face computes them, and
// their products with the positions, in float32, so its angles differ from
// these by up to about p·2⁻²⁴ radians at position p.
func RoPEInvFreq(d int, theta float64, s *RoPEScaling) []float64 {
	f := make([]float64, d/2)
	for i := range f {
		f[i] = 1 / math.Pow(theta, float64(2*i)/float64(d))
	}
	if s == nil {
		return f
	}
	l := float64(s.OriginalMaxPositions)
	lowWave, highWave := l/s.LowFreqFactor, l/s.HighFreqFactor
	for i, v := range f {
		wave := 2 * math.Pi / v
		switch {
		case wave < highWave: // high frequency: unchanged
		case wave > lowWave: // low frequency: slowed by Factor
			f[i] = v / s.Factor
		default:
			a := (l/wave - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor)
			f[i] = (1-a)*v/s.Factor + a*v
		}
	}
	return f
}

// RoPETable writes the cosines and sines of the rotation angles p·f[i] for
// positions p < t and the D/2 inverse frequencies of RoPEInvFreq(d, theta, s)
// into cos and sin, each t×(d/2) row-major. Only half a head's width is
// stored: rotate_half uses the same angle for i and i+D/2. The angles are
// formed and their cosines taken in float64, then rounded once to float32.
func RoPETable(cos, sin []float32, t, d int, theta float64, s *RoPEScaling) {
	if d%2 != 0 {
		panic("tensor: RoPETable head dimension is odd")
	}
	h := d / 2
	f := RoPEInvFreq(d, theta, s)
	cos, sin = cos[:t*h], sin[:t*h]
	for p := 0; p < t; p++ {
		for i, v := range f {
			sv, cv := math.Sincos(float64(p) * v)
			cos[p*h+i], sin[p*h+i] = float32(cv), float32(sv)
		}
	}
}

// RoPEForward rotates the NH heads of D elements at every position of inp
// into out, using the t×(d/2) tables of RoPETable: the heads at position p
// use row p. The B·T positions follow each other at stride ld: ld = NH·D for
// a q or k tensor laid out [B, T, NH, D] as a projection leaves it, or the
// width of a fused qkv row, with inp and out starting at the q or the k part
// of the first row; elements between the heads of consecutive positions are
// neither read nor written. out may alias inp, which is the usual use. To
// rotate a decoding step at position p0, pass the tables from row p0 on
// (cos[p0·D/2:]).
func RoPEForward(out, inp, cos, sin []float32, b, t, nh, d, ld int) {
	ropeRows(out, inp, cos, sin, b, t, nh, d, ld, 1)
}

// RoPEBackward writes into dinp the gradient of RoPEForward given dout (same
// layout and stride): the inverse rotation, by the negated angles, of dout.
// Unlike the other backward passes it overwrites rather than accumulates, so
// that dinp may alias dout: the rotation sits between the attention backward,
// which produces dq and dk, and the projection backward, which consumes them,
// and is best done in place on that buffer.
func RoPEBackward(dinp, dout, cos, sin []float32, b, t, nh, d, ld int) {
	ropeRows(dinp, dout, cos, sin, b, t, nh, d, ld, -1)
}

// ropeRows rotates every head of every position by the table's angles,
// negated when sgn is −1.
func ropeRows(out, inp, cos, sin []float32, b, t, nh, d, ld int, sgn float32) {
	n, c := b*t, nh*d
	if n <= 0 || c <= 0 {
		return
	}
	if d%2 != 0 {
		panic("tensor: RoPE head dimension is odd")
	}
	if ld < c {
		panic("tensor: RoPE ld < NH·D")
	}
	h := d / 2
	_, _ = out[(n-1)*ld+c-1], inp[(n-1)*ld+c-1]
	_, _ = cos[t*h-1], sin[t*h-1]
	parallelRows(n, c, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			p := i % t
			rope(out[i*ld:i*ld+c], inp[i*ld:i*ld+c], cos[p*h:(p+1)*h], sin[p*h:(p+1)*h], nh, sgn)
		}
	})
}

// ropeGo rotates the nh heads of 2·len(cos) elements in x into out by the
// angles whose cosines and sines are cos and sin, the sines multiplied by
// sgn (±1); out may alias x.
func ropeGo(out, x, cos, sin []float32, nh int, sgn float32) {
	h := len(cos)
	sin = sin[:h]
	for j := 0; j < nh; j++ {
		xa, xb := x[2*h*j:2*h*j+h], x[2*h*j+h:2*h*(j+1)]
		oa, ob := out[2*h*j:2*h*j+h], out[2*h*j+h:2*h*(j+1)]
		for i, c := range cos {
			s := sgn * sin[i]
			a, b := xa[i], xb[i]
			oa[i] = a*c - b*s
			ob[i] = b*c + a*s
		}
	}
}
