package tensor

import "math"

// Causal self-attention works one (batch, head) pair at a time, the pairs
// split across the workers in fixed contiguous ranges (so results do not
// depend on the thread count). Within a head every product is a row vector
// times a small matrix (VecMat): the scores of query i against the keys use a
// transposed copy of the head's keys, Kᵀ (hs×Tp, Tp = T rounded up to 16 so
// score rows are computed in whole 16-float blocks), and the outputs use the
// values in place in qkv.
//
// Grouped-query attention (GQA, as in Llama 2 70B, Llama 3, Qwen2/3 and
// SmolLM) is the general case: NH query heads share NKV key/value heads, NKV
// dividing NH, query head h reading kv head h/(NH/NKV) (Hugging Face's
// repeat_kv). Multi-head attention is GQA with NKV = NH, and the GPT-2 entry
// points below call the GQA ones so.

// attnShape is the layout of one attention call: NH query heads of HS
// channels in groups of grp sharing a kv head; rows of qkv of ld floats
// (C = NH·HS queries, then the NKV keys, then the NKV values) and rows of out
// of C floats.
type attnShape struct {
	t, hs, nh, grp, c, ld int
}

func newAttnShape(t, c, nh, nkv int) attnShape {
	hs := c / nh
	if hs*nh != c {
		panic("tensor: attention heads do not divide channels")
	}
	if nkv <= 0 || nh%nkv != 0 {
		panic("tensor: attention kv heads do not divide heads")
	}
	return attnShape{t: t, hs: hs, nh: nh, grp: nh / nkv, c: c, ld: c + 2*nkv*hs}
}

// offsets returns where query head h and its key and value heads start
// within a row of qkv.
func (a attnShape) offsets(h int) (q, k, v int) {
	g := h / a.grp
	return h * a.hs, a.c + g*a.hs, a.c + a.c/a.grp + g*a.hs
}

// attnPad rounds t up to a multiple of 16.
func attnPad(t int) int { return (t + 15) &^ 15 }

// attnWorkers returns how many workers attention uses for units independent
// pieces of work (heads, or kv groups in backward) when all the heads hold
// b·nh·t·t·hs multiply-adds.
func attnWorkers(units, b, t, hs, nh int) int {
	w := min(Threads(), units)
	if b*nh*t*t*hs < 1<<16 {
		w = 1
	}
	return max(w, 1)
}

// attnBackFloats is the scratch one backward worker needs: Vᵀ (hs×Tp) and
// two T×Tp matrices.
func attnBackFloats(t, hs int) int {
	tp := attnPad(t)
	return hs*tp + 2*t*tp
}

// AttentionScratchSize returns how many floats of scratch AttentionBackward
// needs to run without taking buffers of its own. It depends on Threads().
func AttentionScratchSize(b, t, c, nh int) int {
	return AttentionScratchSizeGQA(b, t, c, nh, nh)
}

// AttentionScratchSizeGQA is AttentionScratchSize for AttentionBackwardGQA.
func AttentionScratchSizeGQA(b, t, c, nh, nkv int) int {
	hs := c / nh
	return attnWorkers(b*nkv, b, t, hs, nh) * attnBackFloats(t, hs)
}

// AttentionForward computes causal multi-head self-attention. qkv is (B,T,3C)
// holding queries, keys and values side by side; out is (B,T,C). att
// (B,NH,T,T) receives the post-softmax attention weights, kept for backward
// (entries above the diagonal are zero).
func AttentionForward(out, att, qkv []float32, b, t, c, nh int) {
	AttentionForwardGQA(out, att, qkv, b, t, c, nh, nh)
}

