package model

import (
	"fmt"
	"math"

	"github.com/align-project/align/tensor"
)

// Decoder runs a model incrementally over a batch of sequences with a
// key/value cache, for generation. Every sequence has its own length: Append
// takes any number of new tokens per sequence (none, a whole prompt, or one
// sampled token) and places them at that sequence's next positions, so
// prompts of different lengths need no padding and no attention mask. The
// new tokens of all sequences are processed together, so the matmuls see one
// row per new token.
//
// A Decoder reads the model's parameters on every call; do not update them
// while a Decoder is in use.
type Decoder struct {
	m             *Model
	batch, maxLen int
	tp            int          // maxLen rounded up to 16
	k             []float32    // (L, B, NH, C/NH, tp) cached keys, transposed per head; Llama: (L, B, maxLen, NKV·HD)
	v             []float32    // (L, B, maxLen, C) cached values; Llama: (L, B, maxLen, NKV·HD)
	lens          []int        // tokens cached per sequence
	w16           *bf16Weights // the model's bfloat16 copies, read instead of its matrices; or nil

	qkRaw, qkRstd []float32 // Llama QKNorm scratch: (rows, (NH+NKV)·HD), (rows·(NH+NKV))
	lora          []float32 // LoRA scratch: (adapters, rows, r)

	capRows             int
	x, ln, qkv, atty    []float32 // (rows, C), (rows, C), (rows, 3C), (rows, C); Llama: qkv (rows, QKV), atty (rows, NH·HD)
	fch, gelu           []float32 // (rows, 4C); Llama: gate|up (rows, 2H) and SwiGLU output (rows, H)
	att                 []float32 // (rows, NH, tp) attention weights
	mean, rstd          []float32 // (rows)
	rowSeq, rowPos      []int     // sequence and position of each row
	lastLn, logits      []float32 // (B, C), (B, V) at each sequence's last token
	lastMean, lastRstd  []float32 // (B)
	lastRows, lastSeqOf []int
}

// NewDecoder returns a decoder for batch sequences of at most maxLen tokens
// (at most the model's context).
func (m *Model) NewDecoder(batch, maxLen int) (*Decoder, error) {
	cfg := m.Config
	if batch <= 0 || maxLen <= 0 {
		return nil, fmt.Errorf("model decoder: batch %d and length %d must be positive", batch, maxLen)
	}
	if maxLen > cfg.Context {
		return nil, fmt.Errorf("model decoder: length %d exceeds the context of %d", maxLen, cfg.Context)
	}
	if int64(batch)*int64(maxLen) > 1<<24 {
		return nil, fmt.Errorf("model decoder: batch %d × length %d is too large", batch, maxLen)
	}
	L, C, V := cfg.Layers, cfg.Channels, cfg.VocabSize
	d := &Decoder{m: m, batch: batch, maxLen: maxLen, lens: make([]int, batch)}
	d.tp = (maxLen + 15) &^ 15
	if cfg.IsLlama() {
		// (L, B, maxLen, NKV·HD) rows of rotated keys and of values.
		kvW := cfg.kvHeads() * cfg.headDim()
		d.k = make([]float32, L*batch*maxLen*kvW)
		d.v = make([]float32, L*batch*maxLen*kvW)
	} else {
		d.k = make([]float32, L*batch*d.tp*C)
		d.v = make([]float32, L*batch*maxLen*C)
	}
	d.lastLn = make([]float32, batch*C)
	d.lastMean = make([]float32, batch)
	d.lastRstd = make([]float32, batch)
	d.logits = make([]float32, batch*V)
	d.lastRows = make([]int, 0, batch)
	d.lastSeqOf = make([]int, 0, batch)
	d.w16 = m.bf16Copy()
	return d, nil
}

// Reset empties every sequence, keeping the allocations.
func (d *Decoder) Reset() {
	clear(d.lens)
	clear(d.logits)
}

// Len returns the number of tokens cached for sequence i.
func (d *Decoder) Len(i int) int { return d.lens[i] }

