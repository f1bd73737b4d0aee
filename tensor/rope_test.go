package tensor

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// refRoPE rotates x ([B, T, NH, D], contiguous) in float64 by the angles p·f[i], or by
// their negatives when inverse is set, in the rotate_half convention.
func refRoPE(x, f []float64, b, t, nh, d int, inverse bool) []float64 {
	h := d / 2
	out := make([]float64, len(x))
	for bt := 0; bt < b*t; bt++ {
		p := float64(bt % t)
		for j := 0; j < nh; j++ {
			o := (bt*nh + j) * d
			for i := 0; i < h; i++ {
				s, c := math.Sincos(p * f[i])
				if inverse {
					s = -s
				}
				x1, x2 := x[o+i], x[o+i+h]
				out[o+i] = x1*c - x2*s
				out[o+i+h] = x2*c + x1*s
			}
		}
	}
	return out
}

// llama3Scaling is Llama 3.1's rope_scaling block.
var llama3Scaling = &RoPEScaling{Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 8192}

func TestRoPEInvFreq(t *testing.T) {
	const theta, d = 500000, 128
	plain := RoPEInvFreq(d, theta, nil)
	for i, v := range plain {
		if want := math.Pow(theta, -float64(2*i)/d); math.Abs(v-want) > 1e-15*want {
			t.Fatalf("f[%d] = %v, want %v", i, v, want)
		}
	}
	// Worked by hand with L = 8192: wavelengths below L/4 = 2048 keep their
	// frequency, those above L/1 = 8192 are divided by 8.
	//   i = 0:  λ = 2π ≈ 6.28, kept.
	//   i = 63: λ = 2π·θ^(126/128) ≈ 2.56e6, divided by 8.
	//   i = 35: λ ≈ 8218.7, just above 8192, divided by 8.
	//   i = 30: λ = 2π·θ^(60/128) ≈ 2948.30, between the two; the blend is
	//           a = (8192/2948.30 − 1)/(4 − 1) ≈ 0.592850 and the frequency is
	//           multiplied by (1 − a)/8 + a ≈ 0.643743.
	scaled := RoPEInvFreq(d, theta, llama3Scaling)
	for _, c := range []struct {
		i     int
		ratio float64
	}{{0, 1}, {1, 1}, {63, 0.125}, {35, 0.125}, {30, 0.6437431331275951}} {
		if got := scaled[c.i] / plain[c.i]; math.Abs(got-c.ratio) > 1e-12 {
			t.Errorf("llama3 f[%d]/f = %v, want %v", c.i, got, c.ratio)
		}
	}
	// The frequencies still fall monotonically: the blend joins both ends.
	for i := 1; i < len(scaled); i++ {
		if scaled[i] >= scaled[i-1] {
			t.Fatalf("llama3 f[%d] = %v ≥ f[%d] = %v", i, scaled[i], i-1, scaled[i-1])
		}
	}
}

func TestRoPETable(t *testing.T) {
	for _, s := range []*RoPEScaling{nil, llama3Scaling} {
		for _, d := range []int{2, 6, 64, 128} {
			const tt, theta = 37, 10000.0
			h := d / 2
			cos, sin := make([]float32, tt*h), make([]float32, tt*h)
			RoPETable(cos, sin, tt, d, theta, s)
			f := RoPEInvFreq(d, theta, s)
			wc, ws := make([]float64, tt*h), make([]float64, tt*h)
			for p := 0; p < tt; p++ {
				for i := 0; i < h; i++ {
					wc[p*h+i] = math.Cos(float64(p) * f[i])
					ws[p*h+i] = math.Sin(float64(p) * f[i])
				}
			}
			name := fmt.Sprintf("d=%d scaled=%v", d, s != nil)
			near(t, "RoPETable cos "+name, cos, wc, 0, 6e-8)
			near(t, "RoPETable sin "+name, sin, ws, 0, 6e-8)
		}
	}
}

type ropeCase struct{ b, t, nh, d, pad int } // pad: gap between positions

func (c ropeCase) String() string {
	return fmt.Sprintf("B=%d T=%d NH=%d D=%d ld=NH·D+%d", c.b, c.t, c.nh, c.d, c.pad)
}

func TestRoPE(t *testing.T) {
	r := newRand(t)
	// The float64 backward (the inverse rotation) agrees with finite
	// differences of the forward.
	{
		c := ropeCase{2, 3, 2, 6, 0}
		f := RoPEInvFreq(c.d, 10000, nil)
		n := c.b * c.t * c.nh * c.d
		x, proj := to64(randVec(r, n, 2)), to64(randVec(r, n, 1))
		loss := func(x []float64) float64 { return weightedSum(proj, refRoPE(x, f, c.b, c.t, c.nh, c.d, false)) }
		fdCheck(t, "rope dinp", r, loss, x, refRoPE(proj, f, c.b, c.t, c.nh, c.d, true))
	}
	cases := []ropeCase{{1, 1, 1, 2, 0}, {2, 3, 3, 6, 0}, {2, 5, 4, 34, 0}, {1, 7, 2, 64, 0}, {2, 9, 3, 128, 0},
		{1, 3, 1, 258, 0}, {3, 40, 9, 64, 0}, {2, 5, 3, 34, 5}, {2, 7, 2, 64, 128}}
	forEachImpl(t, func(t *testing.T) {
		for _, c := range cases {
			for _, th := range []int{1, 2, 3} {
				runThreads(th, func() { checkRoPE(t, r, c) })
			}
		}
	})
}

