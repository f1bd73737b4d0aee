package tensor

import (
	"math"
	"testing"
)

func TestAdamW(t *testing.T) {
	r := newRand(t)
	forEachImpl(t, func(t *testing.T) {
		for _, n := range []int{0, 1, 17, 1000, 70001} {
			p, g, m, v := randGuarded(r, n, 1), randGuarded(r, n, 1), randGuarded(r, n, 0.1), randGuarded(r, n, 0.1)
			for i := range v.s() {
				v.s()[i] = float32(math.Abs(float64(v.s()[i])))
			}
			p64, g64, m64, v64 := to64(p.s()), to64(g.s()), to64(m.s()), to64(v.s())
			g0 := clone(g.s())
			const lr, b1, b2, eps, wd, step = 1e-3, 0.9, 0.95, 1e-8, 0.1, 7
			AdamW(p.s(), g.s(), m.s(), v.s(), step, lr, b1, b2, eps, wd)
			for i := range p64 {
				m64[i] = b1*m64[i] + (1-b1)*g64[i]
				v64[i] = b2*v64[i] + (1-b2)*g64[i]*g64[i]
				mh := m64[i] / (1 - math.Pow(b1, step))
				vh := v64[i] / (1 - math.Pow(b2, step))
				p64[i] -= lr * (mh/(math.Sqrt(vh)+eps) + wd*p64[i])
			}
			near(t, "AdamW params", p.s(), p64, 1e-6, 1e-7)
			near(t, "AdamW m", m.s(), m64, 1e-6, 5e-8)
			near(t, "AdamW v", v.s(), v64, 1e-6, 1e-9)
			for _, x := range []*guarded{p, m, v} {
				x.check(t, "AdamW")
			}
			unchanged(t, "AdamW grads", g.s(), g0)
		}
	})
}

func TestGradNorm(t *testing.T) {
	r := newRand(t)
	forEachImpl(t, func(t *testing.T) {
		for _, n := range []int{0, 1, 5, 4095, 4097, 100000} {
			g := randGuarded(r, n, 1)
			var s float64
			for _, x := range g.s() {
				s += float64(x) * float64(x)
			}
			want := math.Sqrt(s)
			got := GradNorm(g.s())
			if math.Abs(got-want) > 1e-6*want {
				t.Fatalf("GradNorm n=%d: %v, want %v", n, got, want)
			}
			var norms []float64
			for _, th := range []int{1, 2, 3} {
				runThreads(th, func() { norms = append(norms, GradNorm(g.s())) })
			}
			if norms[0] != norms[1] || norms[0] != norms[2] {
				t.Fatalf("GradNorm n=%d depends on threads: %v", n, norms)
			}
			g0 := clone(g.s())
			if n > 0 {
				got = ClipGradNorm(g.s(), want/2)
				if got != GradNorm(g0) {
					t.Fatalf("ClipGradNorm returned %v, want %v", got, want)
				}
				if after := GradNorm(g.s()); math.Abs(after-want/2) > 1e-5*want {
					t.Fatalf("ClipGradNorm n=%d: norm after %v, want %v", n, after, want/2)
				}
				g.check(t, "ClipGradNorm")
				ClipGradNorm(g0, 2*want)
				unchanged(t, "ClipGradNorm below max", g0, clone(g0))
			}
		}
	})
}

func BenchmarkAdamW(b *testing.B) {
	// Roughly the parameter count of the reference GPT (L=4, C=256, V=256).
	n := 3_300_000
	r := newRand(b)
	p, g, m, v := randVec(r, n, 1), randVec(r, n, 1), make([]float32, n), make([]float32, n)
	benchImpls(b, func(b *testing.B) {
		b.Run("adamw", func(b *testing.B) {
			stop := cpuTimer(b)
			for b.Loop() {
				AdamW(p, g, m, v, 3, 1e-3, 0.9, 0.95, 1e-8, 0.1)
			}
			stop()
		})
		b.Run("gradnorm", func(b *testing.B) {
			stop := cpuTimer(b)
			for b.Loop() {
				GradNorm(g)
			}
			stop()
		})
	})
}
