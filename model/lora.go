package model

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/align-project/align/tensor"
)

// LoRA: low-rank adapters on chosen projections of a Llama-family model. A
// targeted projection y = W·x (+ b) becomes
//
//	y = W·x (+ b) + s·B·(A·x),  s = alpha/r
//
// with A (r, in) and B (out, r), as PEFT's LoraLayer computes it (without
// dropout, which align does not implement: lora_dropout is always 0). While
// adapters are attached the base parameters are frozen: Backward computes
// only the input gradients through them and the adapters' gradients, the
// optimizer updates only the adapters, and the base gradient buffer is
// released. Base returns a view of the frozen base model (adapters off) that
// shares its weights, so one copy serves as the policy's base and as the
// reference policy.
//
// A model with scalar heads (Config.ScalarHeads: a reward or value model)
// keeps its heads trainable, as PEFT's modules_to_save keeps a sequence
// classifier's "score" module: AddLoRA copies the head weights and biases
// into the trainable buffer after the adapters, and from then on Forward,
// Backward, the optimizer, Tensors and W.Headw/W.Headb use that copy; the
// head region of Params keeps the heads as they were when the adapters were
// attached. Merged and MergeLoRA write the trained heads into the full
// model.

// LoRA targets, by index into loraLayer.ad: a Llama-family model's seven
// projections, or GPT-2's four, each named as PEFT's target_modules name
// them, in the order the adapters are laid out.
const (
	loraQ = iota
	loraK
	loraV
	loraO
	loraGate
	loraUp
	loraDown
	numLoRATargets
)

const (
	loraAttn     = iota // GPT-2 attn.c_attn (q, k and v fused, as in Hugging Face's GPT-2)
	loraAttnProj        // attn.c_proj
	loraFc              // mlp.c_fc
	loraFcProj          // mlp.c_proj
	numGPT2LoRATargets
)

