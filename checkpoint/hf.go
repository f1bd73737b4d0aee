package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/align-project/align/model"
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
	HFIndexFile            = "model.safetensors.index.json" // names the shards of a sharded model
)

// HFConfig is the config.json of a GPT-2 directory (for the Llama family,
// see its Llama field): the fields of Hugging
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
	// Llama is the whole config.json of a Llama, Qwen2 or Qwen3 directory,
	// whose HFConfig has only the fields the families share (Architectures,
	// ModelType, VocabSize, TieWordEmbeddings, TorchDType, the token ids and
	// Align); nil for GPT-2. It is never part of GPT-2's JSON.
	Llama *HFLlamaConfig `json:"-"`
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
	// MaxShardBytes, when positive, splits the weights of a Llama-family
	// model bigger than it into model-0000i-of-0000n.safetensors files and
	// model.safetensors.index.json, as transformers' save_pretrained does.
	// A tensor is never split, so a shard holding one big tensor may exceed
	// it. GPT-2 directories are always one file.
	MaxShardBytes int64
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

// SaveHF writes m and its tokenizer (may be nil) to dir as a Hugging Face
// directory that transformers' from_pretrained and LoadHF both read: for
// GPT-2 a GPT2LMHeadModel, for the Llama family a LlamaForCausalLM,
// Qwen2ForCausalLM or Qwen3ForCausalLM (see hfLlamaType), possibly sharded
// (HFOptions.MaxShardBytes). It writes config.json, model.safetensors (metadata
// {"format": "pt"}), generation_config.json and, with a tokenizer,
// tokenizer.json, tokenizer_config.json and special_tokens_map.json. Every
// file is written atomically; config.json comes last, so a directory with a
// config.json holds a complete model.
//
// A model with LoRA adapters is saved merged (model.Merged: the base with
// every adapter folded in), a full model that needs no PEFT to load; the
// adapters alone are saved by SaveLoRA.
func SaveHF(dir string, m *model.Model, tok *tokenizer.Tokenizer, opt HFOptions) error {
	fail := func(err error) error { return fmt.Errorf("save model %s: %w", dir, err) }
	if _, ok := m.LoRA(); ok {
		merged, err := m.Merged()
		if err != nil {
			return fail(err)
		}
		m = merged
	}
	var config any
	if m.Config.IsLlama() {
		c, err := NewHFLlamaConfig(m, tok, opt.Align, opt.DType)
		if err != nil {
			return fail(err)
		}
		config = c
	} else {
		config = NewHFConfig(m, tok, opt.Align, opt.DType)
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
	var err error
	if m.Config.IsLlama() {
		err = saveLlamaWeights(dir, m, opt)
	} else {
		err = SaveSafetensors(filepath.Join(dir, HFWeightsFile), HFTensors(m, opt.DType), map[string]string{"format": "pt"})
	}
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
	if err := writeJSONFile(filepath.Join(dir, HFConfigFile), config); err != nil {
		return fail(err)
	}
	return nil
}

// LoadHF reads a GPT-2, Llama, Qwen2 or Qwen3 directory: config.json, the
// weights and, if present, the tokenizer (tokenizer.json, or GPT-2's
// encoder.json and vocab.bpe). A Llama-family model's weights are
// model.safetensors or the shards model.safetensors.index.json names (see
// openHFWeights and checkLlamaTensors). A GPT-2's are one model.safetensors,
// and LoadHF accepts what transformers and others write: tensor names
// with or without the "transformer." prefix, F32, F16 or BF16 data, an
// "lm_head.weight" that must equal the token embedding (align ties them),
// and the attention-mask buffers of old checkpoints, which are skipped.
// Weights that hold a NaN or an infinity are refused: no command can use
// them. Errors name the file and the tensor or field at fault.
//
// A PEFT adapter directory (adapter_config.json and no config.json) loads
// as its base model with the adapters merged in (see loadAdapterHF), so
// every command that reads a model reads an adapter too.
func LoadHF(dir string) (*HFModel, error) { return loadHF(dir, "") }

// loadHF is LoadHF that, unless want is empty, refuses a checkpoint of
// another kind before reading the weights.
func loadHF(dir string, want Kind) (*HFModel, error) { return loadHFChain(dir, want, nil) }

// loadHFChain is loadHF reached through the adapter directories in chain
// (absolute paths, outermost first), whose bases lead to dir.
func loadHFChain(dir string, want Kind, chain []string) (*HFModel, error) {
	cfgPath := filepath.Join(dir, HFConfigFile)
	data, err := os.ReadFile(cfgPath)
	if errors.Is(err, os.ErrNotExist) {
		if _, aerr := os.Stat(filepath.Join(dir, PEFTConfigFile)); aerr == nil {
			return loadAdapterHF(dir, want, chain)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	cfg, hc, err := ParseHFConfig(data, cfgPath)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	var read func(model.Config) (*model.Model, error)
	if cfg.IsLlama() {
		ws, err := openHFWeights(dir)
		if err != nil {
			return nil, fmt.Errorf("load model: %w", err)
		}
		defer ws.Close()
		if cfg, err = checkLlamaTensors(ws, cfg, hc); err != nil {
			return nil, fmt.Errorf("load model: %w", err)
		}
		read = func(cfg model.Config) (*model.Model, error) { return readLlamaTensors(ws, cfg) }
	} else {
		wPath := filepath.Join(dir, HFWeightsFile)
		sf, err := OpenSafetensors(wPath)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				for _, alt := range []string{HFIndexFile, "pytorch_model.bin"} {
					if _, serr := os.Stat(filepath.Join(dir, alt)); serr == nil {
						return nil, fmt.Errorf("load model: %s has %s but no %s: only a single safetensors file is supported", dir, alt, HFWeightsFile)
					}
				}
			}
			return nil, fmt.Errorf("load model: %w", err)
		}
		defer sf.Close()
		var lmHead *SafetensorsTensor
		if cfg, lmHead, err = checkHFTensors(sf, cfg, hc); err != nil {
			return nil, fmt.Errorf("load model: %w", err)
		}
		read = func(cfg model.Config) (*model.Model, error) { return readHFTensors(sf, cfg, lmHead) }
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
	if hm.Config.Llama != nil {
		hm.Config.Llama.Align = hm.Config.Align
	}
	if hm.Model, err = read(cfg); err != nil {
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
