package model

import "github.com/align-project/align/tensor"

// The Llama family's forward pass. A block is
//
//	x += o_proj(attn(rope(qknorm(qkv_proj(rmsnorm(x))))))
//	x += down_proj(silu(gate_proj(h))·up_proj(h)), h = rmsnorm(x)
//
// with grouped-query attention, and the model is embedding → L blocks →
// final RMSNorm → LM head (tied to the embedding or not) and scalar heads.
// As for GPT-2, one block function serves training and the KV-cache decoder;
// only the attender (which also applies RoPE, since it alone knows each
// row's position) differs.

// llamaActs are the buffers one Llama block reads and writes for n rows.
// Training passes each layer's own views; the decoder passes shared scratch
// with in, mid and out aliasing and ln2 aliasing ln1.
type llamaActs struct {
	in, mid, out  []float32 // (n,C) residual into the block, after attention, after the MLP
	ln1, ln1Rstd  []float32 // (n,C), (n) input_layernorm output and scale
	ln2, ln2Rstd  []float32 // (n,C), (n) post_attention_layernorm output and scale
	qkv           []float32 // (n, QKV) after bias, q/k norm and RoPE: what attention read
	qkRaw, qkRstd []float32 // QKNorm only: q heads (n·NH, HD) then k heads (n·NKV, HD) before the norm; their scales
	att           []float32 // attention weights, laid out as the attender wants them
	lora          []float32 // (adapters, r, n) each adapter's s·A·xᵀ, or empty
	atty          []float32 // (n, NH·HD) attention output before o_proj
	gate, up      []float32 // (n,H) MLP projections
	act           []float32 // (n,H) silu(gate)·up, scratch
}

// llamaBlockForward runs Llama block l over n rows.
func llamaBlockForward(w llamaLayer, x llamaActs, n, l int, cfg Config, attn attender) {
	C, H, eps := cfg.Channels, cfg.hidden(), cfg.normEps()
	tensor.RMSNormForward(x.ln1, x.ln1Rstd, x.in, w.attnNorm, n, C, eps)
	linearForwardBF16(x.qkv, nil, x.ln1, w.qkvw, w.w16.qkvw, w.qkvb, n, C, cfg.qkvWidth())
	ad := w.lora
	if ad != nil {
		ad.forward(loraQ, x.qkv, x.ln1, x.lora, n)
		ad.forward(loraK, x.qkv, x.ln1, x.lora, n)
		ad.forward(loraV, x.qkv, x.ln1, x.lora, n)
	}
	if cfg.QKNorm {
		qkNormForward(x, w, n, cfg)
	}
	attn.attend(l, x.atty, x.att, x.qkv)
	linearForwardBF16(x.mid, x.in, x.atty, w.o, w.w16.o, nil, n, cfg.attnWidth(), C)
	if ad != nil {
		ad.forward(loraO, x.mid, x.atty, x.lora, n)
	}
	tensor.RMSNormForward(x.ln2, x.ln2Rstd, x.mid, w.mlpNorm, n, C, eps)
	linearForwardBF16(x.gate, nil, x.ln2, w.gate, w.w16.gate, nil, n, C, H)
	linearForwardBF16(x.up, nil, x.ln2, w.up, w.w16.up, nil, n, C, H)
	if ad != nil {
		ad.forward(loraGate, x.gate, x.ln2, x.lora, n)
		ad.forward(loraUp, x.up, x.ln2, x.lora, n)
	}
	tensor.SwiGLUForward(x.act, x.gate, x.up)
	linearForwardBF16(x.out, x.mid, x.act, w.down, w.w16.down, nil, n, H, C)
	if ad != nil {
		ad.forward(loraDown, x.out, x.act, x.lora, n)
	}
}

// qkNormForward applies Qwen3's RMSNorm to every q and k head of the n rows
// of x.qkv in place, keeping the heads' inputs and scales for backward. The
// heads are gathered into contiguous rows of HD (q heads and k heads apart,
// as they have different gains); x.atty, not yet written, is the scratch.
func qkNormForward(x llamaActs, w llamaLayer, n int, cfg Config) {
	NH, NKV, HD, ld, eps := cfg.Heads, cfg.kvHeads(), cfg.headDim(), cfg.qkvWidth(), cfg.normEps()
	qRaw, kRaw := x.qkRaw[:n*NH*HD], x.qkRaw[n*NH*HD:]
	qRstd, kRstd := x.qkRstd[:n*NH], x.qkRstd[n*NH:]
	gatherCols(qRaw, x.qkv, n, 0, NH*HD, ld)
	tensor.RMSNormForward(x.atty[:n*NH*HD], qRstd, qRaw, w.qNorm, n*NH, HD, eps)
	scatterCols(x.qkv, x.atty, n, 0, NH*HD, ld)
	gatherCols(kRaw, x.qkv, n, NH*HD, NKV*HD, ld)
	tensor.RMSNormForward(x.atty[:n*NKV*HD], kRstd, kRaw, w.kNorm, n*NKV, HD, eps)
	scatterCols(x.qkv, x.atty, n, NH*HD, NKV*HD, ld)
}