var (
	llamaLoRANames = []string{"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
	gpt2LoRANames  = []string{"c_attn", "attn.c_proj", "c_fc", "mlp.c_proj"}
	// gpt2LoRAAliases are the other names PEFT matches (by suffix) to the
	// same modules: "c_proj" is both projections.
	gpt2LoRAAliases = map[string][]int{
		"attn.c_attn": {loraAttn}, "c_proj": {loraAttnProj, loraFcProj}, "mlp.c_fc": {loraFc},
	}
)

// LoRAAllLinear is PEFT's target_modules shorthand for every linear layer
// but the output head.
const LoRAAllLinear = "all-linear"

// loraNames returns cfg's target names in layout order.
func (cfg Config) loraNames() []string {
	if cfg.IsLlama() {
		return llamaLoRANames
	}
	return gpt2LoRANames
}

// LoRATargets returns the target module names a model of cfg supports, in
// layout order: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj and
// down_proj for the Llama family; c_attn, attn.c_proj, c_fc and mlp.c_proj
// for GPT-2 (which also takes c_proj, both projections, and "all-linear").
func LoRATargets(cfg Config) []string { return slices.Clone(cfg.loraNames()) }

// LoRAConfig describes the adapters: their rank, their scale's numerator
// and the projections they attach to (PEFT's r, lora_alpha and
// target_modules). Dropout is not implemented (PEFT's lora_dropout 0).
type LoRAConfig struct {
	Rank    int      `json:"r"`
	Alpha   float64  `json:"lora_alpha"`
	Targets []string `json:"target_modules"` // PEFT module names (LoRATargets), or "all-linear"
}

// Maximum rank, beyond which a LoRA config is rejected as absurd.
const maxLoRARank = 1 << 12

// Scale is alpha/r, the factor applied to every adapter's output.
func (c LoRAConfig) Scale() float64 { return c.Alpha / float64(c.Rank) }

// Validate reports why c cannot adapt a model of cfg, or nil.
func (c LoRAConfig) Validate(cfg Config) error {
	if c.Rank <= 0 || c.Rank > maxLoRARank {
		return fmt.Errorf("lora: rank %d must be in [1, %d]", c.Rank, maxLoRARank)
	}
	if !(c.Alpha > 0) || math.IsInf(c.Alpha, 0) {
		return fmt.Errorf("lora: alpha %v must be positive and finite", c.Alpha)
	}
	names := strings.Join(cfg.loraNames(), ", ")
	if len(c.Targets) == 0 {
		return fmt.Errorf("lora: no target modules (choose from %s)", names)
	}
	seen := map[string]bool{}
	for _, t := range c.Targets {
		if cfg.loraTargetIDs(t) == nil {
			return fmt.Errorf("lora: unknown target module %q (choose from %s)", t, names)
		}
		if seen[t] {
			return fmt.Errorf("lora: target module %q is named twice", t)
		}
		seen[t] = true
	}
	var n int64
	for _, t := range c.targetIDs(cfg) {
		in, out, _ := cfg.loraDims(t)
		n += int64(c.Rank) * int64(in+out) * int64(cfg.Layers)
	}
	if n += int64(loraHeadParams(cfg)); n > maxParams {
		return fmt.Errorf("lora: %d adapter parameters are too many (rank %d)", n, c.Rank)
	}
	return nil
}

// NumParams returns the number of parameters that train when c is
// attached to a model of cfg (which must validate): the adapters and, when
// cfg has scalar heads, the heads' weights and biases (K·C + K). It is the
// length of TrainableParams.
func (c LoRAConfig) NumParams(cfg Config) int {
	return c.numAdapterParams(cfg) + loraHeadParams(cfg)
}

// numAdapterParams is the number of adapter parameters alone.
func (c LoRAConfig) numAdapterParams(cfg Config) int {
	n := 0
	for _, t := range c.targetIDs(cfg) {
		in, out, _ := cfg.loraDims(t)
		n += c.Rank * (in + out)
	}
	return n * cfg.Layers
}

// loraHeadParams is the number of scalar-head parameters that stay
// trainable under LoRA: weights (K, C) and biases (K).
func loraHeadParams(cfg Config) int { return cfg.ScalarHeads * (cfg.Channels + 1) }

// Canonical returns c with its targets as a model of cfg reports them
// (LoRA): each module once, by its name in LoRATargets, in layout order,
// with aliases and "all-linear" resolved and unknown names dropped.
func (c LoRAConfig) Canonical(cfg Config) LoRAConfig {
	ids := c.targetIDs(cfg)
	c.Targets = make([]string, len(ids))
	for i, t := range ids {
		c.Targets[i] = cfg.loraNames()[t]
	}
	return c
}

// targetIDs returns the targets c names in layout order.
func (c LoRAConfig) targetIDs(cfg Config) []int {
	on := make([]bool, len(cfg.loraNames()))
	for _, name := range c.Targets {
		for _, t := range cfg.loraTargetIDs(name) {
			on[t] = true
		}
	}
	var ids []int
	for t, ok := range on {
		if ok {
			ids = append(ids, t)
		}
	}
	return ids
}

// loraTargetIDs returns the modules name stands for, or nil.
func (cfg Config) loraTargetIDs(name string) []int {
	names := cfg.loraNames()
	if name == LoRAAllLinear {
		ids := make([]int, len(names))
		for i := range ids {
			ids[i] = i
		}
		return ids
	}
	if i := slices.Index(names, name); i >= 0 {
		return []int{i}
	}
	if !cfg.IsLlama() {
		return gpt2LoRAAliases[name]
	}
	return nil
}

// loraDims returns a target's input and output widths and the column where
// its output starts in the buffer the base projection writes (q, k and v
// share the fused qkv rows).
func (cfg Config) loraDims(t int) (in, out, off int) {
	C := cfg.Channels
	if !cfg.IsLlama() {
		switch t {
		case loraAttn:
			return C, 3 * C, 0
		case loraAttnProj:
			return C, C, 0
		case loraFc:
			return C, 4 * C, 0
		case loraFcProj:
			return 4 * C, C, 0
		}
		panic("lora: bad target")
	}
	H, q, kv := cfg.hidden(), cfg.Heads*cfg.headDim(), cfg.kvHeads()*cfg.headDim()
	switch t {
	case loraQ:
		return C, q, 0
	case loraK:
		return C, kv, q
	case loraV:
		return C, kv, q + kv
	case loraO:
		return q, C, 0
	case loraGate, loraUp:
		return C, H, 0
	case loraDown:
		return H, C, 0
	}
	panic("lora: bad target")
}

// loraModule returns the Hugging Face state-dict name of target t's module
// in layer l.
func (cfg Config) loraModule(l, t int) string {
	if !cfg.IsLlama() {
		return fmt.Sprintf("transformer.h.%d.%s", l, [...]string{"attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"}[t])
	}
	mod := "mlp."
	if t <= loraO {
		mod = "self_attn."
	}
	return fmt.Sprintf("model.layers.%d.%s%s", l, mod, llamaLoRANames[t])
}

// loraAdapter is one adapter's views into the adapter buffers.
type loraAdapter struct {
	a, b, ga, gb []float32 // (r, in), (out, r) and their gradients
	in, out, off int       // see loraDims
	ld           int       // row stride of the base projection's output
	slot         int       // index among the layer's adapters, for the activation views
}

// loraLayer is one block's adapters; ad[t] is nil for an untargeted module.
type loraLayer struct {
	r     int
	scale float32
	ad    [numLoRATargets]*loraAdapter
}

// loraState is a model's attached adapters.
type loraState struct {
	cfg LoRAConfig // targets in layout order
	// params and grads hold every adapter, per layer, per target, A then
	// B; then, for a model with scalar heads, the heads' weights (K, C) and
	// biases (K).
	params, grads []float32
	layers        []loraLayer
	shared        bool // the base weights are shared: Base handed out a view, or LoRAValueModel
	maxOut        int  // the widest adapter output
	// headw, headb and their gradients are the trainable scalar heads,
	// views into params and grads; nil without heads.
	headw, headb, gheadw, gheadb []float32
}

// AddLoRA attaches adapters to m, a Llama-family or GPT-2 model: A drawn as
// PEFT draws it (Kaiming-uniform, bound 1/√in) from seed, B zero, so the
// model's outputs are unchanged. From then on the base parameters are
// frozen, their gradient buffer is released, and Backward, ZeroGrad,
// NewOptimizer and TrainableParams work on the adapters only, and on the
// scalar heads of a model that has them (see TrainableParams).
func (m *Model) AddLoRA(c LoRAConfig, seed uint64) error {
	if err := m.attachLoRA(c); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 0x4c6f5241)) // "LoRA"
	for _, ll := range m.lora.layers {
		for _, ad := range ll.ad {
			if ad == nil {
				continue
			}
			bound := 1 / math.Sqrt(float64(ad.in))
			for i := range ad.a {
				ad.a[i] = float32((2*rng.Float64() - 1) * bound)
			}
		}
	}
	return nil
}

