package checkpoint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/align-project/align/model"
	"github.com/align-project/align/tensor"
	"github.com/align-project/align/tokenizer"
)

// Extra GGUF keys the export writes besides those of GPT2GGUF.
const (
	KeyAddBOSToken  = "tokenizer.ggml.add_bos_token" // BOOL
	KeyChatTemplate = "tokenizer.chat_template"      // STRING, Jinja
)

// ggufPre names the tokenizer package's pre-tokenisation patterns as
// llama.cpp's tokenizer.ggml.pre does: cl100k's regular expression is the
// one llama.cpp calls "llama-bpe" (Llama 3), Qwen2's is "qwen2".
var ggufPre = map[tokenizer.Pattern]string{
	tokenizer.PatternGPT2:   "gpt-2",
	tokenizer.PatternCL100K: "llama-bpe",
	tokenizer.PatternQwen2:  "qwen2",
}

// GGUFVocabOf converts a tokenizer to GGUF's form for a model with
// vocabSize embedding rows: tokens in GPT-2's byte-level spelling ("Ġthe"),
// added tokens as written (special ones CONTROL, the others USER_DEFINED),
// ids without a token (padding rows) as "[PADn]" UNUSED, as llama.cpp's
// converter does; merges as "left right"; BOS and EOS as in config.json.
func GGUFVocabOf(tok *tokenizer.Tokenizer, vocabSize int) (GGUFVocab, error) {
	fail := func(format string, args ...any) (GGUFVocab, error) {
		return GGUFVocab{}, fmt.Errorf("gguf vocabulary: %s", fmt.Sprintf(format, args...))
	}
	if tok.VocabSize() > vocabSize {
		return fail("tokenizer has %d ids but the model only %d embedding rows", tok.VocabSize(), vocabSize)
	}
	pre, ok := ggufPre[tok.Pattern()]
	if !ok {
		return fail("pre-tokenizer %q has no llama.cpp name", tok.Pattern())
	}
	// tokenizer.json already spells everything the way GGUF wants it.
	var buf bytes.Buffer
	if err := tok.WriteJSON(&buf); err != nil {
		return fail("%v", err)
	}
	var tj struct {
		Model struct {
			Vocab  map[string]int `json:"vocab"`
			Merges []string       `json:"merges"`
		} `json:"model"`
	}
	if err := json.Unmarshal(buf.Bytes(), &tj); err != nil {
		return fail("%v", err)
	}
	v := GGUFVocab{
		Model: "gpt2", Pre: pre,
		Tokens:     make([]string, vocabSize),
		TokenTypes: make([]int32, vocabSize),
		Merges:     tj.Model.Merges,
	}
	have := make([]bool, vocabSize)
	for s, id := range tj.Model.Vocab {
		if id < 0 || id >= vocabSize {
			return fail("token %q has id %d outside [0, %d)", s, id, vocabSize)
		}
		v.Tokens[id], v.TokenTypes[id], have[id] = s, TokenTypeNormal, true
	}
	for _, a := range tok.AddedTokens() {
		v.Tokens[a.ID], v.TokenTypes[a.ID], have[a.ID] = a.Content, TokenTypeUserDefined, true
		if a.Special {
			v.TokenTypes[a.ID] = TokenTypeControl
		}
	}
	for id := range v.Tokens {
		if !have[id] {
			v.Tokens[id], v.TokenTypes[id] = fmt.Sprintf("[PAD%d]", id), TokenTypeUnused
		}
	}
	v.BOS, v.EOS, _ = specialIDs(tok)
	return v, nil
}

// GGUFExportOptions are the optional parts of ExportGGUF.
type GGUFExportOptions struct {
	Name string // general.name
	F16  bool   // matrices as F16, as llama.cpp's converter writes by default
}

