package checkpoint

import (
	"encoding/json"
	"fmt"

	"github.com/align-project/align/model"
	"github.com/align-project/align/tensor"
	"github.com/align-project/align/tokenizer"
)

// This file maps the config.json of Hugging Face's Llama, Qwen2 and Qwen3
// to model.Config and back; hf_llama_weights.go moves their tensors.

// HFMaxContext caps the context of a loaded Llama-family model: Context is
// min(max_position_embeddings, HFMaxContext). Recent models declare 32k to
// 128k positions, far beyond what is trained or sampled on a CPU, and the
// RoPE tables are allocated for the whole context. A capped model is saved
// with max_position_embeddings equal to its Context.
const HFMaxContext = 1 << 15

// The Hugging Face model types of the Llama family that align reads.
const (
	hfLlama = "llama"
	hfQwen2 = "qwen2"
	hfQwen3 = "qwen3"
)

var hfArchitectures = map[string]string{
	hfLlama: "LlamaForCausalLM", hfQwen2: "Qwen2ForCausalLM", hfQwen3: "Qwen3ForCausalLM",
}

// HFLlamaConfig is the config.json of a Llama, Qwen2 or Qwen3 directory:
// the fields of transformers' LlamaConfig (Qwen2Config, Qwen3Config) that
// matter for inference, and align's own section.
type HFLlamaConfig struct {
	Architectures         []string       `json:"architectures"`
	ModelType             string         `json:"model_type"`
	VocabSize             int            `json:"vocab_size"`
	HiddenSize            int            `json:"hidden_size"`
	IntermediateSize      int            `json:"intermediate_size"`
	NumHiddenLayers       int            `json:"num_hidden_layers"`
	NumAttentionHeads     int            `json:"num_attention_heads"`
	NumKeyValueHeads      int            `json:"num_key_value_heads"`
	HeadDim               int            `json:"head_dim"`
	MaxPositionEmbeddings int            `json:"max_position_embeddings"`
	HiddenAct             string         `json:"hidden_act"`
	RMSNormEps            float64        `json:"rms_norm_eps"`
	RopeTheta             float64        `json:"rope_theta"`
	RopeScaling           *HFRopeScaling `json:"rope_scaling"`
	// AttentionBias and MLPBias are Llama's (Qwen3 has only the first);
	// Qwen2 always has q/k/v biases and no such field.
	AttentionBias     *bool        `json:"attention_bias,omitempty"`
	MLPBias           *bool        `json:"mlp_bias,omitempty"`
	AttentionDropout  float64      `json:"attention_dropout"`
	InitializerRange  float64      `json:"initializer_range"`
	TieWordEmbeddings bool         `json:"tie_word_embeddings"`
	UseCache          bool         `json:"use_cache"`
	BOSTokenID        *int         `json:"bos_token_id"`
	EOSTokenID        *int         `json:"eos_token_id"`
	TorchDType        string       `json:"torch_dtype"`
	Align             *AlignConfig `json:"align,omitempty"`
}

// HFRopeScaling is config.json's rope_scaling block; align supports only
// Llama 3's frequency scaling.
type HFRopeScaling struct {
	RopeType                      string  `json:"rope_type"`
	Factor                        float64 `json:"factor"`
	LowFreqFactor                 float64 `json:"low_freq_factor"`
	HighFreqFactor                float64 `json:"high_freq_factor"`
	OriginalMaxPositionEmbeddings int     `json:"original_max_position_embeddings"`
}

// hfLlamaType is the Hugging Face model type that runs a model of cfg:
// Qwen3 for q/k norms, Qwen2 for q/k/v biases, else Llama. Both at once
// has no Hugging Face class (Qwen3's attention_bias also puts a bias on
// o_proj, which align lacks).
func hfLlamaType(cfg model.Config) (string, error) {
	switch {
	case cfg.QKNorm && cfg.QKVBias:
		return "", fmt.Errorf("a model with both q/k/v biases and q/k norms has no Hugging Face architecture")
	case cfg.QKNorm:
		return hfQwen3, nil
	case cfg.QKVBias:
		return hfQwen2, nil
	}
	return hfLlama, nil
}

