package checkpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/align-project/align/model"
	"github.com/align-project/align/tensor"
	"github.com/align-project/align/tokenizer"
)

// The files of a Hugging Face model directory.
const (
	HFConfigFile           = "config.json"
	HFWeightsFile          = "model.safetensors"
	HFTokenizerFile        = "tokenizer.json"
	HFTokenizerConfigFile  = "tokenizer_config.json"
	HFSpecialTokensFile    = "special_tokens_map.json"
	HFGenerationConfigFile = "generation_config.json"
)

// HFConfig is the config.json of a GPT-2 directory: the fields of Hugging
// Face's GPT2Config that matter for inference, in the order transformers
// writes them, and align's own section. Loading ignores fields not listed.
type HFConfig struct {
	Architectures      []string `json:"architectures"`
	ModelType          string   `json:"model_type"`
	VocabSize          int      `json:"vocab_size"`
	NPositions         int      `json:"n_positions"`
	NCtx               int      `json:"n_ctx"`
	NEmbd              int      `json:"n_embd"`
	NLayer             int      `json:"n_layer"`
	NHead              int      `json:"n_head"`
	NInner             *int     `json:"n_inner"` // null means 4·n_embd
	ActivationFunction string   `json:"activation_function"`
	LayerNormEpsilon   float64  `json:"layer_norm_epsilon"`
	InitializerRange   float64  `json:"initializer_range"`
	ResidPdrop         float64  `json:"resid_pdrop"`
	EmbdPdrop          float64  `json:"embd_pdrop"`
	AttnPdrop          float64  `json:"attn_pdrop"`
	ScaleAttnWeights   bool     `json:"scale_attn_weights"`
	UseCache           bool     `json:"use_cache"`
	BOSTokenID         *int     `json:"bos_token_id"`
	EOSTokenID         *int     `json:"eos_token_id"`
	TieWordEmbeddings  bool     `json:"tie_word_embeddings"`
	TorchDType         string   `json:"torch_dtype"`
	// Align holds what Hugging Face's GPT-2 has no field for; nil for a plain
	// language model.
	Align *AlignConfig `json:"align,omitempty"`
}

// AlignConfig is align's section of config.json: the scalar heads, whose
// weights are the tensors "score.weight" [K, C] and "score.bias" [K], and
// the constants that normalise their outputs.
type AlignConfig struct {
	ScalarHeads int      `json:"scalar_heads"`
	HeadNames   []string `json:"head_names,omitempty"` // one per head, e.g. "overall", "safety"
	// A head's normalised output is RewardGain[k]·raw + RewardBias[k]; empty
	// slices mean gain 1 and bias 0.
	RewardGain []float64 `json:"reward_gain,omitempty"`
	RewardBias []float64 `json:"reward_bias,omitempty"`
	// Kind says what the checkpoint is (policy, reward or value model), so
	// that commands refuse the wrong one. Empty in checkpoints written
	// before it was recorded: loading then tells it from the heads.
	Kind Kind `json:"kind,omitempty"`
	// Stage names what produced the checkpoint: "pretrain", "sft", "reward",
	// "ppo"...
	Stage string `json:"stage,omitempty"`
}

// HFOptions are the optional parts of SaveHF.
type HFOptions struct {
	// Align is written as config.json's "align" section. Its ScalarHeads is
	// set from the model; the slices must be empty or have one entry per head.
	Align AlignConfig
	// DType stores the tensors as F32 (default, bit-exact), F16 or BF16.
	DType DType
}

// HFModel is a model directory loaded into memory.
type HFModel struct {
	Dir       string
	Model     *model.Model
	Tokenizer *tokenizer.Tokenizer // nil when the directory has no tokenizer files
	Config    HFConfig             // config.json as read (defaults filled in)
	// Align is Config.Align, or the zero value with ScalarHeads from the
	// weights; its Kind is the recorded one or, when none is, the one the
	// heads imply.
	Align AlignConfig
}

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

// gpt2Only refuses a model of another architecture: the Hugging Face and
// GGUF layouts written here are GPT-2's, and a Llama-family model's tensors
// would be saved under names and a config.json that no loader reads back
// as the same model.
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

