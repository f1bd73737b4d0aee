package model

import (
	"fmt"
	"strings"
)

// The Llama family's parameters are described once, as a list of ParamSpec,
// and everything else is derived from that list: the size and layout of the
// flat parameter buffer (and so of the gradients and AdamW's moments, which
// share it), the initial values, AdamW's weight-decay mask, the named views
// the forward and backward passes use, and the names Tensors reports (which
// checkpoints are written under).
//
// GPT-2 keeps its fixed Weights table (params.go): its buffer order and
// initial draws are pinned by existing checkpoints and tests, and that table
// already is such a description in llm.c's form.

// InitKind is how a parameter tensor starts.
type InitKind int

// The initialisations a ParamSpec may ask for.
const (
	InitZeros  InitKind = iota // biases
	InitOnes                   // norm gains
	InitNormal                 // normal(0, Std): matrices and embeddings
)

// ParamSpec describes one parameter tensor of an architecture.
type ParamSpec struct {
	// Name is the Hugging Face state-dict name; per-layer tensors carry the
	// placeholder "{l}" for the layer index.
	Name     string
	Shape    []int    // one layer's shape, row-major, (out, in) for matrices
	PerLayer bool     // one tensor per block, stacked over L in the buffer
	Init     InitKind // initial values
	Std      float64  // standard deviation of InitNormal
	Decay    bool     // AdamW applies weight decay
	// Parts, when set, says that the tensor is the concatenation along
	// dimension 0 of these Hugging Face tensors, in order: align fuses q, k
	// and v into one matrix so one matmul produces a row of the layout the
	// attention kernels read.
	Parts []TensorPart

	view func(*llamaWeights) *[]float32
}

// TensorPart is one Hugging Face tensor inside a fused ParamSpec: the next
// Rows rows of dimension 0.
type TensorPart struct {
	Name string
	Rows int
}

// NameAt returns the spec's name for layer l.
func (p ParamSpec) NameAt(l int) string {
	return strings.ReplaceAll(p.Name, "{l}", fmt.Sprint(l))
}

// size is the number of floats the spec takes in the buffer for L layers.
func (p ParamSpec) size(layers int) int64 {
	n := int64(1)
	for _, d := range p.Shape {
		n *= int64(d)
	}
	if p.PerLayer {
		n *= int64(layers)
	}
	return n
}

// ParamSpecs returns the description of cfg's parameters in buffer order,
// or nil for GPT-2 (see Weights).
func (cfg Config) ParamSpecs() []ParamSpec {
	if !cfg.IsLlama() {
		return nil
	}
	return cfg.llamaParams()
}

// llamaParams describes a Llama, Qwen2 or Qwen3 model. Every matrix and the
// embedding start normal(0, 0.02) and take weight decay, as Hugging Face's
// initializer_range sets them; norm gains start at one and biases at zero,
// neither decayed. The scalar heads follow GPT-2's.
func (cfg Config) llamaParams() []ParamSpec {
	V, C, H, K := cfg.VocabSize, cfg.Channels, cfg.hidden(), cfg.ScalarHeads
	NH, NKV, HD := cfg.Heads, cfg.kvHeads(), cfg.headDim()
	const std = 0.02
	matrix := func(name string, view func(*llamaWeights) *[]float32, shape ...int) ParamSpec {
		return ParamSpec{Name: name, Shape: shape, PerLayer: true, Init: InitNormal, Std: std, Decay: true, view: view}
	}
	norm := func(name string, view func(*llamaWeights) *[]float32, perLayer bool, n int) ParamSpec {
		return ParamSpec{Name: name, Shape: []int{n}, PerLayer: perLayer, Init: InitOnes, view: view}
	}
	attn := "model.layers.{l}.self_attn."
	part := func(suffix string) []TensorPart {
		return []TensorPart{{attn + "q_proj." + suffix, NH * HD}, {attn + "k_proj." + suffix, NKV * HD}, {attn + "v_proj." + suffix, NKV * HD}}
	}
	ps := []ParamSpec{
		{Name: "model.embed_tokens.weight", Shape: []int{V, C}, Init: InitNormal, Std: std, Decay: true,
			view: func(w *llamaWeights) *[]float32 { return &w.embed }},
		norm("model.layers.{l}.input_layernorm.weight", func(w *llamaWeights) *[]float32 { return &w.attnNorm }, true, C),
	}
	qkv := matrix(attn+"qkv_proj.weight", func(w *llamaWeights) *[]float32 { return &w.qkvw }, cfg.qkvWidth(), C)
	qkv.Parts = part("weight")
	ps = append(ps, qkv)
	if cfg.QKVBias {
		ps = append(ps, ParamSpec{Name: attn + "qkv_proj.bias", Shape: []int{cfg.qkvWidth()}, PerLayer: true,
			Init: InitZeros, Parts: part("bias"), view: func(w *llamaWeights) *[]float32 { return &w.qkvb }})
	}
	if cfg.QKNorm {
		ps = append(ps,
			norm(attn+"q_norm.weight", func(w *llamaWeights) *[]float32 { return &w.qNorm }, true, HD),
			norm(attn+"k_norm.weight", func(w *llamaWeights) *[]float32 { return &w.kNorm }, true, HD))
	}
	ps = append(ps,
		matrix(attn+"o_proj.weight", func(w *llamaWeights) *[]float32 { return &w.o }, C, NH*HD),
		norm("model.layers.{l}.post_attention_layernorm.weight", func(w *llamaWeights) *[]float32 { return &w.mlpNorm }, true, C),
		matrix("model.layers.{l}.mlp.gate_proj.weight", func(w *llamaWeights) *[]float32 { return &w.gate }, H, C),
		matrix("model.layers.{l}.mlp.up_proj.weight", func(w *llamaWeights) *[]float32 { return &w.up }, H, C),
		matrix("model.layers.{l}.mlp.down_proj.weight", func(w *llamaWeights) *[]float32 { return &w.down }, C, H),
		norm("model.norm.weight", func(w *llamaWeights) *[]float32 { return &w.norm }, false, C),
	)
	if !cfg.TiedEmbeddings {
		ps = append(ps, ParamSpec{Name: "lm_head.weight", Shape: []int{V, C}, Init: InitNormal, Std: std, Decay: true,
			view: func(w *llamaWeights) *[]float32 { return &w.lmHead }})
	}
	if K > 0 {
		ps = append(ps,
			ParamSpec{Name: "score.weight", Shape: []int{K, C}, Init: InitNormal, Std: std, Decay: true,
				view: func(w *llamaWeights) *[]float32 { return &w.headw }},
			ParamSpec{Name: "score.bias", Shape: []int{K}, Init: InitZeros,
				view: func(w *llamaWeights) *[]float32 { return &w.headb }})
	}
	return ps
}
