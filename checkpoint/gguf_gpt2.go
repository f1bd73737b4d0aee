package checkpoint

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Metadata keys of llama.cpp's "gpt2" architecture and its BPE tokenizer.
// The hyper-parameters are UINT32 and the epsilon FLOAT32: llama.cpp checks
// the types strictly.
const (
	KeyArchitecture = "general.architecture" // STRING
	KeyName         = "general.name"         // STRING
	KeyFileType     = "general.file_type"    // UINT32: 0 all F32, 1 mostly F16

	KeyGPT2ContextLength     = "gpt2.context_length"               // UINT32, rows of position_embd
	KeyGPT2EmbeddingLength   = "gpt2.embedding_length"             // UINT32, C
	KeyGPT2FeedForwardLength = "gpt2.feed_forward_length"          // UINT32, required by llama.cpp
	KeyGPT2BlockCount        = "gpt2.block_count"                  // UINT32, L
	KeyGPT2HeadCount         = "gpt2.attention.head_count"         // UINT32, NH
	KeyGPT2LayerNormEpsilon  = "gpt2.attention.layer_norm_epsilon" // FLOAT32

	KeyTokenizerModel  = "tokenizer.ggml.model"        // STRING, "gpt2" for byte-level BPE
	KeyTokenizerPre    = "tokenizer.ggml.pre"          // STRING, pre-tokenizer name, e.g. "gpt-2"
	KeyTokenizerTokens = "tokenizer.ggml.tokens"       // ARRAY[STRING], one per embedding row
	KeyTokenizerTypes  = "tokenizer.ggml.token_type"   // ARRAY[INT32], see TokenType*
	KeyTokenizerMerges = "tokenizer.ggml.merges"       // ARRAY[STRING], "left right" in rank order
	KeyTokenizerScores = "tokenizer.ggml.scores"       // ARRAY[FLOAT32]
	KeyBOSTokenID      = "tokenizer.ggml.bos_token_id" // UINT32
	KeyEOSTokenID      = "tokenizer.ggml.eos_token_id" // UINT32
)

// llama.cpp's token types (the values of tokenizer.ggml.token_type).
const (
	TokenTypeUndefined   int32 = 0
	TokenTypeNormal      int32 = 1
	TokenTypeUnknown     int32 = 2
	TokenTypeControl     int32 = 3
	TokenTypeUserDefined int32 = 4
	TokenTypeUnused      int32 = 5
	TokenTypeByte        int32 = 6
)

// GPT2Params are the hyper-parameters of a GPT-2 model as llama.cpp's gpt2
// architecture reads them.
type GPT2Params struct {
	ContextLength     int     // rows of the position table
	EmbeddingLength   int     // C
	FeedForwardLength int     // hidden width of the MLP, usually 4C
	BlockCount        int     // L
	HeadCount         int     // NH; C must be a multiple
	LayerNormEpsilon  float32 // 1e-5 for GPT-2
}

// GGUFVocab is a tokenizer as GGUF stores it.
type GGUFVocab struct {
	Model      string   // tokenizer.ggml.model; "gpt2" when empty
	Pre        string   // tokenizer.ggml.pre, e.g. "gpt-2"; omitted when empty
	Tokens     []string // unique; token i is embedding row i
	TokenTypes []int32  // one per token; all TokenTypeNormal when nil
	Merges     []string // "left right", highest priority first; required for "gpt2"
	BOS, EOS   int      // special token ids; -1 for none
}

// GPT2Options are optional parts of a GPT-2 export.
type GPT2Options struct {
	Name  string // general.name; omitted when empty
	F16   bool   // store matrices as F16 (vectors stay F32), as llama.cpp's converter does
	Extra []KV   // more metadata, appended after the standard keys
}

