package tensor

import (
	"math"
	"math/rand"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// This file holds the test helpers and the float64 references every kernel
// is checked against: plain loops that read like the math.

// newRand returns a generator seeded from the clock (or $TENSOR_SEED) and logs
// the seed so a failure can be replayed.
func newRand(t testing.TB) *rand.Rand {
	seed := time.Now().UnixNano()
	if s := os.Getenv("TENSOR_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("seed %d (set TENSOR_SEED to replay)", seed)
	return rand.New(rand.NewSource(seed))
}

// forEachImpl runs f as a subtest under every kernel family the CPU supports,
// restoring the original choice afterwards.
func forEachImpl(t *testing.T, f func(t *testing.T)) {
	prev := Implementation()
	defer SetImplementation(prev)
	for _, name := range []string{"avx512", "avx2", "go"} {
		if SetImplementation(name) != name {
			continue
		}
		t.Run(name, f)
	}
}

// runThreads runs f with SetThreads(n), restoring the thread count after.
func runThreads(n int, f func()) {
	prev := Threads()
	SetThreads(n)
	defer SetThreads(prev)
	f()
}

const guardVal = float32(-7.125e11)

// guarded is a slice embedded at a random small offset in a larger buffer
// whose other elements hold guardVal, to catch out-of-range writes.
type guarded struct {
	all    []float32
	off, n int
}

func newGuarded(r *rand.Rand, n int) *guarded {
	g := &guarded{all: make([]float32, n+r.Intn(4)+17), off: r.Intn(4), n: n}
	for i := range g.all {
		g.all[i] = guardVal
	}
	return g
}

// randGuarded returns a guarded slice of n values uniform in [-s, s).
func randGuarded(r *rand.Rand, n int, s float64) *guarded {
	g := newGuarded(r, n)
	for i := range g.s() {
		g.s()[i] = float32((2*r.Float64() - 1) * s)
	}
	return g
}

func (g *guarded) s() []float32 { return g.all[g.off : g.off+g.n : g.off+g.n] }

func (g *guarded) check(t testing.TB, name string) {
	t.Helper()
	for i, v := range g.all {
		if (i < g.off || i >= g.off+g.n) && v != guardVal {
			t.Fatalf("%s: write outside the slice at %d (offset %d, len %d)", name, i-g.off, g.off, g.n)
		}
	}
}

func randVec(r *rand.Rand, n int, s float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32((2*r.Float64() - 1) * s)
	}
	return x
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func clone(x []float32) []float32 { return append([]float32(nil), x...) }

// unchanged fails if x differs from before (a read-only input was written).
func unchanged(t testing.TB, name string, x, before []float32) {
	t.Helper()
	for i := range x {
		if math.Float32bits(x[i]) != math.Float32bits(before[i]) {
			t.Fatalf("%s: read-only input changed at %d", name, i)
		}
	}
}

// near fails unless |got−want| ≤ atol + rtol·|want| elementwise.
func near(t testing.TB, name string, got []float32, want []float64, rtol, atol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: length %d, want %d", name, len(got), len(want))
	}
	for i := range want {
		g, w := float64(got[i]), want[i]
		if math.IsNaN(g) || math.Abs(g-w) > atol+rtol*math.Abs(w) {
			t.Fatalf("%s: [%d] = %v, want %v (diff %.3g)", name, i, g, w, g-w)
		}
	}
}

func near1(t testing.TB, name string, got float32, want, rtol, atol float64) {
	t.Helper()
	near(t, name, []float32{got}, []float64{want}, rtol, atol)
}

func bitsEqual(a, b []float32) bool {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}

// fdCheck compares grad, the claimed gradient of f at x, with central finite
// differences on up to 24 random coordinates.
func fdCheck(t testing.TB, name string, r *rand.Rand, f func([]float64) float64, x, grad []float64) {
	t.Helper()
	const h = 1e-5
	for k := 0; k < 24 && k < len(x); k++ {
		i := r.Intn(len(x))
		if len(x) <= 24 {
			i = k
		}
		x0 := x[i]
		x[i] = x0 + h
		fp := f(x)
		x[i] = x0 - h
		fm := f(x)
		x[i] = x0
		fd := (fp - fm) / (2 * h)
		if math.Abs(fd-grad[i]) > 1e-6+1e-5*math.Abs(fd) {
			t.Fatalf("%s: d/dx[%d]: analytic %v, finite difference %v", name, i, grad[i], fd)
		}
	}
}

// weightedSum is the scalar loss Σ w·y used for finite differences.
func weightedSum(w, y []float64) float64 {
	var s float64
	for i := range y {
		s += w[i] * y[i]
	}
	return s
}

func refGelu(x float64) float64 {
	return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
}

func refGeluGrad(x float64) float64 {
	s := math.Sqrt(2 / math.Pi)
	th := math.Tanh(s * (x + 0.044715*x*x*x))
	return 0.5*(1+th) + 0.5*x*(1-th*th)*s*(1+3*0.044715*x*x)
}

func refLayerNorm(inp, w, b []float64, n, c int) (out, mean, rstd []float64) {
	out, mean, rstd = make([]float64, n*c), make([]float64, n), make([]float64, n)
	for i := 0; i < n; i++ {
		x := inp[i*c : (i+1)*c]
		var m, v float64
		for _, xv := range x {
			m += xv
		}
		m /= float64(c)
		for _, xv := range x {
			v += (xv - m) * (xv - m)
		}
		v /= float64(c)
		r := 1 / math.Sqrt(v+LayerNormEps)
		for j, xv := range x {
			out[i*c+j] = (xv-m)*r*w[j] + b[j]
		}
		mean[i], rstd[i] = m, r
	}
	return out, mean, rstd
}

func refLayerNormBackward(dout, inp, w []float64, n, c int) (dinp, dw, db []float64) {
	_, mean, rstd := refLayerNorm(inp, w, make([]float64, c), n, c)
	dinp, dw, db = make([]float64, n*c), make([]float64, c), make([]float64, c)
	for i := 0; i < n; i++ {
		var a, b float64
		for j := 0; j < c; j++ {
			u := (inp[i*c+j] - mean[i]) * rstd[i]
			a += w[j] * dout[i*c+j]
			b += w[j] * dout[i*c+j] * u
		}
		a /= float64(c)
		b /= float64(c)
		for j := 0; j < c; j++ {
			u := (inp[i*c+j] - mean[i]) * rstd[i]
			g := dout[i*c+j]
			db[j] += g
			dw[j] += u * g
			dinp[i*c+j] = (w[j]*g - a - u*b) * rstd[i]
		}
	}
	return dinp, dw, db
}

func refSoftmax(x []float64) []float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = math.Max(mx, v)
	}
	out := make([]float64, len(x))
	var s float64
	for i, v := range x {
		out[i] = math.Exp(v - mx)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

func refAttention(qkv []float64, b, t, c, nh int) (out, att []float64) {
	hs := c / nh
	out, att = make([]float64, b*t*c), make([]float64, b*nh*t*t)
	sc := 1 / math.Sqrt(float64(hs))
	for bi := 0; bi < b; bi++ {
		for h := 0; h < nh; h++ {
			for i := 0; i < t; i++ {
				pre := make([]float64, i+1)
				for j := 0; j <= i; j++ {
					for d := 0; d < hs; d++ {
						pre[j] += qkv[(bi*t+i)*3*c+h*hs+d] * qkv[(bi*t+j)*3*c+c+h*hs+d] * sc
					}
				}
				p := refSoftmax(pre)
				copy(att[((bi*nh+h)*t+i)*t:], p)
				for j := 0; j <= i; j++ {
					for d := 0; d < hs; d++ {
						out[(bi*t+i)*c+h*hs+d] += p[j] * qkv[(bi*t+j)*3*c+2*c+h*hs+d]
					}
				}
			}
		}
	}
	return out, att
}

func refAttentionBackward(dout, qkv []float64, b, t, c, nh int) []float64 {
	hs := c / nh
	_, att := refAttention(qkv, b, t, c, nh)
	dqkv := make([]float64, len(qkv))
	sc := 1 / math.Sqrt(float64(hs))
	for bi := 0; bi < b; bi++ {
		for h := 0; h < nh; h++ {
			for i := 0; i < t; i++ {
				a := att[((bi*nh+h)*t+i)*t:]
				datt := make([]float64, i+1)
				for j := 0; j <= i; j++ {
					for d := 0; d < hs; d++ {
						g := dout[(bi*t+i)*c+h*hs+d]
						datt[j] += g * qkv[(bi*t+j)*3*c+2*c+h*hs+d]
						dqkv[(bi*t+j)*3*c+2*c+h*hs+d] += a[j] * g
					}
				}
				var dot float64
				for j := 0; j <= i; j++ {
					dot += a[j] * datt[j]
				}
				for j := 0; j <= i; j++ {
					dpre := a[j] * (datt[j] - dot) * sc
					for d := 0; d < hs; d++ {
						dqkv[(bi*t+i)*3*c+h*hs+d] += dpre * qkv[(bi*t+j)*3*c+c+h*hs+d]
						dqkv[(bi*t+j)*3*c+c+h*hs+d] += dpre * qkv[(bi*t+i)*3*c+h*hs+d]
					}
				}
			}
		}
	}
	return dqkv
}

func refCrossEntropy(logits []float64, targets []int32, weights []float64, n, v int) (losses, dlogits []float64) {
	losses, dlogits = make([]float64, n), make([]float64, n*v)
	for i := 0; i < n; i++ {
		w := 1.0
		if weights != nil {
			w = weights[i]
		}
		tg := int(targets[i])
		if tg < 0 || w == 0 {
			continue
		}
		p := refSoftmax(logits[i*v : (i+1)*v])
		losses[i] = -math.Log(p[tg])
		for j := range p {
			dlogits[i*v+j] = w * p[j]
		}
		dlogits[i*v+tg] -= w
	}
	return losses, dlogits
}

// cpuTimer starts measuring the process's CPU time (all threads); the
// returned function reports it per iteration as "cpu-ns/op", a figure that
// stays meaningful when other processes share the machine.
func cpuTimer(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