// attachLoRA attaches zero adapters.
func (m *Model) attachLoRA(c LoRAConfig) error {
	switch {
	case m.frozen:
		return errors.New("lora: cannot attach adapters to a frozen base view")
	case m.lora != nil:
		return errors.New("lora: the model already has adapters")
	}
	if err := c.Validate(m.Config); err != nil {
		return err
	}
	cfg := m.Config
	c = c.Canonical(cfg)
	ids := c.targetIDs(cfg)
	n := c.NumParams(cfg)
	s := &loraState{cfg: c, params: make([]float32, n), grads: make([]float32, n), layers: make([]loraLayer, cfg.Layers)}
	off := 0
	take := func(buf []float32, k int) []float32 { return buf[off : off+k : off+k] }
	r := c.Rank
	for l := range s.layers {
		ll := &s.layers[l]
		ll.r, ll.scale = r, float32(c.Scale())
		for slot, t := range ids {
			in, out, col := cfg.loraDims(t)
			ld := out
			if cfg.IsLlama() && (t == loraQ || t == loraK || t == loraV) {
				ld = cfg.qkvWidth()
			}
			ad := &loraAdapter{in: in, out: out, off: col, ld: ld, slot: slot}
			s.maxOut = max(s.maxOut, out)
			ad.a, ad.ga = take(s.params, r*in), take(s.grads, r*in)
			off += r * in
			ad.b, ad.gb = take(s.params, out*r), take(s.grads, out*r)
			off += out * r
			ll.ad[t] = ad
		}
	}
	if K := cfg.ScalarHeads; K > 0 {
		C := cfg.Channels
		s.headw, s.gheadw = take(s.params, K*C), take(s.grads, K*C)
		off += K * C
		s.headb, s.gheadb = take(s.params, K), take(s.grads, K)
		off += K
		copy(s.headw, m.W.Headw)
		copy(s.headb, m.W.Headb)
	}
	m.lora = s
	m.freezeBase()
	m.setHeadViews(s.headw, s.headb, s.gheadw, s.gheadb)
	return nil
}

