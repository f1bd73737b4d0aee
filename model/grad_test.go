package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/align-project/align/tensor"
)

// Finite-difference checks: the objective is J = Σ r·out for a random r, so
// the analytic gradient is the backward pass given dout = r, and the numeric
// one comes from central differences of the float64 reference.

const layerTol = 1e-4

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 7)) }

func randSlice(rng *rand.Rand, n int, std float64) []float32 {
	s := make([]float32, n)
	randomize(rng, s, std)
	return s
}

func TestLinearGrad(t *testing.T) {
	rng := newRNG(1)
	n, cin, cout := 6, 5, 7
	inp, w, b := randSlice(rng, n*cin, 1), randSlice(rng, cout*cin, 1), randSlice(rng, cout, 1)
	res, r := randSlice(rng, n*cout, 1), randSlice(rng, n*cout, 1)
	out := make([]float32, n*cout)
	linearForward(out, res, inp, w, b, n, cin, cout)
	dinp, dw, db := make([]float32, n*cin), make([]float32, cout*cin), make([]float32, cout)
	linearBackward(dinp, dw, db, r, inp, w, n, cin, cout, false)

	inp64, w64, b64, res64 := to64(inp), to64(w), to64(b), to64(res)
	out64 := make([]float64, n*cout)
	refLinear(out64, res64, inp64, w64, b64, n, cin, cout)
	for i := range out {
		if math.Abs(float64(out[i])-out64[i]) > 1e-5 {
			t.Fatalf("forward[%d] = %v, want %v", i, out[i], out64[i])
		}
	}
	f := func() float64 { refLinear(out64, res64, inp64, w64, b64, n, cin, cout); return dot64(out64, r) }
	checkRel(t, "dinp", gradCheck(f, inp64, dinp), layerTol)
	checkRel(t, "dw", gradCheck(f, w64, dw), layerTol)
	checkRel(t, "dbias", gradCheck(f, b64, db), layerTol)
}

func TestLayerNormGrad(t *testing.T) {
	rng := newRNG(2)
	n, c := 4, 9
	inp, r := randSlice(rng, n*c, 2), randSlice(rng, n*c, 1)
	w, b := randSlice(rng, c, 1), randSlice(rng, c, 1)
	out, mean, rstd := make([]float32, n*c), make([]float32, n), make([]float32, n)
	tensor.LayerNormForward(out, mean, rstd, inp, w, b, n, c)
	dinp, dw, db := make([]float32, n*c), make([]float32, c), make([]float32, c)
	tensor.LayerNormBackward(dinp, dw, db, r, inp, w, mean, rstd, n, c)
	inp64, w64, b64 := to64(inp), to64(w), to64(b)
	out64 := make([]float64, n*c)
	f := func() float64 { refLayerNorm(out64, inp64, w64, b64, n, c); return dot64(out64, r) }
	checkRel(t, "dinp", gradCheck(f, inp64, dinp), layerTol)
	checkRel(t, "dweight", gradCheck(f, w64, dw), layerTol)
	checkRel(t, "dbias", gradCheck(f, b64, db), layerTol)
}

func TestGeluGrad(t *testing.T) {
	rng := newRNG(3)
	inp, r := randSlice(rng, 50, 2), randSlice(rng, 50, 1)
	dinp := make([]float32, 50)
	tensor.GeluBackward(dinp, inp, r)
	inp64, out64 := to64(inp), make([]float64, 50)
	f := func() float64 { refGelu(out64, inp64); return dot64(out64, r) }
	checkRel(t, "dinp", gradCheck(f, inp64, dinp), layerTol)
}

