package model

import (
	"fmt"
)

// LoRAValueModel returns the value model of a LoRA run on m's base weights:
// a trainable model of m's shape with one scalar head (Config.ScalarHeads
// 1) whose base is m's base, shared and never written, not copied. It gets
// fresh adapters c (A drawn from seed as AddLoRA draws it, B zero) and one
// trainable scalar head that starts as m's scalar head number head when m
// has scalar heads (a reward model), else zero (a policy), so its first
// values are those of ppo.NewValueModel(m, head) with AddLoRA(c, seed)
// attached, bit for bit, for the memory of the adapters and the head
// alone. Its LM head is off (SetComputeLogits turns it back on).
//
// m may be a full model, a model with adapters or a frozen base view
// (Base). The value model shares the base only: m's adapters are not part
// of it (ppo calls this on the policy right after its fresh, zero-B
// adapters are attached, or on a reward model's base view). As with Base,
// m's base stays fixed for as long as m has adapters: MergeLoRA on m (or on
// the value model) copies the base before folding adapters in. Training m
// without adapters would change the weights the value model reads.
//
// Everything works on the value model as on any model with adapters:
// Forward, Backward (gradients of the adapters and the head only),
// NewOptimizer, TrainableParams, LoRATensors, Tensors (the head is the
// trained one), Merged (a standalone full value model, what
// checkpoint.SaveHF writes), Clone (an independent copy with its own base),
// MergeLoRA and Base. Its Params is the shared base without a head region:
// Config.NumParams() − (Channels + 1) floats, the same backing array as m's
// Params; the head lives in TrainableParams only.
func (m *Model) LoRAValueModel(c LoRAConfig, seed uint64, head int) (*Model, error) {
	src := m.Config
	if k := src.ScalarHeads; k > 0 && (head < 0 || head >= k) {
		return nil, fmt.Errorf("lora value model: head %d of a model with %d scalar heads", head, k)
	}
	cfg, base := src, src
	cfg.ScalarHeads, base.ScalarHeads = 1, 0
	// The scalar heads close the parameter buffer in both layouts, so the
	// base is a prefix of m's.
	n := base.NumParams()
	if len(m.params) < n {
		return nil, fmt.Errorf("lora value model: the model holds %d parameters, its base needs %d", len(m.params), n)
	}
	v := &Model{Config: cfg, params: m.params[:n:n], ropeCos: m.ropeCos, ropeSin: m.ropeSin, noLogits: true}
	if cfg.IsLlama() {
		v.lw = newLlamaWeights(v.params, base)
		v.W = Weights{Wte: v.lw.embed, Lnfw: v.lw.norm}
	} else {
		v.W = newWeights(v.params, base)
	}
	if err := v.AddLoRA(c, seed); err != nil {
		return nil, err
	}
	v.lora.shared = true // MergeLoRA copies the base first
	if src.ScalarHeads > 0 {
		C := src.Channels
		copy(v.lora.headw, m.W.Headw[head*C:(head+1)*C])
		v.lora.headb[0] = m.W.Headb[head]
	}
	if m.lora != nil {
		m.lora.shared = true // m's MergeLoRA must not write the shared base
	}
	return v, nil
}
