package model

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// llamaWeights are the named views of a Llama-family model's buffer (or of
// its gradients), each set by its ParamSpec. Per-layer tensors are stacked
// over L; tensors the config leaves out (qkv bias, q/k norms, a separate LM
// head, scalar heads) are nil.
type llamaWeights struct {
	embed    []float32 // (V, C) token embedding
	attnNorm []float32 // (L, C) input_layernorm
	qkvw     []float32 // (L, QKV, C): q_proj, k_proj, v_proj stacked
	qkvb     []float32 // (L, QKV) or nil
	qNorm    []float32 // (L, HD) or nil
	kNorm    []float32 // (L, HD) or nil
	o        []float32 // (L, C, NH·HD) o_proj
	mlpNorm  []float32 // (L, C) post_attention_layernorm
	gate     []float32 // (L, H, C)
	up       []float32 // (L, H, C)
	down     []float32 // (L, C, H)
	norm     []float32 // (C) final norm
	lmHead   []float32 // (V, C), nil when tied to embed
	headw    []float32 // (K, C) scalar heads
	headb    []float32 // (K)
}

// newLlamaWeights slices buf (of length cfg.NumParams()) into the views the
// description names, in its order.
func newLlamaWeights(buf []float32, cfg Config) llamaWeights {
	var w llamaWeights
	off := 0
	for _, p := range cfg.llamaParams() {
		n := int(p.size(cfg.Layers))
		*p.view(&w) = buf[off : off+n : off+n]
		off += n
	}
	return w
}

// llamaLayer is one block's slice of every per-layer view.
type llamaLayer struct {
	attnNorm, qkvw, qkvb, qNorm, kNorm, o []float32
	mlpNorm, gate, up, down               []float32
	lora                                  *loraLayer // adapters, or nil
	w16                                   layerBF16  // bfloat16 copies the decoder reads, or none
}

func (w *llamaWeights) layer(l, layers int) llamaLayer {
	at := func(s []float32) []float32 {
		if s == nil {
			return nil
		}
		n := len(s) / layers
		return s[l*n : (l+1)*n : (l+1)*n]
	}
	return llamaLayer{
		attnNorm: at(w.attnNorm), qkvw: at(w.qkvw), qkvb: at(w.qkvb), qNorm: at(w.qNorm), kNorm: at(w.kNorm),
		o: at(w.o), mlpNorm: at(w.mlpNorm), gate: at(w.gate), up: at(w.up), down: at(w.down),
	}
}

// lmHead is the (V, C) output matrix: the embedding when tied.
func (w *llamaWeights) head() []float32 {
	if w.lmHead == nil {
		return w.embed
	}
	return w.lmHead
}

// llamaTensors lists the parameters of a Llama-family model: the
// non-layer tensors in description order around the blocks, each block's
// tensors in description order.
func (m *Model) llamaTensors() []Tensor {
	cfg := m.Config
	L := cfg.Layers
	var out []Tensor
	off := 0
	type placed struct {
		spec ParamSpec
		off  int
	}
	var perLayer []placed
	flushLayers := func() {
		for l := 0; l < L; l++ {
			for _, p := range perLayer {
				n := int(p.spec.size(1))
				lo := p.off + l*n
				var parts []TensorPart
				for _, q := range p.spec.Parts {
					parts = append(parts, TensorPart{Name: strings.ReplaceAll(q.Name, "{l}", fmt.Sprint(l)), Rows: q.Rows})
				}
				out = append(out, Tensor{Name: p.spec.NameAt(l), Shape: slices.Clone(p.spec.Shape), Data: m.params[lo : lo+n : lo+n],
					Grad: gradView(m.grads, lo, n), Decay: p.spec.Decay, Parts: parts})
			}
		}
		perLayer = nil
	}
	for _, p := range cfg.llamaParams() {
		n := int(p.size(L))
		if p.PerLayer {
			perLayer = append(perLayer, placed{p, off})
		} else {
			flushLayers()
			var data, grad []float32
			switch p.Name {
			case "score.weight": // the views: a LoRA model trains its heads elsewhere
				data, grad = m.lw.headw, m.lg.headw
			case "score.bias": // (and a LoRAValueModel's Params has no head region)
				data, grad = m.lw.headb, m.lg.headb
			default:
				data, grad = m.params[off:off+n:off+n], gradView(m.grads, off, n)
			}
			out = append(out, Tensor{Name: p.Name, Shape: slices.Clone(p.Shape), Data: data, Grad: grad, Decay: p.Decay})
		}
		off += n
	}
	flushLayers()
	return out
}

// gradView is grads[lo:lo+n], or nil when the base is frozen (no grads).
func gradView(grads []float32, lo, n int) []float32 {
	if grads == nil {
		return nil
	}
	return grads[lo : lo+n : lo+n]
}

// llamaDecayRanges merges the description's decay flags into runs of the
// flat buffer.
func (cfg Config) llamaDecayRanges() []decayRange {
	var rs []decayRange
	off := 0
	for _, p := range cfg.llamaParams() {
		lo, hi := off, off+int(p.size(cfg.Layers))
		off = hi
		if lo == hi {
			continue
		}
		if k := len(rs) - 1; k >= 0 && rs[k].decay == p.Decay {
			rs[k].hi = hi
			continue
		}
		rs = append(rs, decayRange{lo, hi, p.Decay})
	}
	return rs
}

// initLlama draws the initial parameters in buffer order from a PCG stream
// seeded by seed, as each spec says; zeros are left from allocation.
func initLlama(buf []float32, cfg Config, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	off := 0
	for _, p := range cfg.llamaParams() {
		s := buf[off : off+int(p.size(cfg.Layers))]
		off += len(s)
		switch p.Init {
		case InitOnes:
			for i := range s {
				s[i] = 1
			}
		case InitNormal:
			for i := range s {
				s[i] = float32(rng.NormFloat64() * p.Std)
			}
		}
	}
}
