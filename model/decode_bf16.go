package model

import "github.com/align-project/align/tensor"

// bf16Weights are bfloat16 copies of the matrices a Llama-family decoder
// reads for every token: the stacked q/k/v, o, gate, up and down
// projections of all layers and the LM head. When every value of those is
// exactly a bfloat16 (a checkpoint shipped in bf16 and not trained since),
// decoding reads the copies: half the bytes per token, which is what sets
// decoding's speed, and the same logits bit for bit (tensor.MatMulNTBF16).
type bf16Weights struct {
	qkvw, o, gate, up, down, head []uint16
}

// decodeBF16 is whether decoders may read bfloat16 copies; see SetDecodeBF16.
var decodeBF16 = true

// SetDecodeBF16 sets whether decoders created from now on (and Generate
// calls) read bfloat16 copies of weights that are exactly bfloat16, and
// returns the previous setting. It is on by default; the results are the
// same either way, so the switch is for measuring the difference.
func SetDecodeBF16(on bool) (prev bool) {
	prev, decodeBF16 = decodeBF16, on
	return prev
}

// layerBF16 is layer l's share of a bf16Weights; its slices are nil when
// decoding reads the float32 weights.
type layerBF16 struct {
	qkvw, o, gate, up, down []uint16
}

func (w *bf16Weights) layer(l, layers int) layerBF16 {
	if w == nil {
		return layerBF16{}
	}
	at := func(s []uint16) []uint16 {
		n := len(s) / layers
		return s[l*n : (l+1)*n : (l+1)*n]
	}
	return layerBF16{qkvw: at(w.qkvw), o: at(w.o), gate: at(w.gate), up: at(w.up), down: at(w.down)}
}

// decodeMatrices are the float32 matrices bf16Weights copies, in the order
// of its fields.
func (m *Model) decodeMatrices() [][]float32 {
	w := &m.lw
	return [][]float32{w.qkvw, w.o, w.gate, w.up, w.down, w.head()}
}

// fields are c's copies in the order of decodeMatrices.
func (c *bf16Weights) fields() []*[]uint16 {
	return []*[]uint16{&c.qkvw, &c.o, &c.gate, &c.up, &c.down, &c.head}
}

// bf16Copy returns the bfloat16 copies decoding m should read, or nil when
// it reads the float32 weights: a GPT-2 model, a CPU without the kernel for
// the model's widths, or a weight that is not exactly a bfloat16. The copies
// are kept on the model and checked against its weights on every call, since
// training, a merge or a checkpoint load may have changed them since.
func (m *Model) bf16Copy() *bf16Weights {
	cfg := m.Config
	if !decodeBF16 || !cfg.IsLlama() || !tensor.FastBF16(1, cfg.Channels) || !tensor.FastBF16(1, cfg.attnWidth()) ||
		!tensor.FastBF16(1, cfg.hidden()) {
		m.bf16 = nil
		return nil
	}
	mats := m.decodeMatrices()
	if c := m.bf16; c != nil && c.matches(mats) {
		return c
	}
	m.bf16 = nil // let a stale copy go before making a new one
	// Random or trained weights fail on their first values, before anything
	// is allocated.
	for _, f := range mats {
		if !tensor.IsBF16(f[:min(len(f), 64)]) {
			return nil
		}
	}
	c := &bf16Weights{}
	for i, dst := range c.fields() {
		f := mats[i]
		*dst = make([]uint16, len(f))
		if !parallelChunks(len(f), func(lo, hi int) bool { return tensor.ToBF16Exact((*dst)[lo:hi], f[lo:hi]) }) {
			return nil
		}
	}
	m.bf16 = c
	return c
}

// matches reports whether c still holds the values of mats.
func (c *bf16Weights) matches(mats [][]float32) bool {
	for i, b := range c.fields() {
		f, b := mats[i], *b
		if len(b) != len(f) || !parallelChunks(len(f), func(lo, hi int) bool { return tensor.SameAsBF16(f[lo:hi], b[lo:hi]) }) {
			return false
		}
	}
	return true
}

// parallelChunks runs ok over [0, n) in one chunk per worker and reports
// whether every chunk did.
func parallelChunks(n int, ok func(lo, hi int) bool) bool {
	w := min(tensor.Threads(), max(1, n>>16))
	res := make([]bool, w)
	tensor.ParallelFor(w, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			res[i] = ok(i*n/w, (i+1)*n/w)
		}
	})
	for _, r := range res {
		if !r {
			return false
		}
	}
	return true
}

// linearForwardBF16 is linearForward reading w16, w as bfloat16, when it has
// one and n rows take the fast kernel: the same result bit for bit.
func linearForwardBF16(out, residual, inp, w []float32, w16 []uint16, bias []float32, n, cin, cout int) {
	if w16 == nil || !tensor.FastBF16(n, cin) {
		linearForward(out, residual, inp, w, bias, n, cin, cout)
		return
	}
	linearInit(out, residual, bias, n, cout)
	tensor.MatMulNTBF16(out, inp, w16, n, cout, cin, residual != nil || bias != nil)
}

// DecodesBF16 reports whether m's last decoder (or Generate call) reads
// bfloat16 copies of its weights.
func (m *Model) DecodesBF16() bool { return m.bf16 != nil }

// ReleaseDecoding drops what Generate keeps between calls: the key/value
// cache and the bfloat16 copies. A trainer that generates and then trains
// gives that memory to training; the next Generate makes them again.
func (m *Model) ReleaseDecoding() {
	m.decoder = nil
	m.bf16 = nil
}
