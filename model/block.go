package model

import "github.com/align-project/align/tensor"

// blockActs are the buffers one transformer block reads and writes for n
// rows (tokens) of the residual stream. Training passes each layer's own
// views, which Backward reads later; the decoder passes the same scratch for
// every layer, with mid and out aliasing in (the residual is updated in
// place) and the ln2 buffers aliasing the ln1 ones.
type blockActs struct {
	in, mid, out          []float32 // (n,C) residual into the block, after attention, after the MLP
	ln1, ln1Mean, ln1Rstd []float32 // (n,C), (n), (n)
	ln2, ln2Mean, ln2Rstd []float32 // (n,C), (n), (n)
	qkv                   []float32 // (n,3C)
	att                   []float32 // attention weights, laid out as the attender wants them
	atty                  []float32 // (n,C) attention output before the projection
	fch, gelu             []float32 // (n,4C) MLP pre-activation and GELU output
	lora                  []float32 // (adapters, r, n) each adapter's s·A·xᵀ, or empty
}

// attender computes block l's causal self-attention of n rows: out (n,C)
// from qkv (n,3C), using att for the weights. The two implementations are
// the only part of a block that training and decoding do differently:
// Model attends within each of its B sequences of T tokens and keeps the
// weights for Backward; Decoder first stores the rows' keys and values in
// its cache, then attends to every cached token of the row's sequence.
type attender interface {
	attend(l int, out, att, qkv []float32)
}

// blockForward runs transformer block l over n rows: x + attn(ln1(x)), then
// + mlp(ln2(·)). It is the one forward of a block, for Model.Forward and for
// Decoder.Append alike.
func blockForward(w layerWeights, x blockActs, n, C, l int, attn attender) {
	tensor.LayerNormForward(x.ln1, x.ln1Mean, x.ln1Rstd, x.in, w.ln1w, w.ln1b, n, C)
	linearForward(x.qkv, nil, x.ln1, w.qkvw, w.qkvb, n, C, 3*C)
	ad := w.lora
	if ad != nil {
		ad.forward(loraAttn, x.qkv, x.ln1, x.lora, n)
	}
	attn.attend(l, x.atty, x.att, x.qkv)
	linearForward(x.mid, x.in, x.atty, w.attprojw, w.attprojb, n, C, C)
	if ad != nil {
		ad.forward(loraAttnProj, x.mid, x.atty, x.lora, n)
	}
	tensor.LayerNormForward(x.ln2, x.ln2Mean, x.ln2Rstd, x.mid, w.ln2w, w.ln2b, n, C)
	linearForward(x.fch, nil, x.ln2, w.fcw, w.fcb, n, C, 4*C)
	if ad != nil {
		ad.forward(loraFc, x.fch, x.ln2, x.lora, n)
	}
	tensor.GeluForward(x.gelu, x.fch)
	linearForward(x.out, x.mid, x.gelu, w.fcprojw, w.fcprojb, n, 4*C, C)
	if ad != nil {
		ad.forward(loraFcProj, x.out, x.gelu, x.lora, n)
	}
}