func checkRoPE(t *testing.T, r *rand.Rand, c ropeCase) {
	name := fmt.Sprintf("%v threads=%d", c, Threads())
	h, hw := c.d/2, c.nh*c.d
	ld := hw + c.pad
	n := (c.b*c.t-1)*ld + hw // the strided span
	theta, s := 10000.0, (*RoPEScaling)(nil)
	if r.Intn(2) == 0 {
		theta, s = 500000, llama3Scaling
	}
	cos, sin := newGuarded(r, c.t*h), newGuarded(r, c.t*h)
	RoPETable(cos.s(), sin.s(), c.t, c.d, theta, s)
	cos.check(t, "cos")
	sin.check(t, "sin")
	f := RoPEInvFreq(c.d, theta, s)
	cos0, sin0 := clone(cos.s()), clone(sin.s())
	// pack gathers the heads of the strided span into [B, T, NH, D];
	// gaps returns what lies between the positions.
	pack := func(x []float32) []float64 {
		var y []float64
		for i := 0; i < c.b*c.t; i++ {
			y = append(y, to64(x[i*ld:i*ld+hw])...)
		}
		return y
	}
	gaps := func(x []float32) []float32 {
		var y []float32
		for i := 0; i+1 < c.b*c.t; i++ {
			y = append(y, x[i*ld+hw:(i+1)*ld]...)
		}
		return y
	}

	x, out := randGuarded(r, n, 2), randGuarded(r, n, 1)
	x0, outGaps := clone(x.s()), gaps(out.s())
	RoPEForward(out.s(), x.s(), cos.s(), sin.s(), c.b, c.t, c.nh, c.d, ld)
	want := refRoPE(pack(x0), f, c.b, c.t, c.nh, c.d, false)
	got := pack(out.s())
	near(t, "RoPEForward "+name, to32(got), want, 1e-5, 1e-6)
	out.check(t, "RoPEForward")
	unchanged(t, "RoPEForward gaps", gaps(out.s()), outGaps)
	unchanged(t, "RoPEForward inp", x.s(), x0)
	unchanged(t, "cos", cos.s(), cos0)
	unchanged(t, "sin", sin.s(), sin0)

	// A rotation preserves each head's norm.
	x64 := pack(x0)
	for k := 0; k < len(x64); k += c.d {
		var a, b float64
		for i := k; i < k+c.d; i++ {
			a += x64[i] * x64[i]
			b += got[i] * got[i]
		}
		if math.Abs(math.Sqrt(a)-math.Sqrt(b)) > 1e-5*math.Sqrt(a) {
			t.Fatalf("RoPEForward %s: head at %d has norm %v, input %v", name, k, math.Sqrt(b), math.Sqrt(a))
		}
	}

	in := clone(x0) // in place
	RoPEForward(in, in, cos.s(), sin.s(), c.b, c.t, c.nh, c.d, ld)
	if !bitsEqual(to32(pack(in)), to32(got)) {
		t.Fatalf("RoPEForward in place differs, %s", name)
	}
	unchanged(t, "RoPEForward in place gaps", gaps(in), gaps(x0))

	dout, dinp := randGuarded(r, n, 1), randGuarded(r, n, 1)
	dout0, dinpGaps := clone(dout.s()), gaps(dinp.s())
	RoPEBackward(dinp.s(), dout.s(), cos.s(), sin.s(), c.b, c.t, c.nh, c.d, ld)
	near(t, "RoPEBackward "+name, to32(pack(dinp.s())), refRoPE(pack(dout0), f, c.b, c.t, c.nh, c.d, true), 1e-5, 1e-6)
	dinp.check(t, "RoPEBackward")
	unchanged(t, "RoPEBackward gaps", gaps(dinp.s()), dinpGaps)
	unchanged(t, "RoPEBackward dout", dout.s(), dout0)

	// Backward after forward gives back the input: the rotation is
	// orthogonal, its inverse is its transpose.
	RoPEBackward(in, in, cos.s(), sin.s(), c.b, c.t, c.nh, c.d, ld)
	near(t, "RoPEBackward∘RoPEForward "+name, to32(pack(in)), x64, 1e-5, 1e-6)
}

// to32 rounds x to float32.
func to32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

func BenchmarkRoPE(b *testing.B) {
	// q of SmolLM-135M at B=8, T=128: NH=9 heads of D=64.
	bb, tt, nh, d := 8, 128, 9, 64
	r := newRand(b)
	x := randVec(r, bb*tt*nh*d, 1)
	cos, sin := make([]float32, tt*d/2), make([]float32, tt*d/2)
	RoPETable(cos, sin, tt, d, 10000, nil)
	benchImpls(b, func(b *testing.B) {
		b.Run("forward", func(b *testing.B) {
			stop := cpuTimer(b)
			for b.Loop() {
				RoPEForward(x, x, cos, sin, bb, tt, nh, d, nh*d)
			}
			stop()
		})
		b.Run("backward", func(b *testing.B) {
			stop := cpuTimer(b)
			for b.Loop() {
				RoPEBackward(x, x, cos, sin, bb, tt, nh, d, nh*d)
			}
			stop()
		})
	})
}
