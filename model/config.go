package model

import (
	"fmt"
	"math"

	"github.com/align-project/align/tensor"
)

// Config is the shape of a model. The dimension names used in comments
// throughout the package are given beside each field.
//
// The fields after ScalarHeads describe the Llama family and are all zero
// for GPT-2, so a GPT-2 config (and its JSON, which omits them) reads as it
// always did. Qwen2 is Llama with QKVBias, Qwen3 is Llama with QKNorm and
// usually a HeadDim other than C/NH.
type Config struct {
	VocabSize   int `json:"vocab_size"`   // V: number of token ids
	Context     int `json:"context"`      // T (max): rows of the position table, longest sequence
	Layers      int `json:"layers"`       // L: transformer blocks
	Heads       int `json:"heads"`        // NH: attention heads per block; must divide Channels unless HeadDim is set
	Channels    int `json:"channels"`     // C: width of the residual stream
	ScalarHeads int `json:"scalar_heads"` // K: scalar outputs read from the final hidden state (0 = none)

	Arch           string              `json:"arch,omitempty"`            // "" or "gpt2", or "llama"
	KVHeads        int                 `json:"kv_heads,omitempty"`        // NKV: key/value heads (GQA); 0 = Heads
	HeadDim        int                 `json:"head_dim,omitempty"`        // HD: channels per head; 0 = C/NH
	Hidden         int                 `json:"hidden,omitempty"`          // H: MLP width; 0 = 4C (GPT-2 only)
	RopeTheta      float64             `json:"rope_theta,omitempty"`      // RoPE base θ; 0 = 10000
	RopeScaling    *tensor.RoPEScaling `json:"rope_scaling,omitempty"`    // Llama 3 frequency scaling, or nil
	NormEps        float64             `json:"norm_eps,omitempty"`        // RMSNorm epsilon; 0 = 1e-6
	QKVBias        bool                `json:"qkv_bias,omitempty"`        // q, k and v projections have biases (Qwen2)
	QKNorm         bool                `json:"qk_norm,omitempty"`         // RMSNorm each q and k head before RoPE (Qwen3)
	TiedEmbeddings bool                `json:"tied_embeddings,omitempty"` // the LM head is the token embedding
}

// Architectures a Config may name.
const (
	ArchGPT2  = "gpt2"
	ArchLlama = "llama"
)

// IsLlama reports whether cfg describes a Llama-family model.
func (cfg Config) IsLlama() bool { return cfg.Arch == ArchLlama }

// kvHeads, headDim, hidden, ropeTheta and normEps resolve the defaults of the
// Llama fields.
func (cfg Config) kvHeads() int {
	if cfg.KVHeads == 0 {
		return cfg.Heads
	}
	return cfg.KVHeads
}

func (cfg Config) headDim() int {
	if cfg.HeadDim == 0 {
		return cfg.Channels / cfg.Heads
	}
	return cfg.HeadDim
}

func (cfg Config) hidden() int {
	if cfg.Hidden == 0 {
		return 4 * cfg.Channels
	}
	return cfg.Hidden
}

func (cfg Config) ropeTheta() float64 {
	if cfg.RopeTheta == 0 {
		return 10000
	}
	return cfg.RopeTheta
}

func (cfg Config) normEps() float32 {
	if cfg.NormEps == 0 {
		return 1e-6
	}
	return float32(cfg.NormEps)
}

// qkvWidth is the width of a row of fused queries, keys and values: NH query
// heads, then NKV key heads, then NKV value heads (3C for GPT-2).
func (cfg Config) qkvWidth() int {
	if !cfg.IsLlama() {
		return 3 * cfg.Channels
	}
	return (cfg.Heads + 2*cfg.kvHeads()) * cfg.headDim()
}

// attnWidth is the width of the attention output, NH·HD (C for GPT-2).
func (cfg Config) attnWidth() int {
	if !cfg.IsLlama() {
		return cfg.Channels
	}
	return cfg.Heads * cfg.headDim()
}

// Limits beyond which a Config is rejected as absurd rather than attempted.
const (
	maxVocab    = 1 << 21
	maxContext  = 1 << 16
	maxLayers   = 1 << 10
	maxChannels = 1 << 15
	maxScalars  = 1 << 10
	maxParams   = 1 << 31 // 8 GiB of float32 weights
)