func TestAttentionGrad(t *testing.T) {
	rng := newRNG(4)
	b, T, c, nh := 2, 5, 8, 2
	qkv, r := randSlice(rng, b*T*3*c, 1), randSlice(rng, b*T*c, 1)
	out, att := make([]float32, b*T*c), make([]float32, b*nh*T*T)
	tensor.AttentionForward(out, att, qkv, b, T, c, nh)
	dqkv := make([]float32, b*T*3*c)
	tensor.AttentionBackward(dqkv, r, qkv, att, make([]float32, b*nh*T), b, T, c, nh)
	qkv64, out64 := to64(qkv), make([]float64, b*T*c)
	refAttention(out64, qkv64, b, T, c, nh)
	for i := range out {
		if math.Abs(float64(out[i])-out64[i]) > 1e-5 {
			t.Fatalf("forward[%d] = %v, want %v", i, out[i], out64[i])
		}
	}
	f := func() float64 { refAttention(out64, qkv64, b, T, c, nh); return dot64(out64, r) }
	checkRel(t, "dqkv", gradCheck(f, qkv64, dqkv), layerTol)
}

func TestEncoderGrad(t *testing.T) {
	rng := newRNG(5)
	b, T, c, v := 2, 4, 3, 5
	inp := []int32{1, 3, 1, 0, 4, 1, 2, 1} // repeats must accumulate
	wte, wpe := randSlice(rng, v*c, 1), randSlice(rng, T*c, 1)
	r := randSlice(rng, b*T*c, 1)
	dwte, dwpe := make([]float32, v*c), make([]float32, T*c)
	encoderBackward(dwte, dwpe, r, inp, b, T, c)
	wte64, wpe64 := to64(wte), to64(wpe)
	out64 := make([]float64, b*T*c)
	f := func() float64 {
		for i, tok := range inp {
			for j := 0; j < c; j++ {
				out64[i*c+j] = wte64[int(tok)*c+j] + wpe64[(i%T)*c+j]
			}
		}
		return dot64(out64, r)
	}
	checkRel(t, "dwte", gradCheck(f, wte64, dwte), layerTol)
	checkRel(t, "dwpe", gradCheck(f, wpe64, dwpe), layerTol)
}

func TestCrossEntropyGrad(t *testing.T) {
	rng := newRNG(6)
	n, v := 5, 7
	logits := randSlice(rng, n*v, 2)
	targets := []int32{3, -1, 0, 6, 2}
	weights := []float32{1, 1, 0, 2.5, 0.5}
	losses, dlogits := make([]float32, n), make([]float32, n*v)
	tensor.CrossEntropy(losses, dlogits, logits, targets, weights, n, v)
	logits64, w64 := to64(logits), to64(weights)
	f := func() float64 { return refCrossEntropy(logits64, targets, w64, n, v) }
	checkRel(t, "dlogits", gradCheck(f, logits64, dlogits), layerTol)
}

// gradCfg is tiny enough for a finite difference of every parameter.
var gradCfg = Config{VocabSize: 11, Context: 5, Layers: 2, Heads: 2, Channels: 8, ScalarHeads: 2}

var groupNames = [numGroups]string{"wte", "wpe", "ln1w", "ln1b", "qkvw", "qkvb", "attprojw", "attprojb",
	"ln2w", "ln2b", "fcw", "fcb", "fcprojw", "fcprojb", "lnfw", "lnfb", "headw", "headb"}

// roughen replaces GPT-2's small initialisation by larger random values so
// every parameter, biases and layernorm included, matters to the output.
func roughen(m *Model, seed uint64) {
	rng := newRNG(seed)
	randomize(rng, m.Params(), 0.3)
	for _, s := range [][]float32{m.W.Ln1w, m.W.Ln2w, m.W.Lnfw} {
		for i := range s {
			s[i] += 1
		}
	}
}

