package model

import (
	"errors"
	"fmt"

	"github.com/align-project/align/tensor"
)

// Model is a GPT-2 or Llama-family model with its parameters, gradients and
// the activations of the last Forward. It is not safe for concurrent use.
type Model struct {
	Config Config
	W      Weights // named views into Params()
	G      Weights // named views into Grads()

	// A Llama-family model's views come from its ParamSpecs; W and G then
	// hold only the tensors GPT-2 shares a meaning with (Wte, Lnfw, Headw,
	// Headb), so callers that touch those work for both.
	lw, lg           llamaWeights
	ropeCos, ropeSin []float32 // (Context, HD/2) rotation tables

	params []float32 // every parameter, in Weights order
	grads  []float32 // their gradients, same layout

	acts     activations
	inputs   []int32 // copy of the last Forward's token ids (B,T)
	b, t     int     // shape of the last Forward; 0 before the first
	noLogits bool    // skip the LM head (scalar-only callers)
	decoder  *Decoder
	bf16     *bf16Weights // copies decoding reads, kept between decoders (see bf16Copy)

	lora   *loraState // attached adapters (base frozen), or nil
	frozen bool       // a read-only base view (Base)
}

// New allocates a model for cfg with its architecture's initialisation
// (GPT-2's, or the one its ParamSpecs give) drawn from seed.
// The same config and seed always give bit-identical parameters.
func New(cfg Config, seed uint64) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := cfg.NumParams()
	m := &Model{Config: cfg, params: make([]float32, n), grads: make([]float32, n)}
	if cfg.IsLlama() {
		m.initLlamaModel(seed)
		return m, nil
	}
	m.W = newWeights(m.params, cfg)
	m.G = newWeights(m.grads, cfg)
	initWeights(&m.W, cfg, seed)
	return m, nil
}

// Clone returns an independent copy of m: the same config and parameters,
// no gradients or optimizer state. The trainers keep their frozen
// reference policy as one.
//
// A model with adapters clones with copies of its base and its adapters (a
// LoRAValueModel too: the clone has a base of its own); a base view (Base)
// clones into an ordinary, trainable model.
func (m *Model) Clone() (*Model, error) {
	c, err := New(m.Config, 0)
	if err != nil {
		return nil, fmt.Errorf("model clone: %w", err)
	}
	copy(c.Params(), m.Params())
	copy(c.W.Headw, m.W.Headw) // the trained heads of a LoRA model or its base view
	copy(c.W.Headb, m.W.Headb)
	if m.lora != nil {
		if err := c.attachLoRA(m.lora.cfg); err != nil {
			return nil, fmt.Errorf("model clone: %w", err)
		}
		copy(c.lora.params, m.lora.params)
	}
	return c, nil
}

// Params returns the flat parameter buffer; Tensors and W name its parts.
// With adapters attached it is the frozen base (see TrainableParams); the
// scalar heads then train in TrainableParams, and the head region of Params
// keeps them as they were when the adapters were attached (Tensors, W and
// Merged give the current ones). A LoRAValueModel's Params is the base it
// shares with the model it was made from, without a head region: its
// length is Config.NumParams() − (Channels + 1).
func (m *Model) Params() []float32 { return m.params }

// Grads returns the flat gradient buffer, laid out like Params; nil while
// adapters are attached (the base is frozen) and for a base view.
func (m *Model) Grads() []float32 { return m.grads }

// ZeroGrad clears the gradients of the trainable parameters. Backward
// accumulates, so call it before each step (or after each accumulation of
// micro-batches).
func (m *Model) ZeroGrad() {
	clear(m.TrainableGrads())
	if m.lora != nil {
		// The sink of the frozen norm gains' gradients: never read, kept
		// small in magnitude.
		for _, s := range []*[]float32{&m.G.Ln1w, &m.G.Ln1b, &m.G.Ln2w, &m.G.Ln2b, &m.G.Lnfw, &m.G.Lnfb} {
			clear(*s)
		}
		clear(m.lg.attnNorm)
		clear(m.lg.mlpNorm)
		clear(m.lg.norm)
		clear(m.lg.qNorm)
		clear(m.lg.kNorm)
	}
}

// SetComputeLogits turns the LM head on (the default) or off. A reward model
// that reads only Scalars saves the (B·T)×V×C matmuls with it off; Logits and
// LMLoss are then unavailable.
func (m *Model) SetComputeLogits(on bool) {
	m.noLogits = !on
	if on && len(m.acts.logits) < m.acts.capBT*m.Config.VocabSize {
		m.acts.capBT = 0 // the next Forward reallocates with room for logits
	}
	m.b, m.t = 0, 0
}