// NewHFLlamaConfig returns the config.json that describes the Llama-family
// model m, with the token ids of tok (may be nil) and the align section
// (nil when m has no scalar heads and align is empty).
func NewHFLlamaConfig(m *model.Model, tok *tokenizer.Tokenizer, align AlignConfig, dt DType) (HFLlamaConfig, error) {
	cfg := m.Config
	mt, err := hfLlamaType(cfg)
	if err != nil {
		return HFLlamaConfig{}, err
	}
	or := func(v, def float64) float64 {
		if v == 0 {
			return def // model.Config's zero means the default
		}
		return v
	}
	kv, hd := cfg.KVHeads, cfg.HeadDim
	if kv == 0 {
		kv = cfg.Heads
	}
	if hd == 0 {
		hd = cfg.Channels / cfg.Heads
	}
	c := HFLlamaConfig{
		Architectures:         []string{hfArchitectures[mt]},
		ModelType:             mt,
		VocabSize:             cfg.VocabSize,
		HiddenSize:            cfg.Channels,
		IntermediateSize:      cfg.Hidden,
		NumHiddenLayers:       cfg.Layers,
		NumAttentionHeads:     cfg.Heads,
		NumKeyValueHeads:      kv,
		HeadDim:               hd,
		MaxPositionEmbeddings: cfg.Context,
		HiddenAct:             "silu",
		RMSNormEps:            or(cfg.NormEps, 1e-6),
		RopeTheta:             or(cfg.RopeTheta, 10000),
		InitializerRange:      0.02,
		TieWordEmbeddings:     cfg.TiedEmbeddings,
		UseCache:              true,
		TorchDType:            map[DType]string{F32: "float32", F16: "float16", BF16: "bfloat16"}[dt],
	}
	if s := cfg.RopeScaling; s != nil {
		c.RopeScaling = &HFRopeScaling{RopeType: "llama3", Factor: s.Factor, LowFreqFactor: s.LowFreqFactor,
			HighFreqFactor: s.HighFreqFactor, OriginalMaxPositionEmbeddings: s.OriginalMaxPositions}
	}
	no := false
	switch mt {
	case hfLlama:
		c.AttentionBias, c.MLPBias = &no, &no
	case hfQwen3:
		c.AttentionBias = &no
	}
	if bos, eos, _ := specialIDs(tok); bos >= 0 {
		c.BOSTokenID, c.EOSTokenID = &bos, &eos
	}
	align.ScalarHeads = cfg.ScalarHeads
	if align.ScalarHeads > 0 || len(align.HeadNames) > 0 || align.Stage != "" || align.Kind != "" {
		c.Align = &align
	}
	return c, nil
}

// hfLlamaIn is config.json as read: pointers tell a missing field from a
// given one.
type hfLlamaIn struct {
	Architectures         []string        `json:"architectures"`
	VocabSize             *int            `json:"vocab_size"`
	HiddenSize            *int            `json:"hidden_size"`
	IntermediateSize      *int            `json:"intermediate_size"`
	NumHiddenLayers       *int            `json:"num_hidden_layers"`
	NumAttentionHeads     *int            `json:"num_attention_heads"`
	NumKeyValueHeads      *int            `json:"num_key_value_heads"`
	HeadDim               *int            `json:"head_dim"`
	MaxPositionEmbeddings *int            `json:"max_position_embeddings"`
	HiddenAct             *string         `json:"hidden_act"`
	RMSNormEps            *float64        `json:"rms_norm_eps"`
	RopeTheta             *float64        `json:"rope_theta"`
	RopeScaling           json.RawMessage `json:"rope_scaling"`
	RopeParameters        json.RawMessage `json:"rope_parameters"` // transformers 5: rope_theta and the scaling together
	AttentionBias         *bool           `json:"attention_bias"`
	MLPBias               *bool           `json:"mlp_bias"`
	UseSlidingWindow      *bool           `json:"use_sliding_window"`
	TieWordEmbeddings     *bool           `json:"tie_word_embeddings"`
	BOSTokenID            json.RawMessage `json:"bos_token_id"`
	EOSTokenID            json.RawMessage `json:"eos_token_id"`
	TorchDType            *string         `json:"torch_dtype"`
	Align                 *AlignConfig    `json:"align"`
}

