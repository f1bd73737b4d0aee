package ppo

import (
	"fmt"

	"github.com/align-project/align/model"
)

// NewValueModel returns a value model: a separate copy of src's transformer
// with one scalar head. With a reward model as
// src (the N implementation details initialise the value from the reward
// model), head picks which of its scalar heads the value head starts from;
// a src without scalar heads (the policy) gives a zero head, so the first
// values are 0.
func NewValueModel(src *model.Model, head int) (*model.Model, error) {
	cfg := src.Config
	k := cfg.ScalarHeads
	if k > 0 && (head < 0 || head >= k) {
		return nil, fmt.Errorf("ppo value model: head %d of a model with %d scalar heads", head, k)
	}
	cfg.ScalarHeads = 1
	v, err := model.New(cfg, 0)
	if err != nil {
		return nil, fmt.Errorf("ppo value model: %w", err)
	}
	srcT, dstT := src.Tensors(), v.Tensors()
	byName := make(map[string]model.Tensor, len(srcT))
	for _, t := range srcT {
		byName[t.Name] = t
	}
	C := cfg.Channels
	for _, t := range dstT {
		s := byName[t.Name]
		switch t.Name {
		case "score.weight":
			if k > 0 {
				copy(t.Data, s.Data[head*C:(head+1)*C])
			} else {
				clear(t.Data)
			}
		case "score.bias":
			if k > 0 {
				t.Data[0] = s.Data[head]
			} else {
				clear(t.Data)
			}
		default:
			copy(t.Data, s.Data)
		}
	}
	// The value model reads only its scalar head: skip the (B·T)×V LM head.
	v.SetComputeLogits(false)
	return v, nil
}

// NewLoRAValueModel is NewValueModel for a LoRA run: the value model shares
// src's base weights (no copy; src may be the policy with its adapters,
// which the value model leaves out, or a reward model's frozen base view)
// and trains adapters c, drawn from seed, and its one scalar head, which
// starts as NewValueModel's does. Its first values are NewValueModel's
// with AddLoRA(c, seed) attached, bit for bit (model.LoRAValueModel).
func NewLoRAValueModel(src *model.Model, head int, c model.LoRAConfig, seed uint64) (*model.Model, error) {
	v, err := src.LoRAValueModel(c, seed, head)
	if err != nil {
		return nil, fmt.Errorf("ppo value model: %w", err)
	}
	return v, nil
}

// valueLoRASeed draws the value model's adapters of a LoRA run.
func valueLoRASeed(cfg Config) uint64 { return cfg.Seed + 1 }