// gatherCols copies columns [off, off+w) of the n rows of src (stride ld)
// into dst (n, w).
func gatherCols(dst, src []float32, n, off, w, ld int) {
	for i := 0; i < n; i++ {
		copy(dst[i*w:(i+1)*w], src[i*ld+off:i*ld+off+w])
	}
}

// scatterCols is gatherCols' inverse: dst's columns [off, off+w) from src.
func scatterCols(dst, src []float32, n, off, w, ld int) {
	for i := 0; i < n; i++ {
		copy(dst[i*ld+off:i*ld+off+w], src[i*w:(i+1)*w])
	}
}

// llamaAttend is training's attention for a Llama model: it rotates the q
// and k heads of every row by its position in its sequence, then attends
// causally with grouped-query attention, keeping the weights in att.
func (m *Model) llamaAttend(out, att, qkv []float32) {
	cfg := m.Config
	NH, NKV, HD, ld, qW := cfg.Heads, cfg.kvHeads(), cfg.headDim(), cfg.qkvWidth(), cfg.attnWidth()
	tensor.RoPEForward(qkv, qkv, m.ropeCos, m.ropeSin, m.b, m.t, NH, HD, ld)
	tensor.RoPEForward(qkv[qW:], qkv[qW:], m.ropeCos, m.ropeSin, m.b, m.t, NKV, HD, ld)
	tensor.AttentionForwardGQA(out, att, qkv, m.b, m.t, qW, NH, NKV)
}

// initLlamaModel sets up the views, initial values and rotation tables of a
// freshly allocated Llama-family model.
func (m *Model) initLlamaModel(seed uint64) {
	cfg := m.Config
	m.lw, m.lg = newLlamaWeights(m.params, cfg), newLlamaWeights(m.grads, cfg)
	initLlama(m.params, cfg, seed)
	m.W = Weights{Wte: m.lw.embed, Lnfw: m.lw.norm, Headw: m.lw.headw, Headb: m.lw.headb}
	m.G = Weights{Wte: m.lg.embed, Lnfw: m.lg.norm, Headw: m.lg.headw, Headb: m.lg.headb}
	h := cfg.headDim() / 2
	m.ropeCos, m.ropeSin = make([]float32, cfg.Context*h), make([]float32, cfg.Context*h)
	tensor.RoPETable(m.ropeCos, m.ropeSin, cfg.Context, cfg.headDim(), cfg.ropeTheta(), cfg.RopeScaling)
}

// llamaLayerActs are block l's views for the current (B,T). The SwiGLU
// output goes to the scratch g4a and is recomputed by backward.
func (m *Model) llamaLayerActs(l int) llamaActs {
	cfg, a := m.Config, &m.acts
	n, C, H := m.b*m.t, cfg.Channels, cfg.hidden()
	sl, in, out := m.slots(l)
	at := func(s []float32, w int) []float32 { return s[sl*n*w : (sl+1)*n*w : (sl+1)*n*w] }
	fch := at(a.fch, 2*H)
	x := llamaActs{
		in: a.res[in*n*C : (in+1)*n*C], mid: at(a.res2, C), out: a.res[out*n*C : (out+1)*n*C],
		ln1: at(a.ln1, C), ln1Rstd: at(a.ln1Rstd, 1),
		ln2: at(a.ln2, C), ln2Rstd: at(a.ln2Rstd, 1),
		qkv:  at(a.qkv, cfg.qkvWidth()),
		att:  at(a.att, cfg.Heads*m.t),
		atty: at(a.atty, cfg.attnWidth()),
		gate: fch[:n*H], up: fch[n*H:],
		act: a.g4a[:n*H],
	}
	if lw := m.loraWidth(); lw > 0 {
		x.lora = at(a.lora, lw)
	}
	if cfg.QKNorm {
		nq := cfg.Heads + cfg.kvHeads()
		x.qkRaw, x.qkRstd = at(a.qkRaw, nq*cfg.headDim()), at(a.qkRstd, nq)
	}
	return x
}

// llamaForward is Forward for a Llama-family model, on m.inputs.
func (m *Model) llamaForward() {
	cfg, a := m.Config, &m.acts
	n, C, V, K, L := m.b*m.t, cfg.Channels, cfg.VocabSize, cfg.ScalarHeads, cfg.Layers
	embed := a.res[:n*C]
	for i, tok := range m.inputs[:n] {
		copy(embed[i*C:(i+1)*C], m.lw.embed[int(tok)*C:])
	}
	for l := 0; l < L; l++ {
		llamaBlockForward(m.llamaLayerW(l), m.llamaLayerActs(l), n, l, cfg, m)
	}
	final, lnf := m.finalRes(), a.lnf[:n*C]
	tensor.RMSNormForward(lnf, a.lnfRstd[:n], final, m.lw.norm, n, C, cfg.normEps())
	if !m.noLogits {
		tensor.MatMulNT(a.logits[:n*V], lnf, m.lw.head(), n, V, C, false)
		clear(a.dlogits[:min(n*V, len(a.dlogits))]) // none in a frozen view
	}
	if K > 0 {
		linearForward(a.scalars[:n*K], nil, lnf, m.lw.headw, m.lw.headb, n, C, K)
		clear(a.dscalars[:min(n*K, len(a.dscalars))])
	}
}