// GPT2TensorName maps a Hugging Face GPT-2 tensor name (with or without the
// "transformer." prefix) to llama.cpp's name for it. transpose reports a
// Conv1D weight, which Hugging Face stores as [in, out] and GGUF wants as
// [out, in] (row-major), i.e. ggml dims {in, out}. ok is false for names
// that are not GPT-2 parameters; the attention mask buffers "h.N.attn.bias"
// and "h.N.attn.masked_bias" are not parameters either.
func GPT2TensorName(hf string) (name string, transpose, ok bool) {
	hf = strings.TrimPrefix(hf, "transformer.")
	switch hf {
	case "wte.weight":
		return "token_embd.weight", false, true
	case "wpe.weight":
		return "position_embd.weight", false, true
	case "ln_f.weight":
		return "output_norm.weight", false, true
	case "ln_f.bias":
		return "output_norm.bias", false, true
	case "lm_head.weight":
		return "output.weight", false, true
	}
	rest, found := strings.CutPrefix(hf, "h.")
	if !found {
		return "", false, false
	}
	num, suffix, found := strings.Cut(rest, ".")
	if !found {
		return "", false, false
	}
	if n, err := strconv.Atoi(num); err != nil || n < 0 || strconv.Itoa(n) != num {
		return "", false, false
	}
	blk := "blk." + num + "."
	switch suffix {
	case "ln_1.weight":
		return blk + "attn_norm.weight", false, true
	case "ln_1.bias":
		return blk + "attn_norm.bias", false, true
	case "attn.c_attn.weight":
		return blk + "attn_qkv.weight", true, true
	case "attn.c_attn.bias":
		return blk + "attn_qkv.bias", false, true
	case "attn.c_proj.weight":
		return blk + "attn_output.weight", true, true
	case "attn.c_proj.bias":
		return blk + "attn_output.bias", false, true
	case "ln_2.weight":
		return blk + "ffn_norm.weight", false, true
	case "ln_2.bias":
		return blk + "ffn_norm.bias", false, true
	case "mlp.c_fc.weight":
		return blk + "ffn_up.weight", true, true
	case "mlp.c_fc.bias":
		return blk + "ffn_up.bias", false, true
	case "mlp.c_proj.weight":
		return blk + "ffn_down.weight", true, true
	case "mlp.c_proj.bias":
		return blk + "ffn_down.bias", false, true
	}
	return "", false, false
}

// isGPT2Buffer reports the non-parameter buffers of Hugging Face's GPT-2.
func isGPT2Buffer(hf string) bool {
	hf = strings.TrimPrefix(hf, "transformer.")
	return strings.HasPrefix(hf, "h.") && (strings.HasSuffix(hf, ".attn.bias") || strings.HasSuffix(hf, ".attn.masked_bias"))
}

