package model

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Weights holds named views into one flat buffer, in buffer order. The model
// keeps two: W over the parameters and G over their gradients. Matrices are
// stored (out, in), as in PyTorch's nn.Linear; per-layer tensors are stacked
// over the L layers.
type Weights struct {
	Wte      []float32 // (V, C) token embedding, also the LM head
	Wpe      []float32 // (T, C) position embedding
	Ln1w     []float32 // (L, C)
	Ln1b     []float32 // (L, C)
	Qkvw     []float32 // (L, 3C, C) queries, keys, values stacked
	Qkvb     []float32 // (L, 3C)
	Attprojw []float32 // (L, C, C)
	Attprojb []float32 // (L, C)
	Ln2w     []float32 // (L, C)
	Ln2b     []float32 // (L, C)
	Fcw      []float32 // (L, 4C, C)
	Fcb      []float32 // (L, 4C)
	Fcprojw  []float32 // (L, C, 4C)
	Fcprojb  []float32 // (L, C)
	Lnfw     []float32 // (C) final layernorm
	Lnfb     []float32 // (C)
	Headw    []float32 // (K, C) scalar heads
	Headb    []float32 // (K)
}

func (w *Weights) groups() [numGroups]*[]float32 {
	return [numGroups]*[]float32{
		&w.Wte, &w.Wpe, &w.Ln1w, &w.Ln1b, &w.Qkvw, &w.Qkvb, &w.Attprojw, &w.Attprojb,
		&w.Ln2w, &w.Ln2b, &w.Fcw, &w.Fcb, &w.Fcprojw, &w.Fcprojb, &w.Lnfw, &w.Lnfb, &w.Headw, &w.Headb,
	}
}

// newWeights slices buf (of length cfg.NumParams()) into named views.
func newWeights(buf []float32, cfg Config) Weights {
	var w Weights
	sizes := cfg.groupSizes()
	off := 0
	for i, p := range w.groups() {
		n := int(sizes[i])
		*p = buf[off : off+n : off+n]
		off += n
	}
	return w
}

// layerWeights are the views of one block's tensors.
type layerWeights struct {
	ln1w, ln1b, qkvw, qkvb, attprojw, attprojb []float32
	ln2w, ln2b, fcw, fcb, fcprojw, fcprojb     []float32
	lora                                       *loraLayer // adapters, or nil
}

// layer returns block l's views; a tensor W leaves nil (a frozen base's
// gradients, a Llama model's W) is nil.
func (w *Weights) layer(l, c int) layerWeights {
	at := func(s []float32, n int) []float32 {
		if s == nil {
			return nil
		}
		return s[l*n : (l+1)*n : (l+1)*n]
	}
	return layerWeights{
		ln1w: at(w.Ln1w, c), ln1b: at(w.Ln1b, c),
		qkvw: at(w.Qkvw, 3*c*c), qkvb: at(w.Qkvb, 3*c),
		attprojw: at(w.Attprojw, c*c), attprojb: at(w.Attprojb, c),
		ln2w: at(w.Ln2w, c), ln2b: at(w.Ln2b, c),
		fcw: at(w.Fcw, 4*c*c), fcb: at(w.Fcb, 4*c),
		fcprojw: at(w.Fcprojw, 4*c*c), fcprojb: at(w.Fcprojb, c),
	}
}

// Tensor is one named parameter tensor, a view into the model's buffers.
type Tensor struct {
	// Name follows Hugging Face's GPT-2 state dict without the "transformer."
	// prefix ("wte.weight", "h.0.attn.c_attn.weight", "ln_f.bias"); the scalar
	// heads are "score.weight" and "score.bias". Note that Hugging Face's Conv1D
	// stores its matrices (in, out): ours are (out, in) and must be transposed.
	Name  string
	Shape []int     // row-major
	Data  []float32 // view into Params()
	Grad  []float32 // view into Grads()
	Decay bool      // weight decay applies (matrices and embeddings)
	// Parts is set on a fused tensor (a Llama layer's qkv_proj): the Hugging
	// Face tensors it concatenates along dimension 0, in order.
	Parts []TensorPart
}