// Validate reports why cfg cannot describe a model, or nil.
func (cfg Config) Validate() error {
	check := func(name string, v, max int) error {
		if v <= 0 {
			return fmt.Errorf("model config: %s must be positive, got %d", name, v)
		}
		if v > max {
			return fmt.Errorf("model config: %s %d exceeds the limit %d", name, v, max)
		}
		return nil
	}
	for _, f := range []struct {
		name   string
		v, max int
	}{
		{"vocab size", cfg.VocabSize, maxVocab},
		{"context", cfg.Context, maxContext},
		{"layers", cfg.Layers, maxLayers},
		{"heads", cfg.Heads, maxChannels},
		{"channels", cfg.Channels, maxChannels},
	} {
		if err := check(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	if cfg.ScalarHeads < 0 || cfg.ScalarHeads > maxScalars {
		return fmt.Errorf("model config: scalar heads must be in [0, %d], got %d", maxScalars, cfg.ScalarHeads)
	}
	switch cfg.Arch {
	case "", ArchGPT2:
		if err := cfg.validateGPT2(); err != nil {
			return err
		}
	case ArchLlama:
		if err := cfg.validateLlama(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("model config: unknown architecture %q (want %q or %q)", cfg.Arch, ArchGPT2, ArchLlama)
	}
	if n := cfg.numParams(); n > maxParams {
		return fmt.Errorf("model config: %d parameters exceed the limit %d", n, maxParams)
	}
	return nil
}

// NumParams returns the number of float32 parameters of a valid config.
func (cfg Config) NumParams() int { return int(cfg.numParams()) }

func (cfg Config) numParams() int64 {
	var n int64
	if cfg.IsLlama() {
		for _, p := range cfg.llamaParams() {
			n += p.size(cfg.Layers)
		}
		return n
	}
	for _, s := range cfg.groupSizes() {
		n += s
	}
	return n
}

// validateGPT2 checks the GPT-2 shape: heads divide channels, and none of
// the Llama fields is set (GPT-2 would silently ignore them).
func (cfg Config) validateGPT2() error {
	if cfg.Channels%cfg.Heads != 0 {
		return fmt.Errorf("model config: %d heads do not divide %d channels", cfg.Heads, cfg.Channels)
	}
	if cfg.Hidden != 0 && cfg.Hidden != 4*cfg.Channels {
		return fmt.Errorf("model config: GPT-2's MLP is 4C = %d wide, got hidden %d", 4*cfg.Channels, cfg.Hidden)
	}
	if cfg.KVHeads != 0 || cfg.HeadDim != 0 || cfg.RopeTheta != 0 || cfg.RopeScaling != nil ||
		cfg.NormEps != 0 || cfg.QKVBias || cfg.QKNorm || cfg.TiedEmbeddings {
		return fmt.Errorf("model config: kv heads, head dim, RoPE, norm eps, qkv bias, qk norm and tied embeddings are Llama settings; set arch %q", ArchLlama)
	}
	return nil
}

// validateLlama checks the Llama-family fields.
func (cfg Config) validateLlama() error {
	nkv, hd := cfg.kvHeads(), cfg.headDim()
	switch {
	case cfg.KVHeads < 0 || cfg.KVHeads > cfg.Heads:
		return fmt.Errorf("model config: kv heads %d must be in [0, heads %d]", cfg.KVHeads, cfg.Heads)
	case cfg.Heads%nkv != 0:
		return fmt.Errorf("model config: %d kv heads do not divide %d heads", nkv, cfg.Heads)
	case cfg.HeadDim < 0 || cfg.HeadDim > maxChannels:
		return fmt.Errorf("model config: head dim %d must be in [0, %d]", cfg.HeadDim, maxChannels)
	case cfg.HeadDim == 0 && cfg.Channels%cfg.Heads != 0:
		return fmt.Errorf("model config: %d heads do not divide %d channels (set head dim)", cfg.Heads, cfg.Channels)
	case hd%2 != 0:
		return fmt.Errorf("model config: head dim %d must be even for rotary embeddings", hd)
	case cfg.Heads*hd > maxChannels:
		return fmt.Errorf("model config: heads × head dim %d exceeds the limit %d", cfg.Heads*hd, maxChannels)
	case cfg.Hidden <= 0 || cfg.Hidden > 8*maxChannels:
		return fmt.Errorf("model config: Llama needs a hidden (MLP) width in [1, %d], got %d", 8*maxChannels, cfg.Hidden)
	case !(cfg.RopeTheta >= 0) || math.IsInf(cfg.RopeTheta, 0) || (cfg.RopeTheta > 0 && cfg.RopeTheta <= 1):
		return fmt.Errorf("model config: rope theta %v must be above 1 (or 0 for 10000)", cfg.RopeTheta)
	case !(cfg.NormEps >= 0 && cfg.NormEps < 1):
		return fmt.Errorf("model config: norm eps %v must be in [0, 1)", cfg.NormEps)
	}
	if s := cfg.RopeScaling; s != nil {
		if !(s.Factor >= 1) || !(s.LowFreqFactor > 0) || !(s.HighFreqFactor > s.LowFreqFactor) || s.OriginalMaxPositions <= 0 ||
			math.IsInf(s.Factor, 0) || math.IsInf(s.HighFreqFactor, 0) {
			return fmt.Errorf("model config: rope scaling %+v needs factor ≥ 1, 0 < low freq factor < high freq factor and original positions > 0", *s)
		}
	}
	return nil
}

// Parameter groups in buffer order (llm.c's ParameterTensors plus the scalar
// head). Per-layer groups are stacked over L.
const (
	gWte = iota
	gWpe
	gLn1w
	gLn1b
	gQkvw
	gQkvb
	gAttprojw
	gAttprojb
	gLn2w
	gLn2b
	gFcw
	gFcb
	gFcprojw
	gFcprojb
	gLnfw
	gLnfb
	gHeadw
	gHeadb
	numGroups
)

// groupDecay tells which groups take weight decay: matrices and embeddings.
var groupDecay = [numGroups]bool{
	gWte: true, gWpe: true, gQkvw: true, gAttprojw: true, gFcw: true, gFcprojw: true, gHeadw: true,
}

func (cfg Config) groupSizes() [numGroups]int64 {
	V, T, L := int64(cfg.VocabSize), int64(cfg.Context), int64(cfg.Layers)
	C, K := int64(cfg.Channels), int64(cfg.ScalarHeads)
	return [numGroups]int64{
		gWte:      V * C,
		gWpe:      T * C,
		gLn1w:     L * C,
		gLn1b:     L * C,
		gQkvw:     L * 3 * C * C,
		gQkvb:     L * 3 * C,
		gAttprojw: L * C * C,
		gAttprojb: L * C,
		gLn2w:     L * C,
		gLn2b:     L * C,
		gFcw:      L * 4 * C * C,
		gFcb:      L * 4 * C,
		gFcprojw:  L * C * 4 * C,
		gFcprojb:  L * C,
		gLnfw:     C,
		gLnfb:     C,
		gHeadw:    K * C,
		gHeadb:    K,
	}
}

// Shape is the model's shape in the letters the package comments use:
// "L4 C256 NH4 T128 V2048" for GPT-2, and for the Llama family (named
// Qwen2 with q/k/v biases, Qwen3 with q/k norms) the settings GPT-2 lacks
// too: "Llama L30 C576 NH9 KV3 HD64 H1536 T2048 V49152 tied".
func (cfg Config) Shape() string {
	base := fmt.Sprintf("L%d C%d NH%d T%d V%d", cfg.Layers, cfg.Channels, cfg.Heads, cfg.Context, cfg.VocabSize)
	if !cfg.IsLlama() {
		return base
	}
	family := "Llama"
	switch {
	case cfg.QKNorm && !cfg.QKVBias:
		family = "Qwen3"
	case cfg.QKVBias && !cfg.QKNorm:
		family = "Qwen2"
	}
	s := fmt.Sprintf("%s L%d C%d NH%d KV%d HD%d H%d T%d V%d", family,
		cfg.Layers, cfg.Channels, cfg.Heads, cfg.kvHeads(), cfg.headDim(), cfg.hidden(), cfg.Context, cfg.VocabSize)
	for _, f := range []struct {
		on   bool
		name string
	}{{cfg.TiedEmbeddings, "tied"}, {cfg.QKVBias && cfg.QKNorm, "qkv-bias qk-norm"}, {cfg.RopeScaling != nil, "rope-scaled"}} {
		if f.on {
			s += " " + f.name
		}
	}
	return s
}