// GPT2GGUF lays out a GPT-2 model for llama.cpp's "gpt2" architecture: the
// metadata (hyper-parameters, tokenizer) and the tensors renamed and
// oriented as llama.cpp loads them. hf holds the model's tensors under
// Hugging Face names and shapes (see GPT2TensorName); "lm_head.weight" is
// optional and dropped when it equals "wte.weight" (tied), so llama.cpp ties
// the output to token_embd. Matrices that need transposing are copied; the
// other tensors share hf's data. Write the result with WriteGGUF or SaveGGUF.
//
// The expected shapes (row-major, V tokens, T = ContextLength, F =
// FeedForwardLength), and the ggml dims llama.cpp checks them against:
//
//	token_embd.weight          [V, C]   (ggml {C, V})
//	position_embd.weight       [T, C]   (ggml {C, T})
//	output_norm.weight/bias    [C]
//	blk.N.attn_norm.weight/bias [C]
//	blk.N.attn_qkv.weight      [3C, C]  (ggml {C, 3C}); HF c_attn [C, 3C]
//	blk.N.attn_qkv.bias        [3C]
//	blk.N.attn_output.weight   [C, C];  HF attn.c_proj [C, C], transposed
//	blk.N.ffn_norm.weight/bias [C]
//	blk.N.ffn_up.weight        [F, C]   (ggml {C, F}); HF c_fc [C, F]
//	blk.N.ffn_up.bias          [F]
//	blk.N.ffn_down.weight      [C, F]   (ggml {F, C}); HF mlp.c_proj [F, C]
//	blk.N.ffn_down.bias        [C]
func GPT2GGUF(p GPT2Params, vocab GGUFVocab, hf []Tensor, opt GPT2Options) ([]KV, []Tensor, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("gpt2 gguf: %s", fmt.Sprintf(format, args...))
	}
	C, T, F, L, NH := p.EmbeddingLength, p.ContextLength, p.FeedForwardLength, p.BlockCount, p.HeadCount
	for _, v := range []struct {
		name string
		n    int
	}{{"context length", T}, {"embedding length", C}, {"feed-forward length", F}, {"block count", L}, {"head count", NH}} {
		if v.n <= 0 || int64(v.n) > 1<<32-1 {
			return nil, nil, fail("%s %d out of range", v.name, v.n)
		}
	}
	if C%NH != 0 {
		return nil, nil, fail("embedding length %d is not a multiple of head count %d", C, NH)
	}
	if !(p.LayerNormEpsilon > 0) {
		return nil, nil, fail("layer norm epsilon %v must be positive", p.LayerNormEpsilon)
	}
	V := len(vocab.Tokens)
	if err := checkVocab(&vocab); err != nil {
		return nil, nil, fail("%v", err)
	}

	// Index the input by llama.cpp name.
	byName := make(map[string]*Tensor, len(hf))
	transposed := make(map[string]bool)
	var wte, lmHead *Tensor
	for i := range hf {
		t := &hf[i]
		if isGPT2Buffer(t.Name) {
			continue
		}
		name, tr, ok := GPT2TensorName(t.Name)
		if !ok {
			return nil, nil, fail("tensor %q is not a GPT-2 parameter", t.Name)
		}
		if byName[name] != nil {
			return nil, nil, fail("tensor %q given twice (as %q and %q)", name, byName[name].Name, t.Name)
		}
		if err := checkTensor(t); err != nil {
			return nil, nil, fail("%v", err)
		}
		byName[name] = t
		transposed[name] = tr
		switch name {
		case "token_embd.weight":
			wte = t
		case "output.weight":
			lmHead = t
		}
	}

	// want lists every output tensor with its Hugging Face shape.
	type spec struct {
		name  string
		shape []int
	}
	want := []spec{
		{"token_embd.weight", []int{V, C}},
		{"position_embd.weight", []int{T, C}},
		{"output_norm.weight", []int{C}},
		{"output_norm.bias", []int{C}},
	}
	if lmHead != nil && !(wte != nil && slices.Equal(lmHead.Shape, wte.Shape) && slices.Equal(lmHead.Data, wte.Data)) {
		want = append(want, spec{"output.weight", []int{V, C}})
	} else {
		delete(byName, "output.weight") // tied: llama.cpp reuses token_embd
	}
	for l := range L {
		b := "blk." + strconv.Itoa(l) + "."
		want = append(want,
			spec{b + "attn_norm.weight", []int{C}}, spec{b + "attn_norm.bias", []int{C}},
			spec{b + "attn_qkv.weight", []int{C, 3 * C}}, spec{b + "attn_qkv.bias", []int{3 * C}},
			spec{b + "attn_output.weight", []int{C, C}}, spec{b + "attn_output.bias", []int{C}},
			spec{b + "ffn_norm.weight", []int{C}}, spec{b + "ffn_norm.bias", []int{C}},
			spec{b + "ffn_up.weight", []int{C, F}}, spec{b + "ffn_up.bias", []int{F}},
			spec{b + "ffn_down.weight", []int{F, C}}, spec{b + "ffn_down.bias", []int{C}},
		)
	}
	out := make([]Tensor, 0, len(want))
	for _, w := range want {
		t := byName[w.name]
		if t == nil {
			return nil, nil, fail("missing tensor for %q", w.name)
		}
		delete(byName, w.name)
		if !slices.Equal(t.Shape, w.shape) {
			return nil, nil, fail("tensor %q (for %q) has shape %v, want %v", t.Name, w.name, t.Shape, w.shape)
		}
		o := Tensor{Name: w.name, Shape: t.Shape, Data: t.Data}
		if transposed[w.name] {
			o.Shape = []int{w.shape[1], w.shape[0]}
			o.Data = transpose(t.Data, w.shape[0], w.shape[1])
		}
		if opt.F16 && len(o.Shape) == 2 {
			o.DType = F16
		}
		out = append(out, o)
	}
	if len(byName) > 0 {
		left := make([]string, 0, len(byName))
		for _, t := range byName {
			left = append(left, t.Name)
		}
		slices.Sort(left)
		return nil, nil, fail("tensor %q does not belong to a %d-layer model", left[0], L)
	}

	fileType := uint32(0) // ALL_F32
	if opt.F16 {
		fileType = 1 // MOSTLY_F16
	}
	kvs := []KV{{KeyArchitecture, "gpt2"}}
	if opt.Name != "" {
		kvs = append(kvs, KV{KeyName, opt.Name})
	}
	kvs = append(kvs,
		KV{KeyGPT2ContextLength, uint32(T)},
		KV{KeyGPT2EmbeddingLength, uint32(C)},
		KV{KeyGPT2FeedForwardLength, uint32(F)},
		KV{KeyGPT2BlockCount, uint32(L)},
		KV{KeyGPT2HeadCount, uint32(NH)},
		KV{KeyGPT2LayerNormEpsilon, p.LayerNormEpsilon},
		KV{KeyFileType, fileType},
	)
	kvs = append(kvs, vocabKVs(&vocab)...)
	kvs = append(kvs, opt.Extra...)
	return kvs, out, nil
}