// GGUF lays out a model and its tokenizer for llama.cpp: a GPT-2 for its
// gpt2 architecture (see GPT2GGUF), a Llama-family model for its llama,
// qwen2 or qwen3 architecture (see LlamaGGUFArch). Scalar heads have no
// place in llama.cpp and are left out. A model with LoRA adapters is
// exported merged.
func GGUF(m *model.Model, tok *tokenizer.Tokenizer, opt GGUFExportOptions) ([]KV, []Tensor, error) {
	if tok == nil {
		return nil, nil, fmt.Errorf("gguf: no tokenizer, which a GGUF file must contain")
	}
	if m.Config.IsLlama() {
		return llamaGGUF(m, tok, opt)
	}
	if err := gpt2Only(m); err != nil {
		return nil, nil, fmt.Errorf("gguf: %w", err)
	}
	if _, ok := m.LoRA(); ok {
		merged, err := m.Merged()
		if err != nil {
			return nil, nil, fmt.Errorf("gguf: %w", err)
		}
		m = merged
	}
	vocab, err := GGUFVocabOf(tok, m.Config.VocabSize)
	if err != nil {
		return nil, nil, err
	}
	hf := slices.DeleteFunc(HFTensors(m, F32), func(t Tensor) bool { return strings.HasPrefix(t.Name, "score.") })
	cfg := m.Config
	p := GPT2Params{
		ContextLength: cfg.Context, EmbeddingLength: cfg.Channels, FeedForwardLength: 4 * cfg.Channels,
		BlockCount: cfg.Layers, HeadCount: cfg.Heads, LayerNormEpsilon: tensor.LayerNormEps,
	}
	extra := []KV{{KeyAddBOSToken, false}}
	if t, ok := chatTemplate(tok); ok {
		extra = append(extra, KV{KeyChatTemplate, t})
	}
	return GPT2GGUF(p, vocab, hf, GPT2Options{Name: opt.Name, F16: opt.F16, Extra: extra})
}

// ExportGGUF writes m and tok as a GGUF v3 file for llama.cpp, then reads the
// file back and checks every key and tensor against what was meant to be
// written. Weights that hold a NaN or an infinity are refused: llama.cpp
// would load them and answer nonsense.
func ExportGGUF(path string, m *model.Model, tok *tokenizer.Tokenizer, opt GGUFExportOptions) error {
	if err := m.CheckFinite(); err != nil {
		return fmt.Errorf("export gguf %s: %w: the weights are broken; export an earlier checkpoint or train again", path, err)
	}
	kvs, tensors, err := GGUF(m, tok, opt)
	if err != nil {
		return fmt.Errorf("export gguf %s: %w", path, err)
	}
	if err := SaveGGUF(path, kvs, tensors); err != nil {
		return fmt.Errorf("export gguf: %w", err)
	}
	if err := verifyGGUF(path, kvs, tensors); err != nil {
		return fmt.Errorf("export gguf: verify %s: %w", path, err)
	}
	return nil
}

// verifyGGUF reads path back and compares it with kvs and tensors.
func verifyGGUF(path string, kvs []KV, tensors []Tensor) error {
	g, err := OpenGGUF(path)
	if err != nil {
		return err
	}
	defer g.Close()
	for _, kv := range kvs {
		got, ok := g.Lookup(kv.Key)
		if !ok {
			return fmt.Errorf("key %s is missing", kv.Key)
		}
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(kv.Value)
		if !bytes.Equal(a, b) || fmt.Sprintf("%T", got) != fmt.Sprintf("%T", kv.Value) {
			return fmt.Errorf("key %s reads back as %T %.80s, want %T %.80s", kv.Key, got, a, kv.Value, b)
		}
	}
	if len(g.Tensors) != len(tensors) {
		return fmt.Errorf("%d tensors, want %d", len(g.Tensors), len(tensors))
	}
	for _, t := range tensors {
		info, ok := g.Tensor(t.Name)
		if !ok {
			return fmt.Errorf("tensor %s is missing", t.Name)
		}
		if !slices.Equal(info.Shape(), t.Shape) {
			return fmt.Errorf("tensor %s has shape %v, want %v", t.Name, info.Shape(), t.Shape)
		}
		got, err := g.ReadFloat32(t.Name)
		if err != nil {
			return err
		}
		for i, x := range t.Data {
			want := x
			if t.DType == F16 {
				want = F16ToFloat32(Float32ToF16(x))
			}
			if math.Float32bits(got[i]) != math.Float32bits(want) {
				return fmt.Errorf("tensor %s element %d reads back as %v, want %v", t.Name, i, got[i], want)
			}
		}
	}
	return nil
}
