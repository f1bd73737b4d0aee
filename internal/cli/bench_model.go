package cli

import (
	"github.com/spf13/pflag"

	"github.com/align-project/align/model"
)

// modelFlags are the GPT shape flags shared by 'bench train' and
// 'bench generate'. The defaults are the reference configuration that
// bench/compare.sh also gives PyTorch.
type modelFlags struct {
	layers, dim, heads, ctx, vocab int
}

func (f *modelFlags) register(fs *pflag.FlagSet) {
	fs.IntVar(&f.layers, "layers", 4, "transformer blocks (L)")
	fs.IntVar(&f.dim, "dim", 256, "channels of the residual stream (C)")
	fs.IntVar(&f.heads, "heads", 4, "attention heads per block (NH); must divide --dim")
	fs.IntVar(&f.ctx, "ctx", 128, "context length (T)")
	fs.IntVar(&f.vocab, "vocab", 256, "vocabulary size (V)")
}

// config validates the flags and returns the model configuration.
func (f *modelFlags) config(cmdPath string) (model.Config, error) {
	cfg := model.Config{VocabSize: f.vocab, Context: f.ctx, Layers: f.layers, Heads: f.heads, Channels: f.dim}
	if f.heads > 0 && f.dim > 0 && f.dim%f.heads != 0 {
		return cfg, usageErrorf(cmdPath, "pick --heads among the divisors of --dim, e.g. --heads 4 for --dim 256",
			"--dim %d is not divisible by --heads %d", f.dim, f.heads)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usageErrorf(cmdPath, "", "%v", err)
	}
	return cfg, nil
}

// benchModelConfig is the model shape as it appears in benchmark JSON.
type benchModelConfig struct {
	Layers int `json:"layers"`
	Dim    int `json:"dim"`
	Heads  int `json:"heads"`
	Ctx    int `json:"ctx"`
	Vocab  int `json:"vocab"`
}

func jsonConfig(cfg model.Config) benchModelConfig {
	return benchModelConfig{Layers: cfg.Layers, Dim: cfg.Channels, Heads: cfg.Heads, Ctx: cfg.Context, Vocab: cfg.VocabSize}
}

// trainFLOPsPerToken estimates the floating-point operations of one training
// step (forward and backward) per token of a sequence of length t:
//
//	6·N + 12·L·t·C
//
// N counts the parameters that take part in matrix multiplications: all of
// them except the position table (T·C), which is only looked up; the token
// table counts because the tied LM head multiplies by it. Each such weight
// costs 2 FLOPs per token forward and 4 backward (6 in all). The attention
// term is Q·Kᵀ and A·V, 2·t·C each forward per layer, times 3 for forward
// and backward, over the full t×t score matrix as in the PaLM paper and
// nanoGPT's estimate_mfu; causal kernels execute about half of it. Layernorm,
// GELU, softmax and AdamW are not counted.
func trainFLOPsPerToken(cfg model.Config, t int) float64 {
	n := float64(cfg.NumParams()) - float64(cfg.Context)*float64(cfg.Channels)
	return 6*n + 12*float64(cfg.Layers)*float64(t)*float64(cfg.Channels)
}