// setHeadViews points the scalar heads' views (W and G, and a Llama
// model's lw and lg) at w, b and their gradients gw, gb. A no-op without
// heads.
func (m *Model) setHeadViews(w, b, gw, gb []float32) {
	if m.Config.ScalarHeads == 0 {
		return
	}
	m.W.Headw, m.W.Headb, m.G.Headw, m.G.Headb = w, b, gw, gb
	if m.Config.IsLlama() {
		m.lw.headw, m.lw.headb, m.lg.headw, m.lg.headb = w, b, gw, gb
	}
}

// freezeBase drops the base gradients: the norm gains' gradients (which the
// kernels compute along with the input gradients) go to a small sink that
// nothing reads; the matrices', the biases' and the embedding's are skipped.
func (m *Model) freezeBase() {
	cfg := m.Config
	L, C, HD := cfg.Layers, cfg.Channels, cfg.headDim()
	if !cfg.IsLlama() {
		// Layernorm gains and shifts, per layer and final.
		buf := make([]float32, 4*L*C+2*C)
		off := 0
		take := func(k int) []float32 { s := buf[off : off+k : off+k]; off += k; return s }
		m.G = Weights{Ln1w: take(L * C), Ln1b: take(L * C), Ln2w: take(L * C), Ln2b: take(L * C), Lnfw: take(C), Lnfb: take(C)}
		m.grads = nil
		m.resetActs()
		return
	}
	var sink llamaWeights
	n := 2*L*C + C
	if cfg.QKNorm {
		n += 2 * L * HD
	}
	buf := make([]float32, n)
	off := 0
	take := func(k int) []float32 { s := buf[off : off+k : off+k]; off += k; return s }
	sink.attnNorm, sink.mlpNorm, sink.norm = take(L*C), take(L*C), take(C)
	if cfg.QKNorm {
		sink.qNorm, sink.kNorm = take(L*HD), take(L*HD)
	}
	m.grads = nil
	m.lg = sink
	m.G = Weights{}
	m.resetActs()
}

// resetActs drops the activations and the cached decoder, so the next
// Forward allocates them for the current set of adapters.
func (m *Model) resetActs() {
	m.acts = activations{}
	m.inputs = nil
	m.b, m.t = 0, 0
	m.decoder = nil
}

// LoRA returns the attached adapters' config, targets in layout order, and
// whether there are any.
func (m *Model) LoRA() (LoRAConfig, bool) {
	if m.lora == nil {
		return LoRAConfig{}, false
	}
	c := m.lora.cfg
	c.Targets = slices.Clone(c.Targets)
	return c, true
}

// LoRATensors lists the adapters, per layer and target, A before B, named
// as PEFT's saved state dict names them after its "base_model.model."
// prefix: the Hugging Face module name, then lora_A or lora_B
// ("model.layers.0.self_attn.q_proj.lora_A.weight",
// "transformer.h.0.attn.c_attn.lora_B.weight"); then, for a model with
// scalar heads, "score.weight" (K, C) and "score.bias" (K), the module PEFT
// saves whole (modules_to_save). Data and Grad are views into
// TrainableParams and TrainableGrads, which the list covers exactly once,
// in order. Nil without adapters.
func (m *Model) LoRATensors() []Tensor {
	if m.lora == nil {
		return nil
	}
	out := LoRATensorShapes(m.Config, m.lora.cfg)
	i := 0
	for _, ll := range m.lora.layers {
		for _, ad := range ll.ad {
			if ad == nil {
				continue
			}
			out[i].Data, out[i].Grad = ad.a, ad.ga
			out[i+1].Data, out[i+1].Grad = ad.b, ad.gb
			i += 2
		}
	}
	if s := m.lora; s.headw != nil {
		out[i].Data, out[i].Grad = s.headw, s.gheadw
		out[i+1].Data, out[i+1].Grad = s.headb, s.gheadb
	}
	return out
}

// LoRATensorShapes lists the tensors LoRATensors would give a model of cfg
// with adapters c (which must validate), with names and shapes only.
func LoRATensorShapes(cfg Config, c LoRAConfig) []Tensor {
	var out []Tensor
	for l := 0; l < cfg.Layers; l++ {
		for _, t := range c.targetIDs(cfg) {
			in, o, _ := cfg.loraDims(t)
			p := cfg.loraModule(l, t) + "."
			out = append(out,
				Tensor{Name: p + "lora_A.weight", Shape: []int{c.Rank, in}, Decay: true},
				Tensor{Name: p + "lora_B.weight", Shape: []int{o, c.Rank}, Decay: true})
		}
	}
	if K := cfg.ScalarHeads; K > 0 {
		out = append(out,
			Tensor{Name: "score.weight", Shape: []int{K, cfg.Channels}, Decay: true},
			Tensor{Name: "score.bias", Shape: []int{K}})
	}
	return out
}

