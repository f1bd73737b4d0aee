package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// A float64 reference of every layer and of the whole model, written from the
// math rather than from the float32 code, for finite-difference checks.

func refLinear(out, residual, inp, w, bias []float64, n, cin, cout int) {
	for i := 0; i < n; i++ {
		for o := 0; o < cout; o++ {
			s := 0.0
			if bias != nil {
				s = bias[o]
			}
			if residual != nil {
				s += residual[i*cout+o]
			}
			for k := 0; k < cin; k++ {
				s += inp[i*cin+k] * w[o*cin+k]
			}
			out[i*cout+o] = s
		}
	}
}

func refLayerNorm(out, inp, w, b []float64, n, c int) {
	for i := 0; i < n; i++ {
		x := inp[i*c : (i+1)*c]
		m, v := 0.0, 0.0
		for _, e := range x {
			m += e
		}
		m /= float64(c)
		for _, e := range x {
			v += (e - m) * (e - m)
		}
		v /= float64(c)
		r := 1 / math.Sqrt(v+1e-5)
		for j, e := range x {
			out[i*c+j] = (e-m)*r*w[j] + b[j]
		}
	}
}

func refGelu(out, inp []float64) {
	for i, x := range inp {
		out[i] = 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
	}
}

func refAttention(out, qkv []float64, b, t, c, nh int) {
	hs := c / nh
	for bi := 0; bi < b; bi++ {
		for h := 0; h < nh; h++ {
			for i := 0; i < t; i++ {
				q := qkv[(bi*t+i)*3*c+h*hs:][:hs]
				sc := make([]float64, i+1)
				mx := math.Inf(-1)
				for j := 0; j <= i; j++ {
					k := qkv[(bi*t+j)*3*c+c+h*hs:][:hs]
					for d := range q {
						sc[j] += q[d] * k[d]
					}
					sc[j] /= math.Sqrt(float64(hs))
					mx = math.Max(mx, sc[j])
				}
				sum := 0.0
				for j := range sc {
					sc[j] = math.Exp(sc[j] - mx)
					sum += sc[j]
				}
				o := out[(bi*t+i)*c+h*hs:][:hs]
				for d := range o {
					o[d] = 0
				}
				for j := range sc {
					v := qkv[(bi*t+j)*3*c+2*c+h*hs:][:hs]
					for d := range o {
						o[d] += sc[j] / sum * v[d]
					}
				}
			}
		}
	}
}

// refCrossEntropy returns Σ w·(−log softmax(row)[target]) over rows with a
// non-negative target.
func refCrossEntropy(logits []float64, targets []int32, weights []float64, n, v int) float64 {
	total := 0.0
	for i := 0; i < n; i++ {
		if targets[i] < 0 {
			continue
		}
		row := logits[i*v : (i+1)*v]
		mx := math.Inf(-1)
		for _, z := range row {
			mx = math.Max(mx, z)
		}
		s := 0.0
		for _, z := range row {
			s += math.Exp(z - mx)
		}
		total += weights[i] * (math.Log(s) + mx - row[targets[i]])
	}
	return total
}

// refViews slices a float64 copy of the parameters like newWeights does.
func refViews(p []float64, cfg Config) [numGroups][]float64 {
	var g [numGroups][]float64
	off := 0
	for i, n := range cfg.groupSizes() {
		g[i] = p[off : off+int(n)]
		off += int(n)
	}
	return g
}

// refForward returns the logits (B,T,V) and scalars (B,T,K) of the model with
// parameters p.
func refForward(cfg Config, p []float64, inputs []int32, b, t int) (logits, scalars []float64) {
	w := refViews(p, cfg)
	C, V, K, n := cfg.Channels, cfg.VocabSize, cfg.ScalarHeads, b*t
	x := make([]float64, n*C)
	for i := 0; i < n; i++ {
		for j := 0; j < C; j++ {
			x[i*C+j] = w[gWte][int(inputs[i])*C+j] + w[gWpe][(i%t)*C+j]
		}
	}
	h := make([]float64, n*C)
	qkv := make([]float64, n*3*C)
	att := make([]float64, n*C)
	fc := make([]float64, n*4*C)
	layer := func(g, l, size int) []float64 { return w[g][l*size : (l+1)*size] }
	for l := 0; l < cfg.Layers; l++ {
		refLayerNorm(h, x, layer(gLn1w, l, C), layer(gLn1b, l, C), n, C)
		refLinear(qkv, nil, h, layer(gQkvw, l, 3*C*C), layer(gQkvb, l, 3*C), n, C, 3*C)
		refAttention(att, qkv, b, t, C, cfg.Heads)
		refLinear(x, x, att, layer(gAttprojw, l, C*C), layer(gAttprojb, l, C), n, C, C)
		refLayerNorm(h, x, layer(gLn2w, l, C), layer(gLn2b, l, C), n, C)
		refLinear(fc, nil, h, layer(gFcw, l, 4*C*C), layer(gFcb, l, 4*C), n, C, 4*C)
		refGelu(fc, fc)
		refLinear(x, x, fc, layer(gFcprojw, l, 4*C*C), layer(gFcprojb, l, C), n, 4*C, C)
	}
	refLayerNorm(h, x, w[gLnfw], w[gLnfb], n, C)
	logits = make([]float64, n*V)
	refLinear(logits, nil, h, w[gWte], nil, n, C, V)
	scalars = make([]float64, n*K)
	if K > 0 {
		refLinear(scalars, nil, h, w[gHeadw], w[gHeadb], n, C, K)
	}
	return logits, scalars
}

// gradCheck compares analytic gradients to central differences of f with
// respect to x (perturbed in place), returning the relative L2 error
// ‖analytic − numeric‖ / ‖numeric‖ over the given index range.
func gradCheck(f func() float64, x []float64, analytic []float32) float64 {
	const h = 1e-5
	var diff, norm float64
	for i := range x {
		orig := x[i]
		x[i] = orig + h
		fp := f()
		x[i] = orig - h
		fm := f()
		x[i] = orig
		num := (fp - fm) / (2 * h)
		d := float64(analytic[i]) - num
		diff += d * d
		norm += num * num
	}
	if norm == 0 {
		return math.Sqrt(diff)
	}
	return math.Sqrt(diff / norm)
}

// randomize fills s with normal(0, std) draws.
func randomize(rng *rand.Rand, s []float32, std float64) {
	for i := range s {
		s[i] = float32(rng.NormFloat64() * std)
	}
}

func to64(s []float32) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

func dot64(a []float64, b []float32) float64 {
	s := 0.0
	for i, v := range a {
		s += v * float64(b[i])
	}
	return s
}

func checkRel(t *testing.T, name string, rel, tol float64) {
	t.Helper()
	t.Logf("%s: relative gradient error %.3g", name, rel)
	if !(rel <= tol) {
		t.Errorf("%s: relative gradient error %.3g > %.3g", name, rel, tol)
	}
}
