package tensor

import (
	"fmt"
	"math/rand"
	"testing"
)

type attnCase struct{ b, t, c, nh int }

func (a attnCase) String() string { return fmt.Sprintf("B=%d T=%d C=%d NH=%d", a.b, a.t, a.c, a.nh) }

var attnCases = []attnCase{
	{1, 1, 3, 1}, {1, 5, 3, 3}, {2, 5, 6, 2}, {1, 33, 12, 3}, {2, 33, 40, 2},
	{1, 17, 128, 2}, {2, 33, 128, 1}, {1, 67, 132, 2}, {3, 20, 24, 4},
}

func TestAttention(t *testing.T) {
	r := newRand(t)
	// The float64 backward agrees with finite differences of the forward.
	for _, tc := range []attnCase{{1, 4, 6, 2}, {2, 3, 4, 1}} {
		qkv := to64(randVec(r, tc.b*tc.t*3*tc.c, 1))
		proj := to64(randVec(r, tc.b*tc.t*tc.c, 1))
		dqkv := refAttentionBackward(proj, qkv, tc.b, tc.t, tc.c, tc.nh)
		fdCheck(t, "attention "+tc.String(), r, func(x []float64) float64 {
			out, _ := refAttention(x, tc.b, tc.t, tc.c, tc.nh)
			return weightedSum(proj, out)
		}, qkv, dqkv)
	}
	forEachImpl(t, func(t *testing.T) {
		for _, tc := range attnCases {
			for _, th := range []int{1, 2, 3} {
				runThreads(th, func() { checkAttention(t, r, tc) })
			}
		}
	})
}

func checkAttention(t *testing.T, r *rand.Rand, tc attnCase) {
	b, tt, c, nh := tc.b, tc.t, tc.c, tc.nh
	name := fmt.Sprintf("%v threads=%d", tc, Threads())
	qkv := randGuarded(r, b*tt*3*c, 2)
	qkv0 := clone(qkv.s())
	out, att := newGuarded(r, b*tt*c), newGuarded(r, b*nh*tt*tt)
	AttentionForward(out.s(), att.s(), qkv.s(), b, tt, c, nh)
	wo, wa := refAttention(to64(qkv0), b, tt, c, nh)
	near(t, "AttentionForward out "+name, out.s(), wo, 1e-5, 1e-5)
	near(t, "AttentionForward att "+name, att.s(), wa, 1e-5, 1e-6)
	out.check(t, "out")
	att.check(t, "att")
	unchanged(t, "qkv", qkv.s(), qkv0)

	dout := randGuarded(r, b*tt*c, 1)
	dqkv := randGuarded(r, b*tt*3*c, 1)
	dout0, dqkv0, att0 := clone(dout.s()), clone(dqkv.s()), clone(att.s())
	want := refAttentionBackward(to64(dout0), to64(qkv0), b, tt, c, nh)
	for i := range want {
		want[i] += float64(dqkv0[i])
	}
	for _, size := range []int{tt, AttentionScratchSize(b, tt, c, nh)} {
		copy(dqkv.s(), dqkv0)
		scratch := newGuarded(r, size)
		AttentionBackward(dqkv.s(), dout.s(), qkv.s(), att.s(), scratch.s(), b, tt, c, nh)
		near(t, fmt.Sprintf("AttentionBackward dqkv %s scratch=%d", name, size), dqkv.s(), want, 1e-4, 1e-5)
		dqkv.check(t, "dqkv")
		scratch.check(t, "scratch")
		unchanged(t, "dout", dout.s(), dout0)
		unchanged(t, "qkv", qkv.s(), qkv0)
		unchanged(t, "att", att.s(), att0)
	}
}

func TestAttentionDeterministic(t *testing.T) {
	r := newRand(t)
	b, tt, c, nh := 4, 37, 64, 4
	qkv, dout := randVec(r, b*tt*3*c, 2), randVec(r, b*tt*c, 1)
	run := func() []float32 {
		out, att := make([]float32, b*tt*c), make([]float32, b*nh*tt*tt)
		AttentionForward(out, att, qkv, b, tt, c, nh)
		dqkv := make([]float32, b*tt*3*c)
		AttentionBackward(dqkv, dout, qkv, att, make([]float32, tt), b, tt, c, nh)
		return append(append(out, att...), dqkv...)
	}
	var first []float32
	for _, th := range []int{1, 2, 3} {
		runThreads(th, func() {
			got := run()
			if !bitsEqual(got, run()) {
				t.Fatalf("threads=%d: two runs differ", th)
			}
			// Each head is done by one worker, so even thread counts agree.
			if first == nil {
				first = got
			} else if !bitsEqual(got, first) {
				t.Fatalf("threads=%d differs from threads=1", th)
			}
		})
	}
}

