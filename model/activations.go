package model

// activations holds what Forward keeps for Backward, and Backward's scratch,
// all views into one buffer sized for the largest (B,T) seen so far. Per-layer
// arrays are packed for the current (B,T): layer l starts at l·B·T·(width).
//
// Per token and layer it keeps 12C floats (residual in, ln1, qkv, attention
// output, residual after attention, ln2, fc pre-activation) plus NH·T
// attention weights; the GELU output is recomputed in backward. The backward
// scratch is 9C per token, shared by all layers.
type activations struct {
	capBT, capBTT int // capacity in rows (B·T) and in attention entries per head (B·T·T)

	res              []float32 // (L+1, B,T,C) residual stream into each block; res[L] feeds ln_f
	ln1, ln2         []float32 // (L, B,T,C)
	ln1Mean, ln1Rstd []float32 // (L, B,T)
	ln2Mean, ln2Rstd []float32 // (L, B,T)
	qkv              []float32 // (L, B,T,3C)
	atty             []float32 // (L, B,T,C) attention output before the projection
	att              []float32 // (L, B,NH,T,T) post-softmax weights
	res2             []float32 // (L, B,T,C) residual after attention
	fch              []float32 // (L, B,T,4C) MLP pre-activation
	lnf              []float32 // (B,T,C)
	lnfMean, lnfRstd []float32 // (B,T)
	logits, dlogits  []float32 // (B,T,V)
	scalars          []float32 // (B,T,K)
	dscalars         []float32 // (B,T,K)
	losses, lossW    []float32 // (B,T) per-token loss and normalised weight

	qkRaw  []float32 // (L, B,T,(NH+NKV)·HD) Llama q and k heads before QKNorm, or empty
	qkRstd []float32 // (L, B,T,NH+NKV) their RMSNorm scales

	dres       []float32 // (B,T,C) gradient of the residual stream
	g4a, g4b   []float32 // (B,T,4C) scratch: GELU output and intermediate gradients
	attScratch []float32 // scratch for attention backward, grown on demand

	lora   []float32 // (L, adapters, r, B·T) LoRA: each adapter's s·A·xᵀ
	loraDu []float32 // LoRA backward scratch, r·(B·T + widest output)
}

// reserve makes sure the activations fit a (b,t) batch, reallocating (and
// dropping the old contents) only when B·T or B·T·T grows.
func (m *Model) reserve(b, t int) {
	a := &m.acts
	if b*t <= a.capBT && b*t*t <= a.capBTT {
		return
	}
	bt, btt := max(b*t, a.capBT), max(b*t*t, a.capBTT)
	cfg := m.Config
	L, C, V, K, NH := cfg.Layers, cfg.Channels, cfg.VocabSize, cfg.ScalarHeads, cfg.Heads
	// GPT-2: qkv 3C, attention output C, MLP 4C, scratch 4C. Llama keeps
	// gate and up side by side (2H) and needs scratch for dgate|dup, for
	// dq and its pre-norm gradient, and for dqkv.
	// A frozen view is never differentiated: one layer's activations,
	// reused by every block, two residual slots that alternate as a block's
	// input and output, and nothing for Backward.
	Ls, resN, grad := L, L+1, 1
	if m.frozen {
		Ls, resN, grad = 1, 2, 0
	}
	qkvW, attW, mlpW, scratchW, qkW := 3*C, C, 4*C, 4*C, 0
	if cfg.IsLlama() {
		qkvW, attW, mlpW = cfg.qkvWidth(), cfg.attnWidth(), 2*cfg.hidden()
		scratchW = max(mlpW, 2*attW, qkvW, C)
		if cfg.QKNorm {
			qkW = NH + cfg.kvHeads()
		}
	}
	nV := bt * V
	if m.noLogits {
		nV = 0
	}
	sizes := []struct {
		p *[]float32
		n int
	}{
		{&a.res, resN * bt * C},
		{&a.ln1, Ls * bt * C}, {&a.ln2, Ls * bt * C},
		{&a.ln1Mean, Ls * bt}, {&a.ln1Rstd, Ls * bt},
		{&a.ln2Mean, Ls * bt}, {&a.ln2Rstd, Ls * bt},
		{&a.qkv, Ls * bt * qkvW},
		{&a.atty, Ls * bt * attW},
		{&a.att, Ls * NH * btt},
		{&a.res2, Ls * bt * C},
		{&a.fch, Ls * bt * mlpW},
		{&a.qkRaw, Ls * bt * qkW * cfg.headDim()}, {&a.qkRstd, Ls * bt * qkW},
		{&a.lnf, bt * C}, {&a.lnfMean, bt}, {&a.lnfRstd, bt},
		{&a.logits, nV}, {&a.dlogits, grad * nV},
		{&a.scalars, bt * K}, {&a.dscalars, grad * bt * K},
		{&a.losses, bt}, {&a.lossW, bt},
		{&a.dres, grad * bt * C},
		{&a.g4a, bt * scratchW}, {&a.g4b, grad * bt * scratchW},
		{&a.lora, Ls * bt * m.loraWidth()}, {&a.loraDu, grad * m.loraScratch(bt)},
	}
	total := 0
	for _, s := range sizes {
		total += s.n
	}
	// Drop the old buffer before allocating the new one so both are never live.
	*a = activations{}
	m.inputs = nil
	buf := make([]float32, total)
	off := 0
	for _, s := range sizes {
		*s.p = buf[off : off+s.n : off+s.n]
		off += s.n
	}
	a.capBT, a.capBTT = bt, btt
	m.inputs = make([]int32, bt)
	m.b, m.t = 0, 0
}

// slots returns where block l's activations live: the layer index for a
// trainable model; for a frozen view, which keeps one layer's worth, slot
// 0 and the residual slots l%2 (input) and (l+1)%2 (output).
func (m *Model) slots(l int) (layer, in, out int) {
	if m.frozen {
		return 0, l % 2, (l + 1) % 2
	}
	return l, l, l + 1
}

// finalRes is the residual stream after the last block (what ln_f reads).
func (m *Model) finalRes() []float32 {
	n, C, L := m.b*m.t, m.Config.Channels, m.Config.Layers
	_, _, out := m.slots(L - 1)
	return m.acts.res[out*n*C:][:n*C]
}

// layerActs are block l's views for the current (B,T). The GELU output is
// not kept: every layer writes it into the scratch g4a, and Backward
// recomputes it.
func (m *Model) layerActs(l int) blockActs {
	a := &m.acts
	n, C, NH := m.b*m.t, m.Config.Channels, m.Config.Heads
	sl, in, out := m.slots(l)
	at := func(s []float32, w int) []float32 { return s[sl*n*w : (sl+1)*n*w : (sl+1)*n*w] }
	var lora []float32
	if lw := m.loraWidth(); lw > 0 {
		lora = at(a.lora, lw)
	}
	return blockActs{
		lora:    lora,
		in:      a.res[in*n*C : (in+1)*n*C],
		mid:     at(a.res2, C),
		out:     a.res[out*n*C : (out+1)*n*C],
		ln1:     at(a.ln1, C),
		ln1Mean: at(a.ln1Mean, 1),
		ln1Rstd: at(a.ln1Rstd, 1),
		ln2:     at(a.ln2, C),
		ln2Mean: at(a.ln2Mean, 1),
		ln2Rstd: at(a.ln2Rstd, 1),
		qkv:     at(a.qkv, 3*C),
		att:     at(a.att, NH*m.t),
		atty:    at(a.atty, C),
		fch:     at(a.fch, 4*C),
		gelu:    a.g4a[:n*4*C],
	}
}