func TestModelGrad(t *testing.T) {
	cfg := gradCfg
	B, T := 2, 5
	inputs := []int32{1, 4, 4, 9, 0, 10, 2, 3, 7, 5}
	targets := []int32{4, 4, 9, 0, -1, 2, 3, 7, 5, 1}
	mask := []float32{0, 1, 1, 2, 1, 0, 0.5, 1, 1, 1}
	for _, tc := range []struct {
		name        string
		lm, scalars bool
	}{{"lm+scalars", true, true}, {"lm", true, false}, {"scalars", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(cfg, 1)
			if err != nil {
				t.Fatal(err)
			}
			roughen(m, 2)
			r := randSlice(newRNG(3), B*T*cfg.ScalarHeads, 1)
			if err := m.Forward(inputs, B, T); err != nil {
				t.Fatal(err)
			}
			loss := float32(0)
			if tc.lm {
				if loss, err = m.LMLoss(targets, mask); err != nil {
					t.Fatal(err)
				}
			}
			if tc.scalars {
				copy(m.DScalars(), r)
			}
			m.ZeroGrad()
			if err := m.Backward(); err != nil {
				t.Fatal(err)
			}

			p64 := to64(m.Params())
			w64, wsum := to64(mask), 0.0
			for i, w := range mask {
				if targets[i] >= 0 {
					wsum += float64(w)
				}
			}
			objective := func() float64 {
				logits, sc := refForward(cfg, p64, inputs, B, T)
				j := 0.0
				if tc.lm {
					j += refCrossEntropy(logits, targets, w64, B*T, cfg.VocabSize) / wsum
				}
				if tc.scalars {
					j += dot64(sc, r)
				}
				return j
			}
			logits64, sc64 := refForward(cfg, p64, inputs, B, T)
			if e := maxRelDiff(m.Logits(), logits64); e > 1e-5 {
				t.Errorf("logits differ from the float64 reference by %.3g", e)
			}
			if e := maxRelDiff(m.Scalars(), sc64); e > 1e-5 {
				t.Errorf("scalars differ from the float64 reference by %.3g", e)
			}
			if tc.lm {
				want := refCrossEntropy(logits64, targets, w64, B*T, cfg.VocabSize) / wsum
				if math.Abs(float64(loss)-want) > 1e-5*math.Max(1, want) {
					t.Errorf("loss %v, reference %v", loss, want)
				}
			}
			off := 0
			for g, n := range cfg.groupSizes() {
				lo, hi := off, off+int(n)
				off = hi
				rel := gradCheck(objective, p64[lo:hi], m.Grads()[lo:hi])
				checkRel(t, groupNames[g], rel, 1e-3)
			}
		})
	}
}

// maxRelDiff returns max|a−b| / max(max|b|, 1e-6).
func maxRelDiff(a []float32, b []float64) float64 {
	var d, s float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-b[i]))
		s = math.Max(s, math.Abs(b[i]))
	}
	return d / math.Max(s, 1e-6)
}

// TestScalarOnlyBackward checks that a model with its LM head turned off (the
// reward and value models) differentiates its scalar heads exactly as a model
// that computes logits and leaves them out of the loss.
func TestScalarOnlyBackward(t *testing.T) {
	cfg := gradCfg
	B, T := 2, 5
	inputs := []int32{1, 4, 4, 9, 0, 10, 2, 3, 7, 5}
	r := randSlice(newRNG(4), B*T*cfg.ScalarHeads, 1)
	grads := make([][]float32, 2)
	for i, logits := range []bool{true, false} {
		m, err := New(cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		roughen(m, 2)
		m.SetComputeLogits(logits)
		if err := m.Forward(inputs, B, T); err != nil {
			t.Fatal(err)
		}
		copy(m.DScalars(), r)
		m.ZeroGrad()
		if err := m.Backward(); err != nil {
			t.Fatalf("logits %v: %v", logits, err)
		}
		grads[i] = append([]float32(nil), m.Grads()...)
	}
	for i := range grads[0] {
		if grads[0][i] != grads[1][i] {
			t.Fatalf("gradient %d: %v with the LM head, %v without", i, grads[0][i], grads[1][i])
		}
	}
}
