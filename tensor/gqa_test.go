package tensor

import (
	"fmt"
	"math/rand"
	"testing"
)

type gqaCase struct{ b, t, c, nh, nkv int }

func (a gqaCase) String() string {
	return fmt.Sprintf("B=%d T=%d C=%d NH=%d NKV=%d", a.b, a.t, a.c, a.nh, a.nkv)
}

func (a gqaCase) ld() int { return a.c + 2*a.nkv*(a.c/a.nh) }

var gqaCases = []gqaCase{
	{1, 1, 4, 2, 1}, {1, 5, 6, 3, 1}, {2, 5, 12, 4, 2}, {1, 33, 24, 6, 3}, {2, 17, 64, 4, 1},
	{1, 67, 128, 4, 2}, {3, 20, 24, 4, 4}, {2, 33, 96, 6, 2},
}

// repeatKV expands a GQA qkv (B, T, C + 2·NKV·HS) into the multi-head
// layout (B, T, 3C) by copying each kv head to the query heads of its group,
// which is how Hugging Face's repeat_kv defines grouped-query attention.
func repeatKV(qkv []float64, a gqaCase) []float64 {
	hs, grp, ld := a.c/a.nh, a.nh/a.nkv, a.ld()
	out := make([]float64, a.b*a.t*3*a.c)
	for r := 0; r < a.b*a.t; r++ {
		src, dst := qkv[r*ld:], out[r*3*a.c:]
		copy(dst[:a.c], src[:a.c])
		for h := 0; h < a.nh; h++ {
			g := h / grp
			copy(dst[a.c+h*hs:a.c+(h+1)*hs], src[a.c+g*hs:])
			copy(dst[2*a.c+h*hs:2*a.c+(h+1)*hs], src[a.c+a.nkv*hs+g*hs:])
		}
	}
	return out
}

// refAttentionGQABackward folds the multi-head reference gradient of the
// expanded qkv back: a kv head's gradient is the sum over its group.
func refAttentionGQABackward(dout, qkv []float64, a gqaCase) []float64 {
	hs, grp, ld := a.c/a.nh, a.nh/a.nkv, a.ld()
	dm := refAttentionBackward(dout, repeatKV(qkv, a), a.b, a.t, a.c, a.nh)
	d := make([]float64, len(qkv))
	for r := 0; r < a.b*a.t; r++ {
		src, dst := dm[r*3*a.c:], d[r*ld:]
		copy(dst[:a.c], src[:a.c])
		for h := 0; h < a.nh; h++ {
			g := h / grp
			for i := 0; i < hs; i++ {
				dst[a.c+g*hs+i] += src[a.c+h*hs+i]
				dst[a.c+a.nkv*hs+g*hs+i] += src[2*a.c+h*hs+i]
			}
		}
	}
	return d
}

func TestAttentionGQA(t *testing.T) {
	r := newRand(t)
	// The folded float64 backward agrees with finite differences of the
	// expanded forward.
	for _, a := range []gqaCase{{1, 4, 8, 4, 2}, {2, 3, 6, 3, 1}} {
		qkv := to64(randVec(r, a.b*a.t*a.ld(), 1))
		proj := to64(randVec(r, a.b*a.t*a.c, 1))
		fdCheck(t, "gqa "+a.String(), r, func(x []float64) float64 {
			out, _ := refAttention(repeatKV(x, a), a.b, a.t, a.c, a.nh)
			return weightedSum(proj, out)
		}, qkv, refAttentionGQABackward(proj, qkv, a))
	}
	forEachImpl(t, func(t *testing.T) {
		for _, a := range gqaCases {
			for _, th := range []int{1, 2, 3} {
				runThreads(th, func() { checkAttentionGQA(t, r, a) })
			}
		}
	})
}