// parseHFLlamaConfig reads the config.json of model type mt. The sizes
// must be given; the rest takes transformers' defaults (no tied embeddings,
// θ = 10000, ε = 1e-6, 2048 positions for Llama and 32768 for Qwen).
// Settings align cannot run (another activation, biases on o_proj or the
// MLP, sliding-window attention, a RoPE scaling other than Llama 3's) are
// errors, as is a config model.Config.Validate refuses. HFConfig gets the
// fields the families share; Llama holds the rest.
func parseHFLlamaConfig(data []byte, name, mt string) (model.Config, HFConfig, error) {
	fail := func(format string, args ...any) (model.Config, HFConfig, error) {
		return model.Config{}, HFConfig{}, fmt.Errorf("read %s: %s", name, fmt.Sprintf(format, args...))
	}
	var in hfLlamaIn
	if err := json.Unmarshal(data, &in); err != nil {
		return fail("%v", err)
	}
	for _, f := range []struct {
		key string
		p   *int
	}{{"vocab_size", in.VocabSize}, {"hidden_size", in.HiddenSize}, {"intermediate_size", in.IntermediateSize},
		{"num_hidden_layers", in.NumHiddenLayers}, {"num_attention_heads", in.NumAttentionHeads}} {
		if f.p == nil {
			return fail("%s model without %s", mt, f.key)
		}
	}
	c := HFLlamaConfig{
		Architectures: in.Architectures, ModelType: mt, VocabSize: *in.VocabSize, HiddenSize: *in.HiddenSize,
		IntermediateSize: *in.IntermediateSize, NumHiddenLayers: *in.NumHiddenLayers, NumAttentionHeads: *in.NumAttentionHeads,
		NumKeyValueHeads: *in.NumAttentionHeads, MaxPositionEmbeddings: 32768, HiddenAct: "silu", RMSNormEps: 1e-6,
		RopeTheta: 10000, InitializerRange: 0.02, UseCache: true, TorchDType: "float32", Align: in.Align,
		AttentionBias: in.AttentionBias, MLPBias: in.MLPBias,
	}
	if mt == hfLlama {
		c.MaxPositionEmbeddings = 2048
	}
	if in.NumKeyValueHeads != nil {
		c.NumKeyValueHeads = *in.NumKeyValueHeads
	}
	if c.NumAttentionHeads > 0 {
		c.HeadDim = c.HiddenSize / c.NumAttentionHeads
	}
	if in.HeadDim != nil {
		c.HeadDim = *in.HeadDim
	}
	if in.MaxPositionEmbeddings != nil {
		c.MaxPositionEmbeddings = *in.MaxPositionEmbeddings
	}
	if in.HiddenAct != nil {
		c.HiddenAct = *in.HiddenAct
	}
	if in.RMSNormEps != nil {
		c.RMSNormEps = *in.RMSNormEps
	}
	if in.RopeTheta != nil {
		c.RopeTheta = *in.RopeTheta
	}
	if in.TieWordEmbeddings != nil {
		c.TieWordEmbeddings = *in.TieWordEmbeddings
	}
	if in.TorchDType != nil {
		c.TorchDType = *in.TorchDType
	}
	switch {
	case c.HiddenAct != "silu":
		return fail("hidden_act %q is not supported (want silu)", c.HiddenAct)
	case in.MLPBias != nil && *in.MLPBias:
		return fail("mlp_bias true is not supported")
	case mt != hfQwen2 && in.AttentionBias != nil && *in.AttentionBias:
		return fail("attention_bias true is not supported for %s: it also puts a bias on o_proj", mt)
	case in.UseSlidingWindow != nil && *in.UseSlidingWindow:
		return fail("use_sliding_window true is not supported")
	}
	rawScaling := in.RopeScaling
	if len(in.RopeParameters) > 0 && string(in.RopeParameters) != "null" {
		// Newer configs move rope_theta into rope_parameters: missing it
		// would silently rotate by the default θ.
		var p struct {
			RopeTheta *float64 `json:"rope_theta"`
		}
		if err := json.Unmarshal(in.RopeParameters, &p); err != nil {
			return fail("rope_parameters: %v", err)
		}
		if p.RopeTheta != nil {
			c.RopeTheta = *p.RopeTheta
		}
		if len(rawScaling) == 0 || string(rawScaling) == "null" {
			rawScaling = in.RopeParameters
		}
	}
	scaling, err := parseRopeScaling(rawScaling)
	if err != nil {
		return fail("%v", err)
	}
	c.RopeScaling = scaling

	cfg := model.Config{
		Arch: model.ArchLlama, VocabSize: c.VocabSize, Context: min(c.MaxPositionEmbeddings, HFMaxContext),
		Layers: c.NumHiddenLayers, Heads: c.NumAttentionHeads, Channels: c.HiddenSize, Hidden: c.IntermediateSize,
		RopeTheta: c.RopeTheta, NormEps: c.RMSNormEps, QKVBias: mt == hfQwen2, QKNorm: mt == hfQwen3,
		TiedEmbeddings: c.TieWordEmbeddings,
	}
	// KVHeads and HeadDim stay 0 (model's "same as Heads", "C/NH") when
	// they say just that, so a saved model reads back as the same Config.
	if c.NumKeyValueHeads != c.NumAttentionHeads {
		cfg.KVHeads = c.NumKeyValueHeads
	}
	if c.NumAttentionHeads <= 0 || c.HeadDim != c.HiddenSize/c.NumAttentionHeads || c.HiddenSize%c.NumAttentionHeads != 0 {
		cfg.HeadDim = c.HeadDim
	}
	if s := c.RopeScaling; s != nil {
		cfg.RopeScaling = &tensor.RoPEScaling{Factor: s.Factor, LowFreqFactor: s.LowFreqFactor,
			HighFreqFactor: s.HighFreqFactor, OriginalMaxPositions: s.OriginalMaxPositionEmbeddings}
	}
	hc := HFConfig{
		Architectures: c.Architectures, ModelType: mt, VocabSize: c.VocabSize, TieWordEmbeddings: c.TieWordEmbeddings,
		TorchDType: c.TorchDType, Align: c.Align,
	}
	hc.BOSTokenID, hc.EOSTokenID = tokenIDField(in.BOSTokenID), tokenIDField(in.EOSTokenID)
	c.BOSTokenID, c.EOSTokenID = hc.BOSTokenID, hc.EOSTokenID
	hc.Llama = &c
	if err := checkAlignSection(&cfg, c.Align); err != nil {
		return cfg, hc, fmt.Errorf("read %s: %w", name, err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, hc, fmt.Errorf("read %s: %w", name, err)
	}
	return cfg, hc, nil
}

// parseRopeScaling reads rope_scaling (or transformers 5's
// rope_parameters): absent, null, of type "default" or with no type and no
// factor is none; "llama3" (under rope_type, or type in older configs) is Llama
// 3's; any other type changes the positions in a way align does not
// compute.
func parseRopeScaling(raw json.RawMessage) (*HFRopeScaling, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s struct {
		HFRopeScaling
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("rope_scaling: %v", err)
	}
	t := s.RopeType
	if t == "" {
		t = s.Type
	}
	switch {
	case t == "default", t == "" && s.Factor == 0: // e.g. rope_parameters holding only rope_theta
		return nil, nil
	case t == "llama3":
		s.HFRopeScaling.RopeType = t
		return &s.HFRopeScaling, nil
	}
	return nil, fmt.Errorf("rope_scaling type %q is not supported (only llama3)", t)
}

// tokenIDField keeps a bos/eos id that is a single number; null and lists
// (which some configs use for several stop ids) give nil.
func tokenIDField(raw json.RawMessage) *int {
	var id int
	if len(raw) > 0 && json.Unmarshal(raw, &id) == nil {
		return &id
	}
	return nil
}

// checkAlignSection sets cfg's scalar heads from config.json's align
// section (may be nil) and checks the section against them.
func checkAlignSection(cfg *model.Config, a *AlignConfig) error {
	if a == nil {
		return nil
	}
	cfg.ScalarHeads = a.ScalarHeads
	for _, s := range []struct {
		field string
		n     int
	}{{"head_names", len(a.HeadNames)}, {"reward_gain", len(a.RewardGain)}, {"reward_bias", len(a.RewardBias)}} {
		if s.n != 0 && s.n != a.ScalarHeads {
			return fmt.Errorf("align.%s has %d entries for %d scalar heads", s.field, s.n, a.ScalarHeads)
		}
	}
	return checkKind(a.Kind, a.ScalarHeads)
}