// AttentionForwardGQA computes causal grouped-query self-attention: NH query
// heads of HS = C/NH channels share NKV key/value heads (NKV divides NH),
// query head h attending with kv head h/(NH/NKV). qkv is (B, T, C + 2·NKV·HS):
// each row holds the NH query heads, then the NKV key heads, then the NKV
// value heads. out is (B,T,C) and att (B,NH,T,T) as in AttentionForward,
// which is this function with NKV = NH.
func AttentionForwardGQA(out, att, qkv []float32, b, t, c, nh, nkv int) {
	if b <= 0 || t <= 0 || c <= 0 {
		return
	}
	sh := newAttnShape(t, c, nh, nkv)
	hs := sh.hs
	_, _, _ = out[b*t*c-1], att[b*nh*t*t-1], qkv[b*t*sh.ld-1]
	tp := attnPad(t)
	per := hs*tp + 2*tp
	w := attnWorkers(b*nh, b, t, hs, nh)
	buf := getRowBuf(w * per)
	ParallelFor(w, func(wlo, whi int) {
		for wi := wlo; wi < whi; wi++ {
			s := (*buf)[wi*per : (wi+1)*per]
			for bh := wi * b * nh / w; bh < (wi+1)*b*nh/w; bh++ {
				attnHeadForward(out, att, qkv, s, bh/nh, bh%nh, sh)
			}
		}
	})
	putRowBuf(buf)
}

// attnHeadForward does AttentionForward for batch bi, head h, with s as
// scratch (hs·Tp + 2·Tp floats). Query rows go in pairs (VecMat2), which
// halves the loads of Kᵀ and V.
func attnHeadForward(out, att, qkv, s []float32, bi, h int, sh attnShape) {
	t, hs, nh, c, ld := sh.t, sh.hs, sh.nh, sh.c, sh.ld
	tp := attnPad(t)
	qo, ko, vo := sh.offsets(h)
	base := bi * t * ld
	q, k, v := qkv[base+qo:], qkv[base+ko:], qkv[base+vo:]
	kt, s0, s1 := s[:hs*tp], s[hs*tp:hs*tp+tp], s[hs*tp+tp:hs*tp+2*tp]
	transposeRows(kt, k, t, hs, ld, tp)
	scale := float32(1 / math.Sqrt(float64(hs)))
	a := att[(bi*nh+h)*t*t:][:t*t]
	o := out[bi*t*c+h*hs:]
	i := 0
	for ; i+1 < t; i += 2 {
		// Rows i and i+1; row i's weight at i+1 is zero, so both rows
		// can take i+2 values.
		n := min((i+17)&^15, tp)
		VecMat2(s0, s1, q[i*ld:i*ld+hs], q[(i+1)*ld:(i+1)*ld+hs], kt, hs, n, tp, false)
		r0, r1 := a[i*t:(i+1)*t], a[(i+1)*t:(i+2)*t]
		softmaxRow(r0[:i+1], s0[:i+1], scale)
		clear(r0[i+1:])
		softmaxRow(r1[:i+2], s1[:i+2], scale)
		clear(r1[i+2:])
		VecMat2(o[i*c:], o[(i+1)*c:], r0[:i+2], r1[:i+2], v, i+2, hs, ld, false)
	}
	if i < t {
		n := min((i+16)&^15, tp)
		VecMat(s0, q[i*ld:i*ld+hs], kt, hs, n, tp, false)
		r0 := a[i*t : (i+1)*t]
		softmaxRow(r0[:i+1], s0[:i+1], scale)
		clear(r0[i+1:])
		VecMat(o[i*c:], r0[:i+1], v, i+1, hs, ld, false)
	}
}

// AttentionBackward accumulates into dqkv (B,T,3C) the gradient of
// AttentionForward given dout (B,T,C), using the saved att. scratch must hold
// at least T floats; with AttentionScratchSize(b, t, c, nh) floats or more
// the kernel allocates nothing, otherwise it takes pooled buffers of its own.
func AttentionBackward(dqkv, dout, qkv, att, scratch []float32, b, t, c, nh int) {
	AttentionBackwardGQA(dqkv, dout, qkv, att, scratch, b, t, c, nh, nh)
}