// specialIDs picks the BOS and EOS of a tokenizer: <|endoftext|> as BOS
// (GPT-2's), the chat format's end-of-turn as EOS, and every stop id for
// generation. Missing ones are -1 / nil.
func specialIDs(tok *tokenizer.Tokenizer) (bos, eos int, stop []int) {
	bos, eos = -1, -1
	if tok == nil {
		return
	}
	if id, ok := tok.TokenID("<|endoftext|>"); ok && tok.IsSpecial(id) {
		bos, eos, stop = id, id, []int{id}
	}
	if f, err := tok.ChatFormat(); err == nil {
		eos, stop = f.EndOfTurn, f.Stop
		if bos < 0 {
			bos = eos
		}
	}
	return
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

// SaveHF writes m and its tokenizer (may be nil) to dir as a Hugging Face
// GPT-2 directory that transformers' GPT2LMHeadModel.from_pretrained and
// LoadHF both read: config.json, model.safetensors (metadata
// {"format": "pt"}), generation_config.json and, with a tokenizer,
// tokenizer.json, tokenizer_config.json and special_tokens_map.json. Every
// file is written atomically; config.json comes last, so a directory with a
// config.json holds a complete model.
func SaveHF(dir string, m *model.Model, tok *tokenizer.Tokenizer, opt HFOptions) error {
	fail := func(err error) error { return fmt.Errorf("save model %s: %w", dir, err) }
	if err := gpt2Only(m); err != nil {
		return fail(err)
	}
	K := m.Config.ScalarHeads
	a := opt.Align
	for _, s := range []struct {
		name string
		n    int
	}{{"head names", len(a.HeadNames)}, {"reward gains", len(a.RewardGain)}, {"reward biases", len(a.RewardBias)}} {
		if s.n != 0 && s.n != K {
			return fail(fmt.Errorf("%d %s for %d scalar heads", s.n, s.name, K))
		}
	}
	if err := checkKind(a.Kind, K); err != nil {
		return fail(err)
	}
	if opt.DType.Size() == 0 {
		return fail(fmt.Errorf("invalid dtype %v", opt.DType))
	}
	if tok != nil && tok.VocabSize() > m.Config.VocabSize {
		return fail(fmt.Errorf("tokenizer has %d ids but the model only %d embedding rows", tok.VocabSize(), m.Config.VocabSize))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	err := SaveSafetensors(filepath.Join(dir, HFWeightsFile), HFTensors(m, opt.DType), map[string]string{"format": "pt"})
	if err != nil {
		return fail(err)
	}
	bos, eos, stop := specialIDs(tok)
	if tok != nil {
		if err := saveHFTokenizer(dir, tok, m.Config.Context, bos, eos); err != nil {
			return fail(err)
		}
	}
	gen := map[string]any{"_from_model_config": true}
	if bos >= 0 {
		gen["bos_token_id"] = bos
	}
	if len(stop) == 1 {
		gen["eos_token_id"] = stop[0]
	} else if len(stop) > 1 {
		gen["eos_token_id"] = stop
	}
	if err := writeJSONFile(filepath.Join(dir, HFGenerationConfigFile), gen); err != nil {
		return fail(err)
	}
	cfg := NewHFConfig(m, tok, opt.Align, opt.DType)
	if err := writeJSONFile(filepath.Join(dir, HFConfigFile), cfg); err != nil {
		return fail(err)
	}
	return nil
}

// chatTemplates are the Jinja forms of the tokenizer package's chat formats,
// for transformers' apply_chat_template.
var chatTemplates = map[string]string{
	tokenizer.ChatML: "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}" +
		"{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
	tokenizer.ChatPlain: "{% set names = {'system': 'System', 'user': 'User', 'assistant': 'Assistant'} %}" +
		"{% for message in messages %}{{ names[message['role']] + ':\\n' + message['content'] + eos_token + '\\n' }}" +
		"{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:\\n' }}{% endif %}",
}

// chatTemplate is the Jinja chat template to save with tok: the one its
// directory shipped when it was loaded from one (a model's own template,
// default system prompt and all, survives a round trip), else the Jinja
// form of its chat format.
func chatTemplate(tok *tokenizer.Tokenizer) (string, bool) {
	if t, ok := tok.ChatTemplate(); ok {
		return t, true
	}
	f, err := tok.ChatFormat()
	if err != nil {
		return "", false
	}
	t, ok := chatTemplates[f.Name]
	return t, ok
}

// saveHFTokenizer writes tokenizer.json, tokenizer_config.json and
// special_tokens_map.json.
func saveHFTokenizer(dir string, tok *tokenizer.Tokenizer, maxLen, bos, eos int) error {
	err := WriteFileAtomic(filepath.Join(dir, HFTokenizerFile), func(w io.Writer) error { return tok.WriteJSON(w) })
	if err != nil {
		return err
	}
	text := func(id int) any {
		if id < 0 {
			return nil
		}
		s, _ := tok.TokenText(id)
		return s
	}
	special := map[string]any{}
	if bos >= 0 {
		special["bos_token"] = text(bos)
		special["eos_token"] = text(eos)
		special["unk_token"] = text(bos)
	}
	decoder := map[string]any{}
	for _, a := range tok.AddedTokens() {
		decoder[fmt.Sprint(a.ID)] = map[string]any{
			"content": a.Content, "lstrip": false, "normalized": false, "rstrip": false,
			"single_word": false, "special": a.Special,
		}
	}
	tc := map[string]any{
		"add_bos_token":                false,
		"add_prefix_space":             false,
		"added_tokens_decoder":         decoder,
		"clean_up_tokenization_spaces": false,
		"model_max_length":             maxLen,
		"tokenizer_class":              "PreTrainedTokenizerFast",
	}
	for k, v := range special {
		tc[k] = v
	}
	if t, ok := chatTemplate(tok); ok {
		tc["chat_template"] = t
	}
	if err := writeJSONFile(filepath.Join(dir, HFTokenizerConfigFile), tc); err != nil {
		return err
	}
	return writeJSONFile(filepath.Join(dir, HFSpecialTokensFile), special)
}

// writeJSONFile writes v as indented JSON, atomically.
func writeJSONFile(path string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	})
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

// ParseHFConfig reads a GPT-2 config.json (name is used in errors) and
// returns the model configuration it describes. Missing fields take
// GPT2Config's defaults; fields that describe a model align cannot run
// (another activation, n_inner ≠ 4·n_embd, another layernorm epsilon,
// unscaled attention, cross-attention) are errors. ScalarHeads comes from
// the "align" section.
func ParseHFConfig(data []byte, name string) (model.Config, HFConfig, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("read %s: %s", name, fmt.Sprintf(format, args...))
	}
	var in hfConfigIn
	if err := json.Unmarshal(data, &in); err != nil {
		return model.Config{}, HFConfig{}, fail("%v", err)
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
		return model.Config{}, c, fail("model_type %q is not \"gpt2\"", *in.ModelType)
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
	for _, f := range []struct {
		raw json.RawMessage
		dst **int
	}{{in.BOSTokenID, &c.BOSTokenID}, {in.EOSTokenID, &c.EOSTokenID}} {
		var id int
		if len(f.raw) > 0 && json.Unmarshal(f.raw, &id) == nil {
			*f.dst = &id
		}
	}
	cfg := model.Config{VocabSize: c.VocabSize, Context: c.NPositions, Layers: c.NLayer, Heads: c.NHead, Channels: c.NEmbd}
	if a := c.Align; a != nil {
		cfg.ScalarHeads = a.ScalarHeads
		for _, s := range []struct {
			field string
			n     int
		}{{"head_names", len(a.HeadNames)}, {"reward_gain", len(a.RewardGain)}, {"reward_bias", len(a.RewardBias)}} {
			if s.n != 0 && s.n != a.ScalarHeads {
				return cfg, c, fail("align.%s has %d entries for %d scalar heads", s.field, s.n, a.ScalarHeads)
			}
		}
		if err := checkKind(a.Kind, a.ScalarHeads); err != nil {
			return cfg, c, fail("%v", err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, c, fail("%v", err)
	}
	return cfg, c, nil
}

// LoadHF reads a GPT-2 directory: config.json, model.safetensors and, if
// present, the tokenizer (tokenizer.json, or GPT-2's encoder.json and
// vocab.bpe). It accepts what transformers and others write: tensor names
// with or without the "transformer." prefix, F32, F16 or BF16 data, an
// "lm_head.weight" that must equal the token embedding (align ties them),
// and the attention-mask buffers of old checkpoints, which are skipped.
// Weights that hold a NaN or an infinity are refused: no command can use
// them. Errors name the file and the tensor or field at fault.
func LoadHF(dir string) (*HFModel, error) { return loadHF(dir, "") }

// loadHF is LoadHF that, unless want is empty, refuses a checkpoint of
// another kind before reading the weights.
func loadHF(dir string, want Kind) (*HFModel, error) {
	cfgPath := filepath.Join(dir, HFConfigFile)
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	cfg, hc, err := ParseHFConfig(data, cfgPath)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	wPath := filepath.Join(dir, HFWeightsFile)
	sf, err := OpenSafetensors(wPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			for _, alt := range []string{"model.safetensors.index.json", "pytorch_model.bin"} {
				if _, serr := os.Stat(filepath.Join(dir, alt)); serr == nil {
					return nil, fmt.Errorf("load model: %s has %s but no %s: only a single safetensors file is supported", dir, alt, HFWeightsFile)
				}
			}
		}
		return nil, fmt.Errorf("load model: %w", err)
	}
	defer sf.Close()
	cfg, lmHead, err := checkHFTensors(sf, cfg, hc)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	hm := &HFModel{Dir: dir, Config: hc}
	if hc.Align != nil {
		hm.Align = *hc.Align
	}
	hm.Align.ScalarHeads = cfg.ScalarHeads // also when only the weights have heads
	kind, how := kindOf(hm.Align, cfg.ScalarHeads)
	if want != "" && kind != want {
		return nil, &KindError{Dir: dir, Found: kind, Want: want, How: how}
	}
	hm.Align.Kind = kind
	if hc.Align != nil || hm.Align.ScalarHeads > 0 {
		hm.Config.Align = &hm.Align
	}
	if hm.Model, err = readHFTensors(sf, cfg, lmHead); err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	if hasTokenizer(dir) {
		tok, err := tokenizer.Load(dir)
		if err != nil {
			return nil, fmt.Errorf("load model %s: %w", dir, err)
		}
		if tok.VocabSize() > cfg.VocabSize {
			return nil, fmt.Errorf("load model %s: tokenizer has %d ids but the model only %d embedding rows", dir, tok.VocabSize(), cfg.VocabSize)
		}
		hm.Tokenizer = tok
	}
	return hm, nil
}

// hasTokenizer reports whether dir holds tokenizer files tokenizer.Load reads.
func hasTokenizer(dir string) bool {
	for _, f := range []string{HFTokenizerFile, "encoder.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
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