// Append feeds tokens[i] to sequence i at its next positions (tokens[i] may
// be empty) and returns the (B,V) logits: row i predicts the token after the
// last one sequence i has been given so far. Rows of sequences that got no
// new tokens keep their previous values. The slice is reused by later calls.
func (d *Decoder) Append(tokens [][]int32) ([]float32, error) {
	cfg := d.m.Config
	if len(tokens) != d.batch {
		return nil, fmt.Errorf("model decoder: %d sequences given to a batch of %d", len(tokens), d.batch)
	}
	rows := 0
	for i, s := range tokens {
		if d.lens[i]+len(s) > d.maxLen {
			return nil, fmt.Errorf("model decoder: sequence %d would grow to %d tokens, past the limit %d", i, d.lens[i]+len(s), d.maxLen)
		}
		if err := checkTokens(s, cfg.VocabSize); err != nil {
			return nil, fmt.Errorf("model decoder: sequence %d: %w", i, err)
		}
		rows += len(s)
	}
	if rows == 0 {
		return d.logits, nil
	}
	d.reserve(rows)
	C, V := cfg.Channels, cfg.VocabSize
	d.lastRows, d.lastSeqOf = d.lastRows[:0], d.lastSeqOf[:0]
	r := 0
	for i, s := range tokens {
		for j, tok := range s {
			pos := d.lens[i] + j
			d.rowSeq[r], d.rowPos[r] = i, pos
			x := d.x[r*C : (r+1)*C]
			if cfg.IsLlama() {
				copy(x, d.m.lw.embed[int(tok)*C:])
				r++
				continue
			}
			e, p := d.m.W.Wte[int(tok)*C:][:C], d.m.W.Wpe[pos*C:][:C]
			for c := range x {
				x[c] = e[c] + p[c]
			}
			r++
		}
		if len(s) > 0 {
			d.lastRows = append(d.lastRows, r-1)
			d.lastSeqOf = append(d.lastSeqOf, i)
		}
	}
	if cfg.IsLlama() {
		x := d.llamaActs(rows)
		for l := 0; l < cfg.Layers; l++ {
			w := d.m.llamaLayerW(l)
			w.w16 = d.w16.layer(l, cfg.Layers)
			llamaBlockForward(w, x, rows, l, cfg, d)
		}
	} else {
		x := d.blockActs(rows)
		for l := 0; l < cfg.Layers; l++ {
			blockForward(d.m.gpt2LayerW(l), x, rows, C, l, d)
		}
	}
	// Final layernorm and LM head only for each sequence's last new token.
	nl := len(d.lastRows)
	for q, r := range d.lastRows {
		copy(d.ln[q*C:(q+1)*C], d.x[r*C:(r+1)*C])
	}
	ln := d.lastLn[:nl*C]
	head := d.m.W.Wte
	if cfg.IsLlama() {
		tensor.RMSNormForward(ln, d.lastRstd[:nl], d.ln[:nl*C], d.m.lw.norm, nl, C, cfg.normEps())
		head = d.m.lw.head()
	} else {
		tensor.LayerNormForward(ln, d.lastMean[:nl], d.lastRstd[:nl], d.ln[:nl*C], d.m.W.Lnfw, d.m.W.Lnfb, nl, C)
	}
	out := d.gelu[:nl*V] // free scratch now, (nl, V)
	var head16 []uint16
	if d.w16 != nil {
		head16 = d.w16.head
	}
	linearForwardBF16(out, nil, ln, head, head16, nil, nl, C, V)
	for q, i := range d.lastSeqOf {
		copy(d.logits[i*V:(i+1)*V], out[q*V:(q+1)*V])
		d.lens[i] += len(tokens[i])
	}
	return d.logits, nil
}

// blockActs are the decoder's scratch for rows new tokens, shared by every
// layer: the residual stream in d.x is updated in place.
func (d *Decoder) blockActs(rows int) blockActs {
	C, NH := d.m.Config.Channels, d.m.Config.Heads
	x, ln := d.x[:rows*C], d.ln[:rows*C]
	mean, rstd := d.mean[:rows], d.rstd[:rows]
	return blockActs{
		in: x, mid: x, out: x,
		ln1: ln, ln1Mean: mean, ln1Rstd: rstd,
		ln2: ln, ln2Mean: mean, ln2Rstd: rstd,
		qkv:  d.qkv[:rows*3*C],
		att:  d.att[:rows*NH*d.tp],
		atty: d.atty[:rows*C],
		fch:  d.fch[:rows*4*C],
		gelu: d.gelu[:rows*4*C],
		lora: d.lora[:rows*d.m.loraWidth()],
	}
}