func BenchmarkAttention(b *testing.B) {
	bb, tt, c, nh := 8, 128, 256, 4
	r := newRand(b)
	qkv, dout := randVec(r, bb*tt*3*c, 1), randVec(r, bb*tt*c, 1)
	out, att, dqkv := make([]float32, bb*tt*c), make([]float32, bb*nh*tt*tt), make([]float32, bb*tt*3*c)
	scratch := make([]float32, AttentionScratchSize(bb, tt, c, nh))
	flops := float64(bb*nh) * float64(tt*(tt+1)/2) * float64(c/nh) * 2
	benchImpls(b, func(b *testing.B) {
		b.Run("forward", func(b *testing.B) {
			stop := cpuTimer(b)
			for b.Loop() {
				AttentionForward(out, att, qkv, bb, tt, c, nh)
			}
			stop()
			b.ReportMetric(2*flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run("backward", func(b *testing.B) {
			stop := cpuTimer(b)
			for b.Loop() {
				AttentionBackward(dqkv, dout, qkv, att, scratch, bb, tt, c, nh)
			}
			stop()
			b.ReportMetric(4*flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	})
}

func TestAttentionDecode(t *testing.T) {
	r := newRand(t)
	forEachImpl(t, func(t *testing.T) {
		for _, tc := range attnCases {
			if tc.b != 1 {
				continue
			}
			tt, c, nh := tc.t, tc.c, tc.nh
			qkv := randVec(r, tt*3*c, 2)
			wo, _ := refAttention(to64(qkv), 1, tt, c, nh)
			out, scratch := newGuarded(r, c), newGuarded(r, tt)
			AttentionDecode(out.s(), qkv[(tt-1)*3*c:], qkv[c:], qkv[2*c:], scratch.s(), tt, c, nh, 3*c)
			near(t, "AttentionDecode "+tc.String(), out.s(), wo[(tt-1)*c:], 1e-5, 1e-5)
			out.check(t, "out")
			scratch.check(t, "scratch")
		}
	})
}

// TestRowKernelsDoNotAllocate guards the hot paths against allocations once
// the pooled buffers exist. What remains is the closure each kernel hands to
// ParallelFor (it escapes through the pool's channel): at most two small
// objects per call.
func TestRowKernelsDoNotAllocate(t *testing.T) {
	r := newRand(t)
	b, tt, c, nh, v := 2, 33, 64, 2, 67
	qkv, dout := randVec(r, b*tt*3*c, 1), randVec(r, b*tt*c, 1)
	out, att, dqkv := make([]float32, b*tt*c), make([]float32, b*nh*tt*tt), make([]float32, b*tt*3*c)
	mean, rstd, w := make([]float32, b*tt), make([]float32, b*tt), randVec(r, c, 1)
	logits, losses := randVec(r, b*tt*v, 1), make([]float32, b*tt)
	targets := make([]int32, b*tt)
	scratch := make([]float32, tt)
	const calls = 9
	f := func() {
		AttentionForward(out, att, qkv, b, tt, c, nh)
		AttentionBackward(dqkv, dout, qkv, att, scratch, b, tt, c, nh)
		LayerNormForward(out, mean, rstd, dout, w, w, b*tt, c)
		LayerNormBackward(out, w, w, dout, dout, w, mean, rstd, b*tt, c)
		GeluForward(out, dout)
		GeluBackward(out, dout, dout)
		CrossEntropy(losses, nil, logits, targets, nil, b*tt, v)
		ExpSum(nil, logits, 1, 0)
		GradNorm(qkv)
	}
	f()
	if n := testing.AllocsPerRun(20, f); n > 2*calls {
		t.Fatalf("%v allocations per run", n)
	}
}
