// Package model is the language model that align trains at every stage:
// pretraining, supervised fine-tuning, the reward model and PPO's policy and
// value. Config.Arch picks GPT-2 (learned positions, LayerNorm, GELU, the
// default) or the Llama family (RMSNorm, rotary positions with optional
// Llama 3 scaling, SwiGLU, grouped-query attention, optional q/k/v biases as
// in Qwen2 and q/k RMSNorm as in Qwen3, tied or separate LM head). A Llama
// model's parameters are described once by Config.ParamSpecs, from which its
// buffer layout, initialisation, weight-decay mask and tensor names follow.
//
// A Model keeps all parameters in one contiguous float32 buffer with named
// views (Weights, and Tensors for checkpoints), its gradients in a second
// buffer of the same layout, and the activations of the last Forward in a
// third, sized for the largest batch seen. Each layer is a forward/backward
// pair written with the kernels of package tensor, in the manner of llm.c.
//
// Training is explicit:
//
//	m.Forward(inputs, B, T)          // logits (B,T,V) and scalar heads (B,T,K)
//	loss, _ := m.LMLoss(targets, mask) // or fill DLogits / DScalars yourself
//	m.ZeroGrad()
//	m.Backward()
//	opt.Step(lr)                     // AdamW with clipping, decay on matrices only
//
// Optional scalar heads (Config.ScalarHeads) read the final hidden state: a
// value head for PPO, or a reward model's overall and per-aspect scores.
//
// Generation uses a Decoder with a key/value cache, which runs the same
// transformer block as Forward with its own attention over the cache;
// Generate samples with temperature, top-k, top-p and stop tokens from a
// caller-owned PCG rng, and LogProbs recomputes per-token log-probabilities
// and entropies of given continuations by teacher forcing, as PPO needs for
// its policy and reference. For a loss in those log-probs and entropies (PPO's
// clipped surrogate, DPO, GRPO), LogProbGrads writes the matching DLogits
// from the loss's derivatives per token, ready for Backward.
//
// LoRA (lora.go): AddLoRA attaches rank-r adapters to chosen projections,
// named as PEFT names them. The base is then frozen: Backward computes no
// base weight gradients, ZeroGrad, NewOptimizer and TrainableParams cover
// the adapters only, and Base returns a read-only view with the adapters
// off that shares the base weights, so one copy serves policy and
// reference. A reward or value model's scalar heads stay trainable beside
// the adapters (PEFT's modules_to_save). Merged and MergeLoRA fold the
// adapters into full weights.
//
// Dimension names: B batch, T time, C channels, V vocabulary, L layers,
// NH heads, K scalar heads; for Llama also NKV key/value heads, HD head
// width, H MLP width. Results are bit-identical for the same seed and
// thread count.
package model