func checkAttentionGQA(t *testing.T, r *rand.Rand, a gqaCase) {
	b, tt, c, nh, nkv, ld := a.b, a.t, a.c, a.nh, a.nkv, a.ld()
	name := fmt.Sprintf("%v threads=%d", a, Threads())
	qkv := randGuarded(r, b*tt*ld, 2)
	qkv0 := clone(qkv.s())
	out, att := newGuarded(r, b*tt*c), newGuarded(r, b*nh*tt*tt)
	AttentionForwardGQA(out.s(), att.s(), qkv.s(), b, tt, c, nh, nkv)
	wo, wa := refAttention(repeatKV(to64(qkv0), a), b, tt, c, nh)
	near(t, "AttentionForwardGQA out "+name, out.s(), wo, 1e-5, 1e-5)
	near(t, "AttentionForwardGQA att "+name, att.s(), wa, 1e-5, 1e-6)
	out.check(t, "out")
	att.check(t, "att")
	unchanged(t, "qkv", qkv.s(), qkv0)

	dout := randGuarded(r, b*tt*c, 1)
	dqkv := randGuarded(r, b*tt*ld, 1)
	dout0, dqkv0, att0 := clone(dout.s()), clone(dqkv.s()), clone(att.s())
	want := refAttentionGQABackward(to64(dout0), to64(qkv0), a)
	for i := range want {
		want[i] += float64(dqkv0[i])
	}
	for _, size := range []int{tt, AttentionScratchSizeGQA(b, tt, c, nh, nkv)} {
		copy(dqkv.s(), dqkv0)
		scratch := newGuarded(r, size)
		AttentionBackwardGQA(dqkv.s(), dout.s(), qkv.s(), att.s(), scratch.s(), b, tt, c, nh, nkv)
		near(t, fmt.Sprintf("AttentionBackwardGQA dqkv %s scratch=%d", name, size), dqkv.s(), want, 1e-4, 1e-5)
		dqkv.check(t, "dqkv")
		scratch.check(t, "scratch")
		unchanged(t, "dout", dout.s(), dout0)
		unchanged(t, "qkv", qkv.s(), qkv0)
		unchanged(t, "att", att.s(), att0)
	}

	// Decoding the last position against the keys and values in place in
	// qkv gives the last row of the forward pass.
	hs := c / nh
	dec, scratch := newGuarded(r, c), newGuarded(r, tt)
	AttentionDecodeGQA(dec.s(), qkv0[(tt-1)*ld:], qkv0[c:], qkv0[c+nkv*hs:], scratch.s(), tt, c, nh, nkv, ld)
	near(t, "AttentionDecodeGQA "+name, dec.s(), wo[(tt-1)*c:tt*c], 1e-5, 1e-5)
	dec.check(t, "decode out")
	scratch.check(t, "decode scratch")
}

func TestAttentionGQADeterministic(t *testing.T) {
	r := newRand(t)
	a := gqaCase{4, 37, 64, 4, 2}
	b, tt, c, nh, nkv, ld := a.b, a.t, a.c, a.nh, a.nkv, a.ld()
	qkv, dout := randVec(r, b*tt*ld, 2), randVec(r, b*tt*c, 1)
	run := func() []float32 {
		out, att := make([]float32, b*tt*c), make([]float32, b*nh*tt*tt)
		AttentionForwardGQA(out, att, qkv, b, tt, c, nh, nkv)
		dqkv := make([]float32, b*tt*ld)
		AttentionBackwardGQA(dqkv, dout, qkv, att, make([]float32, tt), b, tt, c, nh, nkv)
		return append(append(out, att...), dqkv...)
	}
	var first []float32
	for _, th := range []int{1, 2, 3} {
		runThreads(th, func() {
			got := run()
			if !bitsEqual(got, run()) {
				t.Fatalf("threads=%d: two runs differ", th)
			}
			// A head's forward and a kv group's backward are each done by
			// one worker in a fixed order, so thread counts agree.
			if first == nil {
				first = got
			} else if !bitsEqual(got, first) {
				t.Fatalf("threads=%d differs from threads=1", th)
			}
		})
	}
}

func BenchmarkAttentionGQA(b *testing.B) {
	// One SmolLM-135M layer at B=4, T=256: NH=9 query heads, NKV=3, HS=64.
	a := gqaCase{4, 256, 576, 9, 3}
	bb, tt, c, nh, nkv, ld := a.b, a.t, a.c, a.nh, a.nkv, a.ld()
	r := newRand(b)
	qkv, dout := randVec(r, bb*tt*ld, 1), randVec(r, bb*tt*c, 1)
	out, att, dqkv := make([]float32, bb*tt*c), make([]float32, bb*nh*tt*tt), make([]float32, bb*tt*ld)
	scratch := make([]float32, AttentionScratchSizeGQA(bb, tt, c, nh, nkv))
	benchImpls(b, func(b *testing.B) {
		b.Run("forward", func(b *testing.B) {
			stop := cpuTimer(b)
			for b.Loop() {
				AttentionForwardGQA(out, att, qkv, bb, tt, c, nh, nkv)
			}
			stop()
		})
		b.Run("backward", func(b *testing.B) {
			stop := cpuTimer(b)
			for b.Loop() {
				AttentionBackwardGQA(dqkv, dout, qkv, att, scratch, bb, tt, c, nh, nkv)
			}
			stop()
		})
	})
}
