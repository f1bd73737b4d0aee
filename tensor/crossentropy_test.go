package tensor

import (
	"fmt"
	"testing"
)

func TestCrossEntropy(t *testing.T) {
	r := newRand(t)
	forEachImpl(t, func(t *testing.T) {
		for _, n := range []int{1, 3, 33, 67} {
			for _, v := range []int{1, 2, 17, 67, 256, 300} {
				for _, mode := range []string{"weights", "nil weights", "nil dlogits", "alias"} {
					name := fmt.Sprintf("n=%d v=%d %s", n, v, mode)
					logits := randGuarded(r, n*v, 8)
					targets := make([]int32, n)
					weights := make([]float32, n)
					for i := range targets {
						targets[i] = int32(r.Intn(v))
						weights[i] = float32(r.Float64() * 2)
						switch r.Intn(6) {
						case 0:
							targets[i] = -1
						case 1:
							weights[i] = 0
						}
					}
					if mode != "weights" {
						weights = nil
					}
					logits0 := clone(logits.s())
					var w64 []float64
					if weights != nil {
						w64 = to64(weights)
					}
					wl, wd := refCrossEntropy(to64(logits0), targets, w64, n, v)
					losses := newGuarded(r, n)
					var dl *guarded
					switch mode {
					case "alias":
						dl = logits
					case "nil dlogits":
					default:
						dl = randGuarded(r, n*v, 1)
					}
					var d []float32
					if dl != nil {
						d = dl.s()
					}
					CrossEntropy(losses.s(), d, logits.s(), targets, weights, n, v)
					near(t, "CrossEntropy losses "+name, losses.s(), wl, 1e-5, 1e-5)
					losses.check(t, "losses "+name)
					if dl != nil {
						near(t, "CrossEntropy dlogits "+name, d, wd, 1e-5, 1e-6)
						dl.check(t, "dlogits "+name)
					}
					if mode != "alias" {
						unchanged(t, "logits "+name, logits.s(), logits0)
					}
				}
			}
		}
	})
}

func BenchmarkCrossEntropy(b *testing.B) {
	n, v := 8*128, 256
	r := newRand(b)
	logits, d, losses := randVec(r, n*v, 5), make([]float32, n*v), make([]float32, n)
	targets := make([]int32, n)
	for i := range targets {
		targets[i] = int32(r.Intn(v))
	}
	benchImpls(b, func(b *testing.B) {
		stop := cpuTimer(b)
		for b.Loop() {
			CrossEntropy(losses, d, logits, targets, nil, n, v)
		}
		stop()
	})
}