// TrainableParams returns the parameters training updates: with adapters
// attached, one flat buffer laid out as LoRATensors lists it (every
// adapter, per layer and target, A then B; then a model's scalar heads,
// weights (K, C) then biases (K), which stay trainable as PEFT's
// modules_to_save keeps them); else Params.
func (m *Model) TrainableParams() []float32 {
	if m.lora != nil {
		return m.lora.params
	}
	return m.params
}

// TrainableGrads returns the gradients of TrainableParams, laid out alike.
func (m *Model) TrainableGrads() []float32 {
	if m.lora != nil {
		return m.lora.grads
	}
	return m.grads
}

// Base returns a view of m's base model with the adapters off: it shares
// m's base parameters (no copy) and has its own activations, so it serves as
// the frozen reference policy of a LoRA run while m trains its adapters. The
// view is read-only: Backward, AddLoRA and NewOptimizer refuse it.
//
// A model with scalar heads shares its heads with the view too, and they
// train with the adapters: the view of a value model reads the current
// value head on the base transformer.
//
// The base weights stay fixed for as long as m has adapters (only the
// adapters train); MergeLoRA copies them before folding the adapters in
// once a view exists. Without adapters, the view shares weights that
// training m would change.
func (m *Model) Base() *Model {
	v := &Model{
		Config: m.Config, W: m.W, lw: m.lw, ropeCos: m.ropeCos, ropeSin: m.ropeSin,
		params: m.params, noLogits: m.noLogits, frozen: true,
	}
	if m.lora != nil {
		m.lora.shared = true
	}
	return v
}

// Frozen reports whether m is a read-only base view (see Base).
func (m *Model) Frozen() bool { return m.frozen }

// Merged returns a new model without adapters whose weights are m's base
// with every adapter folded in, W + s·B·A, and m's current scalar heads:
// the full model to export. m is unchanged. Without adapters it is Clone.
func (m *Model) Merged() (*Model, error) {
	c, err := New(m.Config, 0)
	if err != nil {
		return nil, fmt.Errorf("lora merge: %w", err)
	}
	copy(c.params, m.params)
	copy(c.W.Headw, m.W.Headw) // the trained heads (see AddLoRA)
	copy(c.W.Headb, m.W.Headb)
	if m.lora != nil {
		m.lora.foldInto(c, m.Config)
	}
	return c, nil
}

// MergeLoRA folds the adapters into m's base weights, W += s·B·A, and
// removes them: m becomes a full model again, with a gradient buffer, its
// trained scalar heads (if any) back in Params. If a Base view was taken,
// or m shares its base with a LoRAValueModel (either side of it), the base
// weights are copied first, so the view or the other model keeps the
// unmerged base (a view, the heads as they are at the merge).
func (m *Model) MergeLoRA() error {
	if m.lora == nil {
		return errors.New("lora merge: the model has no adapters")
	}
	cfg := m.Config
	if m.lora.shared {
		// A copy of the full length: a value model that shares another
		// model's base (LoRAValueModel) holds no head region of its own.
		p := make([]float32, cfg.NumParams())
		copy(p, m.params)
		m.params = p
	}
	m.grads = make([]float32, len(m.params))
	m.setViews()
	copy(m.W.Headw, m.lora.headw)
	copy(m.W.Headb, m.lora.headb)
	m.lora.foldInto(m, cfg)
	m.lora = nil
	m.resetActs()
	return nil
}

// setViews points W, G (and a Llama model's lw and lg) at params and grads.
func (m *Model) setViews() {
	cfg := m.Config
	if !cfg.IsLlama() {
		m.W, m.G = newWeights(m.params, cfg), newWeights(m.grads, cfg)
		return
	}
	m.lw, m.lg = newLlamaWeights(m.params, cfg), newLlamaWeights(m.grads, cfg)
	m.W = Weights{Wte: m.lw.embed, Lnfw: m.lw.norm, Headw: m.lw.headw, Headb: m.lw.headb}
	m.G = Weights{Wte: m.lg.embed, Lnfw: m.lg.norm, Headw: m.lg.headw, Headb: m.lg.headb}
}

