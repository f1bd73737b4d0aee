package model

import "github.com/align-project/align/tensor"

// llamaBackward is Backward for a Llama-family model: the heads, the final
// RMSNorm, the blocks in reverse, then the embedding.
func (m *Model) llamaBackward() {
	cfg, a := m.Config, &m.acts
	n, C, V, K, L := m.b*m.t, cfg.Channels, cfg.VocabSize, cfg.ScalarHeads, cfg.Layers
	lnf := a.lnf[:n*C]
	dlnf := a.g4b[:n*C]
	clear(dlnf)
	if !m.noLogits {
		if dl := a.dlogits[:n*V]; !allZero(dl) {
			linearBackward(dlnf, m.lg.head(), nil, dl, lnf, m.lw.head(), n, C, V, true)
		}
	}
	if K > 0 {
		if ds := a.dscalars[:n*K]; !allZero(ds) {
			linearBackward(dlnf, m.lg.headw, m.lg.headb, ds, lnf, m.lw.headw, n, C, K, true)
		}
	}
	dres := a.dres[:n*C]
	clear(dres)
	final := m.finalRes()
	tensor.RMSNormBackward(dres, m.lg.norm, dlnf, final, m.lw.norm, a.lnfRstd[:n], n, C)
	for l := L - 1; l >= 0; l-- {
		m.llamaBlockBackward(l)
	}
	if m.lg.embed == nil {
		return // frozen base (LoRA)
	}
	// Serial: token rows may repeat.
	for i, tok := range m.inputs[:n] {
		tensor.Axpy(1, dres[i*C:(i+1)*C], m.lg.embed[int(tok)*C:][:C])
	}
}

// llamaBlockBackward turns dres from the gradient of block l's output into
// the gradient of its input, accumulating the block's parameter gradients.
// Scratch g4a and g4b carry the intermediate gradients; the SwiGLU output is
// recomputed.
func (m *Model) llamaBlockBackward(l int) {
	cfg, a := m.Config, &m.acts
	B, T, C, H := m.b, m.t, cfg.Channels, cfg.hidden()
	NH, NKV, HD, qkvW, attW := cfg.Heads, cfg.kvHeads(), cfg.headDim(), cfg.qkvWidth(), cfg.attnWidth()
	n := B * T
	w, g, x := m.llamaLayerW(l), m.lg.layer(l, cfg.Layers), m.llamaLayerActs(l)
	dres := a.dres[:n*C]
	ad, du := w.lora, a.loraDu

	// MLP: out = mid + down(silu(gate)·up), gate and up from ln2(mid).
	act := a.g4a[:n*H]
	tensor.SwiGLUForward(act, x.gate, x.up)
	dact := a.g4b[:n*H]
	linearBackward(dact, g.down, nil, dres, act, w.down, n, H, C, false)
	if ad != nil {
		ad.backward(loraDown, dact, dres, act, x.lora, du, n)
	}
	dgate, dup := a.g4a[:n*H], a.g4a[n*H:2*n*H]
	clear(a.g4a[:2*n*H])
	tensor.SwiGLUBackward(dgate, dup, dact, x.gate, x.up)
	dln2 := a.g4b[:n*C]
	linearBackward(dln2, g.gate, nil, dgate, x.ln2, w.gate, n, C, H, false)
	linearBackward(dln2, g.up, nil, dup, x.ln2, w.up, n, C, H, true)
	if ad != nil {
		ad.backward(loraGate, dln2, dgate, x.ln2, x.lora, du, n)
		ad.backward(loraUp, dln2, dup, x.ln2, x.lora, du, n)
	}
	tensor.RMSNormBackward(dres, g.mlpNorm, dln2, x.mid, w.mlpNorm, x.ln2Rstd, n, C)

	// Attention: mid = in + o(attn(rope(qknorm(qkv(ln1(in)))))).
	datty := a.g4a[:n*attW]
	linearBackward(datty, g.o, nil, dres, x.atty, w.o, n, attW, C, false)
	if ad != nil {
		ad.backward(loraO, datty, dres, x.atty, x.lora, du, n)
	}
	dqkv := a.g4b[:n*qkvW]
	clear(dqkv)
	if need := max(tensor.AttentionScratchSizeGQA(B, T, attW, NH, NKV), T); len(a.attScratch) < need {
		a.attScratch = make([]float32, need)
	}
	tensor.AttentionBackwardGQA(dqkv, datty, x.qkv, x.att, a.attScratch, B, T, attW, NH, NKV)
	tensor.RoPEBackward(dqkv, dqkv, m.ropeCos, m.ropeSin, B, T, NH, HD, qkvW)
	tensor.RoPEBackward(dqkv[attW:], dqkv[attW:], m.ropeCos, m.ropeSin, B, T, NKV, HD, qkvW)
	if cfg.QKNorm {
		qkNormBackward(dqkv, a.g4a, g, w, x, n, cfg)
	}
	dln1 := a.g4a[:n*C]
	linearBackward(dln1, g.qkvw, g.qkvb, dqkv, x.ln1, w.qkvw, n, C, qkvW, false)
	if ad != nil {
		ad.backward(loraQ, dln1, dqkv, x.ln1, x.lora, du, n)
		ad.backward(loraK, dln1, dqkv, x.ln1, x.lora, du, n)
		ad.backward(loraV, dln1, dqkv, x.ln1, x.lora, du, n)
	}
	tensor.RMSNormBackward(dres, g.attnNorm, dln1, x.in, w.attnNorm, x.ln1Rstd, n, C)
}

// qkNormBackward replaces the q and k parts of dqkv (gradients with respect
// to the normed heads) by the gradients with respect to the heads before
// QKNorm, accumulating the norms' gain gradients. scratch holds 2·n·NH·HD.
func qkNormBackward(dqkv, scratch []float32, g, w llamaLayer, x llamaActs, n int, cfg Config) {
	NH, NKV, HD, ld := cfg.Heads, cfg.kvHeads(), cfg.headDim(), cfg.qkvWidth()
	part := func(off, heads int, raw, rstd, weight, dweight []float32) {
		k := n * heads * HD
		dnorm, draw := scratch[:k], scratch[k:2*k]
		gatherCols(dnorm, dqkv, n, off, heads*HD, ld)
		clear(draw)
		tensor.RMSNormBackward(draw, dweight, dnorm, raw, weight, rstd, n*heads, HD)
		scatterCols(dqkv, draw, n, off, heads*HD, ld)
	}
	part(0, NH, x.qkRaw[:n*NH*HD], x.qkRstd[:n*NH], w.qNorm, g.qNorm)
	part(NH*HD, NKV, x.qkRaw[n*NH*HD:], x.qkRstd[n*NH:], w.kNorm, g.kNorm)
}