// Shape returns the batch size and sequence length of the last Forward.
func (m *Model) Shape() (b, t int) { return m.b, m.t }

// Logits returns the (B,T,V) logits of the last Forward (nil when the LM
// head is turned off).
func (m *Model) Logits() []float32 {
	if m.noLogits {
		return nil
	}
	return m.acts.logits[:m.b*m.t*m.Config.VocabSize]
}

// Scalars returns the (B,T,K) scalar-head outputs of the last Forward.
func (m *Model) Scalars() []float32 { return m.acts.scalars[:m.b*m.t*m.Config.ScalarHeads] }

// DLogits returns the (B,T,V) gradient of the loss with respect to the
// logits. Forward zeroes it; LMLoss writes it; callers with their own loss
// (PPO) may fill it instead. Backward propagates whatever it holds.
func (m *Model) DLogits() []float32 {
	if m.noLogits || m.frozen {
		return nil // a frozen view keeps no gradients
	}
	return m.acts.dlogits[:m.b*m.t*m.Config.VocabSize]
}

// DScalars returns the (B,T,K) gradient of the loss with respect to the
// scalar outputs, zeroed by Forward and filled by the caller.
func (m *Model) DScalars() []float32 {
	if m.frozen {
		return nil // a frozen view keeps no gradients
	}
	return m.acts.dscalars[:m.b*m.t*m.Config.ScalarHeads]
}

// Forward runs the model on inputs, B sequences of T token ids each, row
// major, keeping the activations that Backward needs. It computes the logits
// (unless turned off) and the scalar heads, and zeroes DLogits and DScalars.
func (m *Model) Forward(inputs []int32, b, t int) error {
	cfg := m.Config
	switch {
	case b <= 0 || t <= 0:
		return fmt.Errorf("model forward: batch %d × length %d must be positive", b, t)
	case t > cfg.Context:
		return fmt.Errorf("model forward: length %d exceeds the context of %d", t, cfg.Context)
	case b > len(inputs) || b*t != len(inputs):
		return fmt.Errorf("model forward: %d tokens given for batch %d × length %d", len(inputs), b, t)
	}
	if err := checkTokens(inputs, cfg.VocabSize); err != nil {
		return fmt.Errorf("model forward: %w", err)
	}
	m.reserve(b, t)
	m.b, m.t = b, t
	n, C, V, K := b*t, cfg.Channels, cfg.VocabSize, cfg.ScalarHeads
	copy(m.inputs, inputs)
	a := &m.acts
	if cfg.IsLlama() {
		m.llamaForward()
		return nil
	}

	encoderForward(a.res[:n*C], inputs, m.W.Wte, m.W.Wpe, b, t, C)
	for l := 0; l < cfg.Layers; l++ {
		blockForward(m.gpt2LayerW(l), m.layerActs(l), n, C, l, m)
	}
	final := m.finalRes()
	lnf := a.lnf[:n*C]
	tensor.LayerNormForward(lnf, a.lnfMean[:n], a.lnfRstd[:n], final, m.W.Lnfw, m.W.Lnfb, n, C)
	if !m.noLogits {
		tensor.MatMulNT(a.logits[:n*V], lnf, m.W.Wte, n, V, C, false)
		clear(a.dlogits[:min(n*V, len(a.dlogits))]) // none in a frozen view
	}
	if K > 0 {
		linearForward(a.scalars[:n*K], nil, lnf, m.W.Headw, m.W.Headb, n, C, K)
		clear(a.dscalars[:min(n*K, len(a.dscalars))])
	}
	return nil
}