// checkVocab validates a vocabulary for export.
func checkVocab(v *GGUFVocab) error {
	if len(v.Tokens) == 0 {
		return fmt.Errorf("vocabulary has no tokens")
	}
	seen := make(map[string]int, len(v.Tokens))
	for i, tok := range v.Tokens {
		if j, dup := seen[tok]; dup {
			return fmt.Errorf("tokens %d and %d are both %q; llama.cpp needs unique tokens", j, i, tok)
		}
		seen[tok] = i
	}
	if v.TokenTypes != nil && len(v.TokenTypes) != len(v.Tokens) {
		return fmt.Errorf("%d token types for %d tokens", len(v.TokenTypes), len(v.Tokens))
	}
	if (v.Model == "" || v.Model == "gpt2") && len(v.Merges) == 0 {
		return fmt.Errorf("a gpt2 (BPE) tokenizer needs merges")
	}
	for i, m := range v.Merges {
		l, r, ok := strings.Cut(m, " ")
		if !ok || l == "" || r == "" || strings.Contains(r, " ") {
			return fmt.Errorf("merge %d %q is not \"left right\"", i, m)
		}
	}
	for _, id := range []struct {
		name string
		id   int
	}{{"BOS", v.BOS}, {"EOS", v.EOS}} {
		if id.id < -1 || id.id >= len(v.Tokens) {
			return fmt.Errorf("%s token id %d outside the %d tokens", id.name, id.id, len(v.Tokens))
		}
	}
	return nil
}

// vocabKVs returns the tokenizer metadata of a checked vocabulary.
func vocabKVs(v *GGUFVocab) []KV {
	model := v.Model
	if model == "" {
		model = "gpt2"
	}
	kvs := []KV{{KeyTokenizerModel, model}}
	if v.Pre != "" {
		kvs = append(kvs, KV{KeyTokenizerPre, v.Pre})
	}
	types := v.TokenTypes
	if types == nil {
		types = make([]int32, len(v.Tokens))
		for i := range types {
			types[i] = TokenTypeNormal
		}
	}
	kvs = append(kvs, KV{KeyTokenizerTokens, v.Tokens}, KV{KeyTokenizerTypes, types})
	if len(v.Merges) > 0 {
		kvs = append(kvs, KV{KeyTokenizerMerges, v.Merges})
	}
	if v.BOS >= 0 {
		kvs = append(kvs, KV{KeyBOSTokenID, uint32(v.BOS)})
	}
	if v.EOS >= 0 {
		kvs = append(kvs, KV{KeyEOSTokenID, uint32(v.EOS)})
	}
	return kvs
}

// transpose returns the [cols, rows] transpose of a row-major [rows, cols]
// matrix, in tiles so that both sides stay in cache.
func transpose(src []float32, rows, cols int) []float32 {
	const tile = 32
	dst := make([]float32, len(src))
	for i0 := 0; i0 < rows; i0 += tile {
		for j0 := 0; j0 < cols; j0 += tile {
			for i := i0; i < min(i0+tile, rows); i++ {
				for j := j0; j < min(j0+tile, cols); j++ {
					dst[j*rows+i] = src[i*cols+j]
				}
			}
		}
	}
	return dst
}