// foldInto adds s·B·A to the base matrices of m (not s's model, or a
// model whose weights are not shared).
func (s *loraState) foldInto(m *Model, cfg Config) {
	for l, ll := range s.layers {
		base := m.lw.layer(l, cfg.Layers)
		gpt := m.W.layer(l, cfg.Channels)
		for t, ad := range ll.ad {
			if ad == nil {
				continue
			}
			var W []float32
			switch {
			case !cfg.IsLlama():
				W = [...][]float32{gpt.qkvw, gpt.attprojw, gpt.fcw, gpt.fcprojw}[t]
			case t == loraQ || t == loraK || t == loraV:
				W = base.qkvw[ad.off*ad.in : (ad.off+ad.out)*ad.in]
			default:
				W = [...][]float32{loraO: base.o, loraGate: base.gate, loraUp: base.up, loraDown: base.down}[t]
			}
			sb := slices.Clone(ad.b)
			tensor.Scale(ll.scale, sb)
			tensor.MatMulNN(W, sb, ad.a, ad.out, ad.in, ll.r, true)
		}
	}
}

// forward adds s·B·(A·x) to a projection's output. out is the base
// projection's whole (n, ld) output; inp is its (n, in) input; us keeps
// s·A·xᵀ, (r, n), for Backward. The rank is the short side of every adapter
// product, so each is laid out to make it the row count (the matmul tiles
// are wide in columns, narrow in rows).
func (ll *loraLayer) forward(t int, out, inp, us []float32, n int) {
	ad := ll.ad[t]
	if ad == nil {
		return
	}
	r := ll.r
	us = us[ad.slot*n*r : (ad.slot+1)*n*r]
	tensor.Gemm(false, true, r, n, ad.in, ad.a, ad.in, inp, ad.in, us, n, false)
	tensor.Scale(ll.scale, us)
	tensor.Gemm(true, true, n, ad.out, r, us, n, ad.b, r, out[ad.off:], ad.ld, true)
}

// backward accumulates the adapter's gradients given dout, the gradient of
// the projection's whole (n, ld) output, and adds its input gradient to
// dinp (n, in). scratch holds r·(n + out) floats.
func (ll *loraLayer) backward(t int, dinp, dout, inp, us, scratch []float32, n int) {
	ad := ll.ad[t]
	if ad == nil {
		return
	}
	r := ll.r
	us = us[ad.slot*n*r : (ad.slot+1)*n*r]
	du, dbt := scratch[:r*n], scratch[r*n:r*(n+ad.out)]
	d := dout[ad.off:]
	// With u = A·xᵀ (r, n) and us = s·u: dBᵀ = us·dout, du = s·Bᵀ·doutᵀ,
	// dA += du·x, dx += duᵀ·A.
	tensor.Gemm(false, false, r, ad.out, n, us, n, d, ad.ld, dbt, ad.out, false)
	for k := 0; k < r; k++ {
		row := dbt[k*ad.out : (k+1)*ad.out]
		for o, v := range row {
			ad.gb[o*r+k] += v
		}
	}
	tensor.Gemm(true, true, r, n, ad.out, ad.b, r, d, ad.ld, du, n, false)
	tensor.Scale(ll.scale, du)
	tensor.MatMulNN(ad.ga, du, inp, r, ad.in, n, true)
	tensor.Gemm(true, false, n, ad.in, r, du, n, ad.a, ad.in, dinp, ad.in, true)
}

// loraScratch is the size of backward's scratch for n rows.
func (m *Model) loraScratch(n int) int {
	if m.lora == nil {
		return 0
	}
	return m.lora.cfg.Rank * (n + m.lora.maxOut)
}

// loraWidth is the number of adapter activations per row and layer:
// the targets times the rank (0 without adapters).
func (m *Model) loraWidth() int {
	if m.lora == nil {
		return 0
	}
	return len(m.lora.cfg.Targets) * m.lora.cfg.Rank
}

// gpt2LayerW is GPT-2 block l's weights with its adapters, if any.
func (m *Model) gpt2LayerW(l int) layerWeights {
	w := m.W.layer(l, m.Config.Channels)
	if m.lora != nil {
		w.lora = &m.lora.layers[l]
	}
	return w
}

// llamaLayerW is block l's weights with its adapters, if any.
func (m *Model) llamaLayerW(l int) llamaLayer {
	w := m.lw.layer(l, m.Config.Layers)
	if m.lora != nil {
		w.lora = &m.lora.layers[l]
	}
	return w
}
