package model

import (
	"errors"
	"fmt"
	"math"

	"github.com/align-project/align/tensor"
)

// AdamWConfig holds the optimizer's hyperparameters.
type AdamWConfig struct {
	Beta1       float32 // first-moment decay, e.g. 0.9
	Beta2       float32 // second-moment decay, e.g. 0.95 or 0.999
	Eps         float32 // added to the root of the second moment, e.g. 1e-8
	WeightDecay float32 // decoupled decay on matrices and embeddings only, e.g. 0.1
	ClipNorm    float64 // clip the global gradient norm to this; 0 = no clipping
}

// DefaultAdamW returns nanoGPT's setting: betas 0.9 and 0.95, eps 1e-8,
// weight decay 0.1, gradients clipped to norm 1.
func DefaultAdamW() AdamWConfig {
	return AdamWConfig{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1, ClipNorm: 1}
}

// Optimizer is AdamW over a model's trainable parameters: the flat
// parameter buffer, or only the adapters (and any scalar heads) when LoRA
// adapters are attached (TrainableParams). Its state, M, V and StepCount, is exported for
// checkpoints: restore all three to resume.
type Optimizer struct {
	Config    AdamWConfig
	M, V      []float32 // first and second moments, laid out like TrainableParams
	StepCount int       // updates applied so far

	model  *Model
	ranges []decayRange
}

// decayRange is a run of the flat buffer sharing one weight-decay flag.
type decayRange struct {
	lo, hi int
	decay  bool
}

// NewOptimizer returns an AdamW optimizer for m with zero moments.
func NewOptimizer(m *Model, cfg AdamWConfig) (*Optimizer, error) {
	if !(cfg.Beta1 >= 0 && cfg.Beta1 < 1 && cfg.Beta2 >= 0 && cfg.Beta2 < 1) {
		return nil, fmt.Errorf("adamw: betas %v, %v must be in [0, 1)", cfg.Beta1, cfg.Beta2)
	}
	if !(cfg.Eps >= 0) || !(cfg.WeightDecay >= 0) || !(cfg.ClipNorm >= 0) {
		return nil, errors.New("adamw: eps, weight decay and clip norm must be ≥ 0")
	}
	if m.frozen {
		return nil, errors.New("adamw: a base view is frozen")
	}
	n := len(m.TrainableParams())
	o := &Optimizer{Config: cfg, M: make([]float32, n), V: make([]float32, n), model: m}
	if m.lora != nil {
		// Adapter matrices and the scalar heads' weights take weight decay,
		// as Hugging Face's Trainer applies it to every parameter but
		// biases and norms; the heads' biases (last) do not.
		nb := m.Config.ScalarHeads
		o.ranges = []decayRange{{0, n - nb, true}}
		if nb > 0 {
			o.ranges = append(o.ranges, decayRange{n - nb, n, false})
		}
		return o, nil
	}
	if m.Config.IsLlama() {
		o.ranges = m.Config.llamaDecayRanges()
		return o, nil
	}
	off := 0
	for g, size := range m.Config.groupSizes() {
		lo, hi := off, off+int(size)
		off = hi
		if lo == hi {
			continue
		}
		if k := len(o.ranges) - 1; k >= 0 && o.ranges[k].decay == groupDecay[g] {
			o.ranges[k].hi = hi
			continue
		}
		o.ranges = append(o.ranges, decayRange{lo, hi, groupDecay[g]})
	}
	return o, nil
}

// Step clips the gradients (if configured) and applies one AdamW update with
// learning rate lr, returning the gradient norm before clipping. A NaN or
// infinite gradient norm is an error and leaves the parameters untouched.
func (o *Optimizer) Step(lr float32) (float64, error) {
	params, grads := o.model.TrainableParams(), o.model.TrainableGrads()
	if len(params) != len(o.M) {
		return 0, fmt.Errorf("adamw: the model has %d trainable parameters, the optimizer was made for %d (adapters attached or merged since?)", len(params), len(o.M))
	}
	norm := tensor.ClipGradNorm(grads, o.Config.ClipNorm)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm, fmt.Errorf("adamw: gradient norm is %v; update skipped", norm)
	}
	o.StepCount++
	c := o.Config
	ranges := o.ranges
	// Split each range into chunks so the update runs on every worker; each
	// element is updated by exactly one chunk, so the result does not
	// depend on the split.
	const chunk = 1 << 15
	total := len(params)
	tensor.ParallelFor((total+chunk-1)/chunk, func(lo, hi int) {
		for _, r := range ranges {
			a, b := max(r.lo, lo*chunk), min(r.hi, hi*chunk)
			if a >= b {
				continue
			}
			wd := float32(0)
			if r.decay {
				wd = c.WeightDecay
			}
			tensor.AdamW(params[a:b], grads[a:b], o.M[a:b], o.V[a:b], o.StepCount, lr, c.Beta1, c.Beta2, c.Eps, wd)
		}
	})
	return norm, nil
}