// attend is the decoder's attention for layer l: it writes the new rows'
// keys and values into the cache first, so a row sees every earlier token of
// its sequence, including new rows before it; then, for each (row, head),
// two vector-matrix products against the cache: scores against the
// transposed keys and the output against the values. att holds NH·tp scores
// per row.
func (d *Decoder) attend(l int, out, att, qkv []float32) {
	if d.m.Config.IsLlama() {
		d.llamaAttend(l, out, att, qkv)
		return
	}
	C, NH := d.m.Config.Channels, d.m.Config.Heads
	hs, tp := C/NH, d.tp
	rows := len(out) / C
	cacheK, cacheV := d.layerCache(l)
	for r := 0; r < rows; r++ {
		seq, pos := d.rowSeq[r], d.rowPos[r]
		// keys transposed per head: (B, NH, hs, tp); values as they come.
		kt := cacheK[seq*C*tp:][:C*tp]
		for c, v := range qkv[r*3*C+C : r*3*C+2*C] {
			kt[(c/hs)*hs*tp+(c%hs)*tp+pos] = v
		}
		off := (seq*d.maxLen + pos) * C
		copy(cacheV[off:off+C], qkv[r*3*C+2*C:r*3*C+3*C])
	}
	scale := float32(1 / math.Sqrt(float64(hs)))
	tensor.ParallelFor(rows*NH, func(lo, hi int) {
		for item := lo; item < hi; item++ {
			r, h := item/NH, item%NH
			seq, n := d.rowSeq[r], d.rowPos[r]+1
			kt := cacheK[(seq*NH+h)*hs*tp:][:hs*tp]
			score := att[item*tp:][:tp]
			// Whole blocks of 16 scores; those past n are ignored.
			tensor.VecMat(score, qkv[r*3*C+h*hs:][:hs], kt, hs, min((n+15)&^15, tp), tp, false)
			w := score[:n]
			mx := tensor.Max(w)
			sum := tensor.ExpSum(w, w, scale, -scale*mx)
			o := out[r*C+h*hs:][:hs]
			tensor.VecMat(o, w, cacheV[seq*d.maxLen*C+h*hs:], n, hs, C, false)
			tensor.Scale(1/sum, o)
		}
	})
}

func (d *Decoder) layerCache(l int) (k, v []float32) {
	L := d.m.Config.Layers
	nk, nv := len(d.k)/L, len(d.v)/L
	return d.k[l*nk : (l+1)*nk], d.v[l*nv : (l+1)*nv]
}

// reserve sizes the per-row scratch for rows new tokens.
func (d *Decoder) reserve(rows int) {
	cfg := d.m.Config
	C, NH, V := cfg.Channels, cfg.Heads, cfg.VocabSize
	if need := rows * d.m.loraWidth(); len(d.lora) < need {
		d.lora = make([]float32, max(rows, d.capRows)*d.m.loraWidth())
	}
	if rows <= d.capRows && len(d.gelu) >= d.batch*V {
		return
	}
	rows = max(rows, d.capRows)
	// GPT-2's MLP keeps 4C pre-activations and 4C GELU outputs per row;
	// Llama's keeps gate and up (2H) and the SwiGLU output (H).
	mlpW, actW, qkW := 4*C, 4*C, 0
	if cfg.IsLlama() {
		mlpW, actW = 2*cfg.hidden(), cfg.hidden()
		if cfg.QKNorm {
			qkW = cfg.Heads + cfg.kvHeads()
		}
	}
	d.x = make([]float32, rows*C)
	d.ln = make([]float32, rows*C)
	d.qkv = make([]float32, rows*cfg.qkvWidth())
	d.atty = make([]float32, rows*cfg.attnWidth())
	d.fch = make([]float32, rows*mlpW)
	d.gelu = make([]float32, max(rows*actW, d.batch*V))
	d.qkRaw = make([]float32, rows*qkW*cfg.headDim())
	d.qkRstd = make([]float32, rows*qkW)
	d.att = make([]float32, rows*NH*d.tp)
	d.mean = make([]float32, rows)
	d.rstd = make([]float32, rows)
	d.rowSeq = make([]int, rows)
	d.rowPos = make([]int, rows)
	d.capRows = rows
}