// AttentionBackwardGQA accumulates into dqkv (B, T, C + 2·NKV·HS) the
// gradient of AttentionForwardGQA given dout (B,T,C), using the saved att;
// scratch is as for AttentionBackward, sized by AttentionScratchSizeGQA.
//
// The query heads that share a kv head all add to its dK and dV, so the work
// is split by kv group, not by head: one worker runs a group's heads in
// order, which keeps the sums free of races and independent of the thread
// count.
func AttentionBackwardGQA(dqkv, dout, qkv, att, scratch []float32, b, t, c, nh, nkv int) {
	if b <= 0 || t <= 0 || c <= 0 {
		return
	}
	sh := newAttnShape(t, c, nh, nkv)
	hs := sh.hs
	_, _, _ = dqkv[b*t*sh.ld-1], dout[b*t*c-1], qkv[b*t*sh.ld-1]
	_ = att[b*nh*t*t-1]
	w := attnWorkers(b*nkv, b, t, hs, nh)
	per := attnBackFloats(t, hs)
	s := scratch
	var buf *[]float32
	if len(s) < w*per {
		buf = getRowBuf(w * per)
		s = *buf
	}
	ParallelFor(w, func(wlo, whi int) {
		for wi := wlo; wi < whi; wi++ {
			sw := s[wi*per : (wi+1)*per]
			for bg := wi * b * nkv / w; bg < (wi+1)*b*nkv/w; bg++ {
				bi, g := bg/nkv, bg%nkv
				for h := g * sh.grp; h < (g+1)*sh.grp; h++ {
					attnHeadBackward(dqkv, dout, qkv, att, sw, bi, h, sh)
				}
			}
		}
	})
	if buf != nil {
		putRowBuf(buf)
	}
}

// attnHeadBackward does AttentionBackward for batch bi, head h, with s as
// scratch (attnBackFloats floats). With P the gradient of the pre-softmax
// scores: dV = attᵀ·dO, dQ = P·K·scale, dK = Pᵀ·Q·scale (scale folded into P).
func attnHeadBackward(dqkv, dout, qkv, att, s []float32, bi, h int, sh attnShape) {
	t, hs, nh, c, ld := sh.t, sh.hs, sh.nh, sh.c, sh.ld
	tp := attnPad(t)
	qo, ko, vo := sh.offsets(h)
	base := bi * t * ld
	q, k, v := qkv[base+qo:], qkv[base+ko:], qkv[base+vo:]
	dq, dk, dv := dqkv[base+qo:], dqkv[base+ko:], dqkv[base+vo:]
	do := dout[bi*t*c+h*hs:]
	a := att[(bi*nh+h)*t*t:][:t*t]
	vt, p, tt := s[:hs*tp], s[hs*tp:hs*tp+t*tp], s[hs*tp+t*tp:hs*tp+2*t*tp]
	transposeRows(vt, v, t, hs, ld, tp)
	scale := float32(1 / math.Sqrt(float64(hs)))
	// P = gradient of the scores, rows in pairs as in the forward pass;
	// entry i+1 of row i is zeroed so both rows of a pair take i+2 values.
	i := 0
	for ; i+1 < t; i += 2 {
		n := min((i+17)&^15, tp)
		p0, p1 := p[i*tp:(i+1)*tp], p[(i+1)*tp:(i+2)*tp]
		VecMat2(p0, p1, do[i*c:i*c+hs], do[(i+1)*c:(i+1)*c+hs], vt, hs, n, tp, false)
		softmaxBackRow(p0[:i+1], a[i*t:i*t+i+1], scale)
		p0[i+1] = 0
		softmaxBackRow(p1[:i+2], a[(i+1)*t:(i+1)*t+i+2], scale)
		VecMat2(dq[i*ld:], dq[(i+1)*ld:], p0[:i+2], p1[:i+2], k, i+2, hs, ld, true)
	}
	if i < t {
		n := min((i+16)&^15, tp)
		p0 := p[i*tp : (i+1)*tp]
		VecMat(p0, do[i*c:i*c+hs], vt, hs, n, tp, false)
		softmaxBackRow(p0[:i+1], a[i*t:i*t+i+1], scale)
		VecMat(dq[i*ld:], p0[:i+1], k, i+1, hs, ld, true)
	}
	// dV = attᵀ·dO and dK = Pᵀ·Q, row j of the transposes holding the
	// column j entries i ≥ j; pairs of rows start at column j, with the
	// second row's entry j zeroed.
	transposeLower(tt, a, t, t, tp)
	attnPairsT(dv, tt, do, t, hs, tp, ld, c)
	transposeLower(tt, p, t, tp, tp)
	attnPairsT(dk, tt, q, t, hs, tp, ld, ld)
}