// Tensors lists every parameter tensor, per layer, in a stable order: the
// embeddings, then each block, then the final layernorm and the scalar heads.
// Together they cover the flat buffer exactly once.
//
// A Llama-family model's tensors are named as in Hugging Face's state dict
// ("model.layers.0.mlp.up_proj.weight"), from its ParamSpecs.
func (m *Model) Tensors() []Tensor {
	if m.Config.IsLlama() {
		return m.llamaTensors()
	}
	cfg := m.Config
	C, L := cfg.Channels, cfg.Layers
	var out []Tensor
	add := func(name string, decay bool, data, grad []float32, shape ...int) {
		out = append(out, Tensor{Name: name, Shape: shape, Data: data, Grad: grad, Decay: decay})
	}
	add("wte.weight", true, m.W.Wte, m.G.Wte, cfg.VocabSize, C)
	add("wpe.weight", true, m.W.Wpe, m.G.Wpe, cfg.Context, C)
	for l := 0; l < L; l++ {
		w, g := m.W.layer(l, C), m.G.layer(l, C)
		p := fmt.Sprintf("h.%d.", l)
		add(p+"ln_1.weight", false, w.ln1w, g.ln1w, C)
		add(p+"ln_1.bias", false, w.ln1b, g.ln1b, C)
		add(p+"attn.c_attn.weight", true, w.qkvw, g.qkvw, 3*C, C)
		add(p+"attn.c_attn.bias", false, w.qkvb, g.qkvb, 3*C)
		add(p+"attn.c_proj.weight", true, w.attprojw, g.attprojw, C, C)
		add(p+"attn.c_proj.bias", false, w.attprojb, g.attprojb, C)
		add(p+"ln_2.weight", false, w.ln2w, g.ln2w, C)
		add(p+"ln_2.bias", false, w.ln2b, g.ln2b, C)
		add(p+"mlp.c_fc.weight", true, w.fcw, g.fcw, 4*C, C)
		add(p+"mlp.c_fc.bias", false, w.fcb, g.fcb, 4*C)
		add(p+"mlp.c_proj.weight", true, w.fcprojw, g.fcprojw, C, 4*C)
		add(p+"mlp.c_proj.bias", false, w.fcprojb, g.fcprojb, C)
	}
	add("ln_f.weight", false, m.W.Lnfw, m.G.Lnfw, C)
	add("ln_f.bias", false, m.W.Lnfb, m.G.Lnfb, C)
	if cfg.ScalarHeads > 0 {
		add("score.weight", true, m.W.Headw, m.G.Headw, cfg.ScalarHeads, C)
		add("score.bias", false, m.W.Headb, m.G.Headb, cfg.ScalarHeads)
	}
	return out
}

// initWeights applies GPT-2's initialisation: normal(0, 0.02) matrices and
// embeddings, residual projections scaled by 1/sqrt(2L), zero biases, unit
// layernorm gains. It draws from a PCG stream seeded by seed, in buffer order.
func initWeights(w *Weights, cfg Config, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	normal := func(s []float32, std float64) {
		for i := range s {
			s[i] = float32(rng.NormFloat64() * std)
		}
	}
	ones := func(s []float32) {
		for i := range s {
			s[i] = 1
		}
	}
	resid := 0.02 / math.Sqrt(2*float64(cfg.Layers))
	normal(w.Wte, 0.02)
	normal(w.Wpe, 0.02)
	ones(w.Ln1w)
	normal(w.Qkvw, 0.02)
	normal(w.Attprojw, resid)
	ones(w.Ln2w)
	normal(w.Fcw, 0.02)
	normal(w.Fcprojw, resid)
	ones(w.Lnfw)
	normal(w.Headw, 0.02)
	// Biases and layernorm shifts stay zero from allocation.
}

// CheckFinite returns an error naming the first tensor holding a NaN or an
// infinity, or nil when every parameter is finite.
func (m *Model) CheckFinite() error {
	if i := firstNonFinite(m.params); i >= 0 {
		for _, t := range m.Tensors() {
			if j := firstNonFinite(t.Data); j >= 0 {
				return fmt.Errorf("model: parameter %s[%d] is %v", t.Name, j, t.Data[j])
			}
		}
		return fmt.Errorf("model: parameter %d is %v", i, m.params[i])
	}
	if m.lora != nil && firstNonFinite(m.lora.params) >= 0 {
		for _, t := range m.LoRATensors() {
			if j := firstNonFinite(t.Data); j >= 0 {
				return fmt.Errorf("model: adapter %s[%d] is %v", t.Name, j, t.Data[j])
			}
		}
	}
	return nil
}

// firstNonFinite returns the index of the first NaN or ±Inf in s, or -1.
func firstNonFinite(s []float32) int {
	for i, v := range s {
		if v-v != 0 { // NaN - NaN and Inf - Inf are NaN
			return i
		}
	}
	return -1
}
