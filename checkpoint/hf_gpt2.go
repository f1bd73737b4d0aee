package checkpoint

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/align-project/align/model"
	"github.com/align-project/align/tensor"
	"github.com/align-project/align/tokenizer"
)

// GPT-2's layout in a Hugging Face directory: Conv1D matrices, the
// "transformer." prefix, GPT2Config's fields; hf_llama.go has the Llama
// family's.

// hfConv1D reports the tensors that Hugging Face's GPT-2 stores as Conv1D,
// [in, out], where we store (out, in).
func hfConv1D(name string) bool {
	for _, s := range []string{".attn.c_attn.weight", ".attn.c_proj.weight", ".mlp.c_fc.weight", ".mlp.c_proj.weight"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// hfName is the state-dict name of one of model.Tensors' names: the GPT-2
// body under "transformer.", the scalar heads at the top level as in
// GPT2ForSequenceClassification.
func hfName(name string) string {
	if strings.HasPrefix(name, "score.") {
		return name
	}
	return "transformer." + name
}

// gpt2Only refuses a model of another architecture where only GPT-2's
// layout is written (GGUF): a Llama-family model's tensors would be saved
// under names and metadata that no loader reads back as the same model.
func gpt2Only(m *model.Model) error {
	if m.Config.IsLlama() {
		return fmt.Errorf("saving %s models is not supported yet, only GPT-2", m.Config.Arch)
	}
	return nil
}

// HFTensors returns m's parameters under Hugging Face GPT-2 names and
// layouts: Conv1D matrices transposed to [in, out] (copies), every other
// tensor sharing m's buffer. The tied LM head is left out, as transformers
// leaves it out of model.safetensors.
func HFTensors(m *model.Model, dt DType) []Tensor {
	var out []Tensor
	for _, t := range m.Tensors() {
		h := Tensor{Name: hfName(t.Name), Shape: t.Shape, Data: t.Data, DType: dt}
		if hfConv1D(t.Name) {
			h.Shape = []int{t.Shape[1], t.Shape[0]}
			h.Data = transpose(t.Data, t.Shape[0], t.Shape[1])
		}
		out = append(out, h)
	}
	return out
}

// NewHFConfig returns the config.json that describes m, with the token ids
// of tok (may be nil) and the align section (nil when m has no scalar heads
// and align is empty).
func NewHFConfig(m *model.Model, tok *tokenizer.Tokenizer, align AlignConfig, dt DType) HFConfig {
	cfg := m.Config
	c := HFConfig{
		Architectures:      []string{"GPT2LMHeadModel"},
		ModelType:          "gpt2",
		VocabSize:          cfg.VocabSize,
		NPositions:         cfg.Context,
		NCtx:               cfg.Context,
		NEmbd:              cfg.Channels,
		NLayer:             cfg.Layers,
		NHead:              cfg.Heads,
		ActivationFunction: "gelu_new",
		LayerNormEpsilon:   tensor.LayerNormEps,
		InitializerRange:   0.02,
		ScaleAttnWeights:   true,
		UseCache:           true,
		TieWordEmbeddings:  true,
		TorchDType:         map[DType]string{F32: "float32", F16: "float16", BF16: "bfloat16"}[dt],
	}
	if bos, eos, _ := specialIDs(tok); bos >= 0 {
		c.BOSTokenID, c.EOSTokenID = &bos, &eos
	}
	align.ScalarHeads = cfg.ScalarHeads
	if align.ScalarHeads > 0 || len(align.HeadNames) > 0 || align.Stage != "" || align.Kind != "" {
		c.Align = &align
	}
	return c
}

// hfConfigIn is config.json as read: pointers tell a missing field (which
// takes GPT2Config's default) from a given one.
type hfConfigIn struct {
	ModelType                  *string         `json:"model_type"`
	Architectures              []string        `json:"architectures"`
	VocabSize                  *int            `json:"vocab_size"`
	NPositions                 *int            `json:"n_positions"`
	NCtx                       *int            `json:"n_ctx"`
	NEmbd                      *int            `json:"n_embd"`
	NLayer                     *int            `json:"n_layer"`
	NHead                      *int            `json:"n_head"`
	NInner                     *int            `json:"n_inner"`
	ActivationFunction         *string         `json:"activation_function"`
	LayerNormEpsilon           *float64        `json:"layer_norm_epsilon"`
	ScaleAttnWeights           *bool           `json:"scale_attn_weights"`
	ScaleAttnByInverseLayerIdx *bool           `json:"scale_attn_by_inverse_layer_idx"`
	AddCrossAttention          *bool           `json:"add_cross_attention"`
	TieWordEmbeddings          *bool           `json:"tie_word_embeddings"`
	BOSTokenID                 json.RawMessage `json:"bos_token_id"`
	EOSTokenID                 json.RawMessage `json:"eos_token_id"`
	TorchDType                 *string         `json:"torch_dtype"`
	InitializerRange           *float64        `json:"initializer_range"`
	Align                      *AlignConfig    `json:"align"`
}

// ParseHFConfig reads a config.json (name is used in errors) and
// returns the model configuration it describes. Missing fields take
// GPT2Config's defaults; fields that describe a model align cannot run
// (another activation, n_inner ≠ 4·n_embd, another layernorm epsilon,
// unscaled attention, cross-attention) are errors. ScalarHeads comes from
// the "align" section. A Llama, Qwen2 or Qwen3 config (model_type llama,
// qwen2, qwen3) is read as parseHFLlamaConfig says.
func ParseHFConfig(data []byte, name string) (model.Config, HFConfig, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("read %s: %s", name, fmt.Sprintf(format, args...))
	}
	var in hfConfigIn
	if err := json.Unmarshal(data, &in); err != nil {
		return model.Config{}, HFConfig{}, fail("%v", err)
	}
	if in.ModelType != nil {
		switch mt := *in.ModelType; mt {
		case hfLlama, hfQwen2, hfQwen3:
			return parseHFLlamaConfig(data, name, mt)
		}
	}
	or := func(p *int, def int) int {
		if p == nil {
			return def
		}
		return *p
	}
	c := HFConfig{
		Architectures:      in.Architectures,
		ModelType:          "gpt2",
		VocabSize:          or(in.VocabSize, 50257),
		NPositions:         or(in.NPositions, 1024),
		NEmbd:              or(in.NEmbd, 768),
		NLayer:             or(in.NLayer, 12),
		NHead:              or(in.NHead, 12),
		NInner:             in.NInner,
		ActivationFunction: "gelu_new",
		LayerNormEpsilon:   1e-5,
		InitializerRange:   0.02,
		ScaleAttnWeights:   true,
		UseCache:           true,
		TieWordEmbeddings:  true,
		TorchDType:         "float32",
		Align:              in.Align,
	}
	c.NCtx = or(in.NCtx, c.NPositions)
	if in.ModelType != nil && *in.ModelType != "gpt2" {
		return model.Config{}, c, fail("model_type %q is not supported (want gpt2, llama, qwen2 or qwen3)", *in.ModelType)
	}
	if in.ActivationFunction != nil {
		c.ActivationFunction = *in.ActivationFunction
	}
	switch c.ActivationFunction {
	case "gelu_new", "gelu_pytorch_tanh", "gelu_fast":
	default:
		return model.Config{}, c, fail("activation_function %q is not supported (want gelu_new, the tanh approximation)", c.ActivationFunction)
	}
	if in.LayerNormEpsilon != nil {
		c.LayerNormEpsilon = *in.LayerNormEpsilon
	}
	if math.Abs(c.LayerNormEpsilon-tensor.LayerNormEps) > 1e-6*tensor.LayerNormEps {
		return model.Config{}, c, fail("layer_norm_epsilon %g is not supported (want %g)", c.LayerNormEpsilon, tensor.LayerNormEps)
	}
	if c.NInner != nil && *c.NInner != 4*c.NEmbd {
		return model.Config{}, c, fail("n_inner %d is not supported (want null or 4·n_embd = %d)", *c.NInner, 4*c.NEmbd)
	}
	if in.ScaleAttnWeights != nil && !*in.ScaleAttnWeights {
		return model.Config{}, c, fail("scale_attn_weights false is not supported")
	}
	if in.ScaleAttnByInverseLayerIdx != nil && *in.ScaleAttnByInverseLayerIdx {
		return model.Config{}, c, fail("scale_attn_by_inverse_layer_idx true is not supported")
	}
	if in.AddCrossAttention != nil && *in.AddCrossAttention {
		return model.Config{}, c, fail("add_cross_attention true is not supported")
	}
	if in.TieWordEmbeddings != nil {
		c.TieWordEmbeddings = *in.TieWordEmbeddings
	}
	if in.TorchDType != nil {
		c.TorchDType = *in.TorchDType
	}
	if in.InitializerRange != nil {
		c.InitializerRange = *in.InitializerRange
	}
	// bos/eos may be null, a number or (rarely) a list: keep single numbers.
	c.BOSTokenID, c.EOSTokenID = tokenIDField(in.BOSTokenID), tokenIDField(in.EOSTokenID)
	cfg := model.Config{VocabSize: c.VocabSize, Context: c.NPositions, Layers: c.NLayer, Heads: c.NHead, Channels: c.NEmbd}
	if err := checkAlignSection(&cfg, c.Align); err != nil {
		return cfg, c, fail("%v", err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, c, fail("%v", err)
	}
	return cfg, c, nil
}

// checkHFTensors checks the tensors of sf against cfg, reading only the
// header, and returns cfg with the scalar heads taken from the file when
// config.json has no align section, and the LM head tensor if the file has
// one.
func checkHFTensors(sf *SafetensorsFile, cfg model.Config, hc HFConfig) (model.Config, *SafetensorsTensor, error) {
	fail := func(format string, args ...any) (model.Config, *SafetensorsTensor, error) {
		return cfg, nil, fmt.Errorf("read safetensors %s: %s", sf.Name, fmt.Sprintf(format, args...))
	}
	// Index the file by our names.
	byName := make(map[string]SafetensorsTensor, len(sf.Tensors))
	var lmHead *SafetensorsTensor
	for i, t := range sf.Tensors {
		name := t.Name
		if name == "lm_head.weight" {
			lmHead = &sf.Tensors[i]
			continue
		}
		if isGPT2Buffer(name) {
			continue
		}
		name = strings.TrimPrefix(name, "transformer.")
		if prev, dup := byName[name]; dup {
			return fail("tensors %q and %q are the same parameter", prev.Name, t.Name)
		}
		switch t.DType {
		case "F32", "F16", "BF16":
		default:
			return fail("tensor %q has dtype %s; want F32, F16 or BF16", t.Name, t.DType)
		}
		byName[name] = t
	}
	if t, ok := byName["score.weight"]; ok && hc.Align == nil {
		if len(t.Shape) != 2 {
			return fail("tensor %q has shape %v, want [K, %d]", t.Name, t.Shape, cfg.Channels)
		}
		cfg.ScalarHeads = t.Shape[0]
		if err := cfg.Validate(); err != nil {
			return fail("tensor %q: %v", t.Name, err)
		}
	}
	if !hc.TieWordEmbeddings && lmHead == nil {
		return fail("config.json has tie_word_embeddings false but there is no lm_head.weight")
	}
	// Check every shape before allocating anything.
	shapes := hfShapes(cfg)
	names := slices.Sorted(maps.Keys(shapes))
	for _, name := range names {
		t, ok := byName[name]
		if !ok {
			if name == "score.bias" {
				continue // GPT2ForSequenceClassification has no bias: zero
			}
			return fail("missing tensor %q", hfName(name))
		}
		if want := shapes[name]; !slices.Equal(t.Shape, want) {
			hint := ""
			if hfConv1D(name) && slices.Equal(t.Shape, []int{want[1], want[0]}) {
				hint = " (Conv1D weights are stored [in, out]; this one looks transposed)"
			}
			return fail("tensor %q has shape %v, want %v%s", t.Name, t.Shape, want, hint)
		}
		delete(byName, name)
	}
	if len(byName) > 0 {
		left := make([]string, 0, len(byName))
		for _, t := range byName {
			left = append(left, t.Name)
		}
		slices.Sort(left)
		return fail("unexpected tensor %q for a %d-layer GPT-2", left[0], cfg.Layers)
	}
	if lmHead != nil && !slices.Equal(lmHead.Shape, shapes["wte.weight"]) {
		return fail("tensor %q has shape %v, want %v", lmHead.Name, lmHead.Shape, shapes["wte.weight"])
	}

	return cfg, lmHead, nil
}

// readHFTensors allocates the model of cfg and reads the tensors of sf,
// checked by checkHFTensors, into it. A NaN or an infinity is a
// *NonFiniteError.
func readHFTensors(sf *SafetensorsFile, cfg model.Config, lmHead *SafetensorsTensor) (*model.Model, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("read safetensors %s: %s", sf.Name, fmt.Sprintf(format, args...))
	}
	m, err := model.New(cfg, 0)
	if err != nil {
		return nil, fail("%v", err)
	}
	for _, t := range m.Tensors() {
		st, ok := sf.Tensor(hfFileName(sf, t.Name))
		if !ok { // only score.bias may be absent
			clear(t.Data)
			continue
		}
		if !hfConv1D(t.Name) {
			if err := sf.ReadFloat32Into(st.Name, t.Data); err != nil {
				return nil, err
			}
			if err := checkFinite(sf.Name, st.Name, t.Data); err != nil {
				return nil, err
			}
			continue
		}
		tmp, err := sf.ReadFloat32(st.Name)
		if err != nil {
			return nil, err
		}
		if err := checkFinite(sf.Name, st.Name, tmp); err != nil {
			return nil, err
		}
		copy(t.Data, transpose(tmp, st.Shape[0], st.Shape[1]))
	}
	if lmHead != nil {
		w, err := sf.ReadFloat32(lmHead.Name)
		if err != nil {
			return nil, err
		}
		if i := firstDiff(w, m.W.Wte); i >= 0 {
			return nil, fail("tensor %q differs from the token embedding at element %d (%v vs %v); align ties the LM head to wte",
				lmHead.Name, i, w[i], m.W.Wte[i])
		}
	}
	return m, nil
}

// hfFileName finds the file's name for parameter name: with the
// "transformer." prefix or without.
func hfFileName(sf *SafetensorsFile, name string) string {
	if _, ok := sf.Tensor("transformer." + name); ok {
		return "transformer." + name
	}
	return name
}

// hfShapes gives the Hugging Face shape of every parameter of cfg.
func hfShapes(cfg model.Config) map[string][]int {
	V, T, C, K := cfg.VocabSize, cfg.Context, cfg.Channels, cfg.ScalarHeads
	s := map[string][]int{
		"wte.weight": {V, C}, "wpe.weight": {T, C}, "ln_f.weight": {C}, "ln_f.bias": {C},
	}
	if K > 0 {
		s["score.weight"], s["score.bias"] = []int{K, C}, []int{K}
	}
	for l := range cfg.Layers {
		p := fmt.Sprintf("h.%d.", l)
		s[p+"ln_1.weight"], s[p+"ln_1.bias"] = []int{C}, []int{C}
		s[p+"attn.c_attn.weight"], s[p+"attn.c_attn.bias"] = []int{C, 3 * C}, []int{3 * C}
		s[p+"attn.c_proj.weight"], s[p+"attn.c_proj.bias"] = []int{C, C}, []int{C}
		s[p+"ln_2.weight"], s[p+"ln_2.bias"] = []int{C}, []int{C}
		s[p+"mlp.c_fc.weight"], s[p+"mlp.c_fc.bias"] = []int{C, 4 * C}, []int{4 * C}
		s[p+"mlp.c_proj.weight"], s[p+"mlp.c_proj.bias"] = []int{4 * C, C}, []int{C}
	}
	return s
}

// firstDiff returns the first index where a and b differ bitwise, or -1.
func firstDiff(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}