// attnPairsT adds to row j of d (stride ldd) Σ_{i≥j} tt[j·tp+i]·m[i·ldm:],
// two rows at a time.
func attnPairsT(d, tt, m []float32, t, hs, tp, ldd, ldm int) {
	j := 0
	for ; j+1 < t; j += 2 {
		tt[(j+1)*tp+j] = 0
		VecMat2(d[j*ldd:], d[(j+1)*ldd:], tt[j*tp+j:j*tp+t], tt[(j+1)*tp+j:(j+1)*tp+t], m[j*ldm:], t-j, hs, ldm, true)
	}
	if j < t {
		VecMat(d[j*ldd:], tt[j*tp+j:j*tp+t], m[j*ldm:], t-j, hs, ldm, true)
	}
}

// softmaxBackRow turns d, the gradient with respect to the softmax output a,
// into scale times the gradient with respect to its input:
// d[j] = a[j]·(d[j] − a·d)·scale.
func softmaxBackRow(d, a []float32, scale float32) {
	d = d[:len(a)]
	dot := Dot(a, d)
	for j, aj := range a {
		d[j] = aj * (d[j] - dot) * scale
	}
}

// transposeRows writes dst[d·ldd + j] = src[j·lds + d] for j < t, d < hs: the
// t rows of hs floats at stride lds, transposed into hs rows at stride ldd;
// columns t..ldd-1 are zeroed.
func transposeRows(dst, src []float32, t, hs, lds, ldd int) {
	_, _ = dst[(hs-1)*ldd+ldd-1], src[(t-1)*lds+hs-1]
	for d := 0; d < hs; d++ {
		gather(dst[d*ldd:], src[d:], t, lds)
		clear(dst[d*ldd+t : d*ldd+ldd])
	}
}

// transposeLower writes dst[j·ldd + i] = src[i·lds + j] for j ≤ i < t: the
// lower triangle of a t×t matrix, transposed into an upper one.
func transposeLower(dst, src []float32, t, lds, ldd int) {
	_, _ = dst[(t-1)*ldd+t-1], src[(t-1)*lds+t-1]
	for j := 0; j < t; j++ {
		gather(dst[j*ldd+j:], src[j*lds+j:], t-j, lds)
	}
}

// gatherGo writes dst[i] = src[i·stride] for i < n.
func gatherGo(dst, src []float32, n, stride int) {
	_, _ = dst[n-1], src[(n-1)*stride]
	for i := range dst[:n] {
		dst[i] = src[i*stride]
	}
}

// AttentionDecode computes attention for one new query against a KV cache,
// the inner step of incremental decoding: q (C) is the query at position
// t−1, whose key and value are already in the cache; row j < t of the keys
// is k[j·ld : j·ld+C] and of the values v[j·ld : j·ld+C] (ld = C for
// separate caches, 3C for rows of qkv). out (C) receives the NH heads'
// outputs side by side. scratch must hold at least t floats.
func AttentionDecode(out, q, k, v, scratch []float32, t, c, nh, ld int) {
	AttentionDecodeGQA(out, q, k, v, scratch, t, c, nh, nh, ld)
}

// AttentionDecodeGQA is AttentionDecode for grouped-query attention: rows of
// the caches hold the NKV key (value) heads, k[j·ld : j·ld + NKV·HS], and
// query head h reads kv head h/(NH/NKV).
func AttentionDecodeGQA(out, q, k, v, scratch []float32, t, c, nh, nkv, ld int) {
	if t <= 0 || c <= 0 {
		return
	}
	sh := newAttnShape(t, c, nh, nkv)
	hs, kvc := sh.hs, c/sh.grp
	_, _, _ = out[c-1], q[c-1], scratch[t-1]
	_, _ = k[(t-1)*ld+kvc-1], v[(t-1)*ld+kvc-1]
	scale := float32(1 / math.Sqrt(float64(hs)))
	w := scratch[:t]
	for h := 0; h < nh; h++ {
		qh := q[h*hs : (h+1)*hs]
		g := h / sh.grp
		for j := range w {
			w[j] = dot(qh, k[j*ld+g*hs:j*ld+(g+1)*hs])
		}
		softmaxRow(w, w, scale)
		VecMat(out[h*hs:], w, v[g*hs:], t, hs, ld, false)
	}
}
