package model

import "github.com/align-project/align/tensor"

// llamaActs are the decoder's scratch for rows new tokens of a Llama-family
// model, shared by every layer: the residual stream in d.x is updated in
// place.
func (d *Decoder) llamaActs(rows int) llamaActs {
	cfg := d.m.Config
	C, H := cfg.Channels, cfg.hidden()
	x, ln, rstd := d.x[:rows*C], d.ln[:rows*C], d.rstd[:rows]
	acts := llamaActs{
		in: x, mid: x, out: x,
		ln1: ln, ln1Rstd: rstd,
		ln2: ln, ln2Rstd: rstd,
		qkv:  d.qkv[:rows*cfg.qkvWidth()],
		att:  d.att[:rows*cfg.Heads*d.tp],
		atty: d.atty[:rows*cfg.attnWidth()],
		gate: d.fch[:rows*H], up: d.fch[rows*H : 2*rows*H],
		act: d.gelu[:rows*H],
	}
	if lw := d.m.loraWidth(); lw > 0 {
		acts.lora = d.lora[:rows*lw]
	}
	if cfg.QKNorm {
		nq := cfg.Heads + cfg.kvHeads()
		acts.qkRaw, acts.qkRstd = d.qkRaw[:rows*nq*cfg.headDim()], d.qkRstd[:rows*nq]
	}
	return acts
}

// llamaAttend is the decoder's attention for layer l of a Llama-family
// model: each new row's q and k heads are rotated by the row's position in
// its sequence, its keys and values are stored in the cache (so a row sees
// the new rows before it), then each row attends to its sequence's cached
// rows with the grouped-query decode kernel. att holds at least tp floats
// per row.
func (d *Decoder) llamaAttend(l int, out, att, qkv []float32) {
	cfg := d.m.Config
	NH, NKV, HD, ld := cfg.Heads, cfg.kvHeads(), cfg.headDim(), cfg.qkvWidth()
	qW, kW, h := NH*HD, NKV*HD, HD/2
	rows := len(out) / qW
	kc, vc := d.layerCache(l)
	for r := 0; r < rows; r++ {
		seq, pos := d.rowSeq[r], d.rowPos[r]
		row := qkv[r*ld : (r+1)*ld]
		cos, sin := d.m.ropeCos[pos*h:], d.m.ropeSin[pos*h:]
		tensor.RoPEForward(row, row, cos, sin, 1, 1, NH, HD, ld)
		tensor.RoPEForward(row[qW:], row[qW:], cos, sin, 1, 1, NKV, HD, ld)
		off := (seq*d.maxLen + pos) * kW
		copy(kc[off:off+kW], row[qW:qW+kW])
		copy(vc[off:off+kW], row[qW+kW:])
	}
	tensor.ParallelFor(rows, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			base := d.rowSeq[r] * d.maxLen * kW
			tensor.AttentionDecodeGQA(out[r*qW:(r+1)*qW], qkv[r*ld:], kc[base:], vc[base:], att[r*d.tp:(r+1)*d.tp],
				d.rowPos[r]+1, qW, NH, NKV, kW)
		}
	})
}