// Backward propagates DLogits and DScalars through the model of the last
// Forward, accumulating into Grads. An all-zero DLogits or DScalars is
// skipped, so a caller may use either output alone.
func (m *Model) Backward() error {
	if m.frozen {
		return errors.New("model backward: a base view is frozen")
	}
	if m.b == 0 {
		return errors.New("model backward: no forward pass to differentiate")
	}
	if m.Config.IsLlama() {
		m.llamaBackward()
		return nil
	}
	cfg := m.Config
	n, C, V, K := m.b*m.t, cfg.Channels, cfg.VocabSize, cfg.ScalarHeads
	a := &m.acts
	lnf := a.lnf[:n*C]
	dlnf := a.g4b[:n*C]
	clear(dlnf)
	// Without the LM head (SetComputeLogits(false)) dlogits may be shorter
	// than n·V, so it is sliced only when the head ran.
	if !m.noLogits {
		if dl := a.dlogits[:n*V]; !allZero(dl) {
			// logits = lnf·wteᵀ: the LM head shares the token embedding.
			linearBackward(dlnf, m.G.Wte, nil, dl, lnf, m.W.Wte, n, C, V, true)
		}
	}
	if K > 0 {
		if ds := a.dscalars[:n*K]; !allZero(ds) {
			linearBackward(dlnf, m.G.Headw, m.G.Headb, ds, lnf, m.W.Headw, n, C, K, true)
		}
	}
	dres := a.dres[:n*C]
	clear(dres)
	final := m.finalRes()
	tensor.LayerNormBackward(dres, m.G.Lnfw, m.G.Lnfb, dlnf, final, m.W.Lnfw, a.lnfMean[:n], a.lnfRstd[:n], n, C)
	for l := cfg.Layers - 1; l >= 0; l-- {
		m.blockBackward(l)
	}
	if m.G.Wte != nil { // nil: frozen base (LoRA)
		encoderBackward(m.G.Wte, m.G.Wpe, dres, m.inputs[:n], m.b, m.t, C)
	}
	return nil
}

// attend is training's attention: causal within each of the B sequences of
// T tokens, keeping the (B,NH,T,T) weights in att for Backward.
func (m *Model) attend(_ int, out, att, qkv []float32) {
	if m.Config.IsLlama() {
		m.llamaAttend(out, att, qkv)
		return
	}
	tensor.AttentionForward(out, att, qkv, m.b, m.t, m.Config.Channels, m.Config.Heads)
}

// blockBackward turns dres from the gradient of block l's output into the
// gradient of its input, accumulating the block's parameter gradients. The
// GELU output is recomputed rather than stored; scratch g4a and g4b are reused
// for every intermediate gradient.
func (m *Model) blockBackward(l int) {
	B, T, C, NH := m.b, m.t, m.Config.Channels, m.Config.Heads
	n := B * T
	w, g, x := m.gpt2LayerW(l), m.G.layer(l, C), m.layerActs(l)
	a := &m.acts
	dres := a.dres[:n*C]
	ad, du := w.lora, a.loraDu

	gelu := a.g4a[:n*4*C]
	tensor.GeluForward(gelu, x.fch)
	dgelu := a.g4b[:n*4*C]
	linearBackward(dgelu, g.fcprojw, g.fcprojb, dres, gelu, w.fcprojw, n, 4*C, C, false)
	if ad != nil {
		ad.backward(loraFcProj, dgelu, dres, gelu, x.lora, du, n)
	}
	dfch := a.g4a[:n*4*C]
	clear(dfch)
	tensor.GeluBackward(dfch, x.fch, dgelu)
	dln2 := a.g4b[:n*C]
	linearBackward(dln2, g.fcw, g.fcb, dfch, x.ln2, w.fcw, n, C, 4*C, false)
	if ad != nil {
		ad.backward(loraFc, dln2, dfch, x.ln2, x.lora, du, n)
	}
	tensor.LayerNormBackward(dres, g.ln2w, g.ln2b, dln2, x.mid, w.ln2w, x.ln2Mean, x.ln2Rstd, n, C)

	datty := a.g4a[:n*C]
	linearBackward(datty, g.attprojw, g.attprojb, dres, x.atty, w.attprojw, n, C, C, false)
	if ad != nil {
		ad.backward(loraAttnProj, datty, dres, x.atty, x.lora, du, n)
	}
	dqkv := a.g4b[:n*3*C]
	clear(dqkv)
	if need := max(tensor.AttentionScratchSize(B, T, C, NH), T); len(a.attScratch) < need {
		a.attScratch = make([]float32, need)
	}
	tensor.AttentionBackward(dqkv, datty, x.qkv, x.att, a.attScratch, B, T, C, NH)
	dln1 := a.g4a[:n*C]
	linearBackward(dln1, g.qkvw, g.qkvb, dqkv, x.ln1, w.qkvw, n, C, 3*C, false)
	if ad != nil {
		ad.backward(loraAttn, dln1, dqkv, x.ln1, x.lora, du, n)
	}
	tensor.LayerNormBackward(dres, g.ln1w, g.ln1b, dln1, x.in, w.ln1w, x.ln1Mean, x.ln1Rstd, n, C)
}

// checkTokens reports the first id outside [0, v).
func checkTokens(ids []int32, v int) error {
	for i, id := range ids {
		if id < 0 || int(id) >= v {
			return fmt.Errorf("token id %d at index %d is outside the vocabulary [0, %d)", id, i, v)
		}
	}
	return nil
}
