package checkpoint

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/align-project/align/model"
	"github.com/align-project/align/tensor"
	"github.com/align-project/align/tokenizer"
)

// llama.cpp's architectures for the Llama family (general.architecture).
const (
	GGUFArchLlama = "llama"
	GGUFArchQwen2 = "qwen2"
	GGUFArchQwen3 = "qwen3"
)

// Hyper-parameter keys of the Llama-family architectures, read under
// "{arch}." (see LlamaGGUFKey). Sizes are UINT32 and the rest FLOAT32:
// llama.cpp checks the types strictly.
const (
	GGUFContextLength     = "context_length"                   // UINT32
	GGUFEmbeddingLength   = "embedding_length"                 // UINT32, C
	GGUFFeedForwardLength = "feed_forward_length"              // UINT32, H
	GGUFBlockCount        = "block_count"                      // UINT32, L
	GGUFHeadCount         = "attention.head_count"             // UINT32, NH
	GGUFHeadCountKV       = "attention.head_count_kv"          // UINT32, NKV
	GGUFRMSEpsilon        = "attention.layer_norm_rms_epsilon" // FLOAT32
	GGUFRopeFreqBase      = "rope.freq_base"                   // FLOAT32, θ
	GGUFKeyLength         = "attention.key_length"             // UINT32, HD; C/NH when absent
	GGUFValueLength       = "attention.value_length"           // UINT32, HD; C/NH when absent
	GGUFRopeDimCount      = "rope.dimension_count"             // UINT32, rotated channels per head
	GGUFVocabSize         = "vocab_size"                       // UINT32, V
)

// LlamaGGUFKey is the metadata key of a hyper-parameter of arch, e.g.
// "qwen3.attention.key_length".
func LlamaGGUFKey(arch, key string) string { return arch + "." + key }

// ggufRopeFreqs is the tensor of Llama 3's RoPE frequency divisors.
const ggufRopeFreqs = "rope_freqs.weight"

// LlamaGGUFTensorName maps a Hugging Face Llama, Qwen2 or Qwen3 tensor name
// to llama.cpp's. ok is false for names that are no such parameter,
// the scalar heads (score.*) included: llama.cpp has no place for them.
func LlamaGGUFTensorName(hf string) (name string, ok bool) {
	switch hf {
	case "model.embed_tokens.weight":
		return "token_embd.weight", true
	case "model.norm.weight":
		return "output_norm.weight", true
	case "lm_head.weight":
		return "output.weight", true
	}
	rest, found := strings.CutPrefix(hf, "model.layers.")
	if !found {
		return "", false
	}
	num, suffix, found := strings.Cut(rest, ".")
	if n, err := strconv.Atoi(num); !found || err != nil || n < 0 || strconv.Itoa(n) != num {
		return "", false
	}
	blk := "blk." + num + "."
	switch suffix {
	case "input_layernorm.weight":
		return blk + "attn_norm.weight", true
	case "self_attn.q_proj.weight":
		return blk + "attn_q.weight", true
	case "self_attn.q_proj.bias":
		return blk + "attn_q.bias", true
	case "self_attn.k_proj.weight":
		return blk + "attn_k.weight", true
	case "self_attn.k_proj.bias":
		return blk + "attn_k.bias", true
	case "self_attn.v_proj.weight":
		return blk + "attn_v.weight", true
	case "self_attn.v_proj.bias":
		return blk + "attn_v.bias", true
	case "self_attn.q_norm.weight":
		return blk + "attn_q_norm.weight", true
	case "self_attn.k_norm.weight":
		return blk + "attn_k_norm.weight", true
	case "self_attn.o_proj.weight":
		return blk + "attn_output.weight", true
	case "post_attention_layernorm.weight":
		return blk + "ffn_norm.weight", true
	case "mlp.gate_proj.weight":
		return blk + "ffn_gate.weight", true
	case "mlp.up_proj.weight":
		return blk + "ffn_up.weight", true
	case "mlp.down_proj.weight":
		return blk + "ffn_down.weight", true
	}
	return "", false
}

// LlamaGGUFArch is the llama.cpp architecture that runs a Llama-family model
// of cfg: the one of its Hugging Face model type (see hfLlamaType). llama.cpp's
// qwen2 graph cannot hold every Qwen2 model, though: it needs NH·HD = C and
// has no RoPE scaling. Such a model goes to the llama architecture, which
// has both and takes q/k/v biases too. Qwen3 with Llama 3 RoPE scaling has
// no architecture at all.
func LlamaGGUFArch(cfg model.Config) (string, error) {
	mt, err := hfLlamaType(cfg)
	if err != nil {
		return "", err
	}
	switch mt {
	case hfQwen3:
		if cfg.RopeScaling != nil {
			return "", fmt.Errorf("llama.cpp's qwen3 architecture has no Llama 3 RoPE scaling")
		}
		return GGUFArchQwen3, nil
	case hfQwen2:
		if cfg.RopeScaling == nil && (cfg.HeadDim == 0 || cfg.HeadDim*cfg.Heads == cfg.Channels) {
			return GGUFArchQwen2, nil
		}
	}
	return GGUFArchLlama, nil
}

// llamaGGUF lays out a Llama-family model and its tokenizer for llama.cpp's
// llama, qwen2 or qwen3 architecture (LlamaGGUFArch), as its
// convert_hf_to_gguf.py would from the Hugging Face directory SaveHF writes.
//
// The tensors keep Hugging Face's row-major (out, in) shapes, which are
// llama.cpp's {in, out}. One layout differs: align's RoPE rotates the two
// halves of a head against each other (rotate_half, llama.cpp's NEOX mode),
// which qwen2 and qwen3 use too, while the llama architecture rotates
// adjacent pairs. For it the q and k rows (and biases) of every head are
// interleaved, row 2i taking row i and row 2i+1 row i+HD/2, which turns one
// rotation into the other without changing any attention score.
func llamaGGUF(m *model.Model, tok *tokenizer.Tokenizer, opt GGUFExportOptions) ([]KV, []Tensor, error) {
	fail := func(format string, args ...any) ([]KV, []Tensor, error) {
		return nil, nil, fmt.Errorf("gguf: %s", fmt.Sprintf(format, args...))
	}
	cfg := m.Config
	arch, err := LlamaGGUFArch(cfg)
	if err != nil {
		return fail("%v", err)
	}
	// The Hugging Face config resolves align's zero defaults.
	hc, err := NewHFLlamaConfig(m, nil, AlignConfig{}, F32)
	if err != nil {
		return fail("%v", err)
	}
	NH, NKV, HD := hc.NumAttentionHeads, hc.NumKeyValueHeads, hc.HeadDim
	for _, v := range []struct {
		name string
		n    int
	}{{"context", hc.MaxPositionEmbeddings}, {"channels", hc.HiddenSize}, {"hidden", hc.IntermediateSize},
		{"layers", hc.NumHiddenLayers}, {"vocab size", hc.VocabSize}} {
		if v.n <= 0 || int64(v.n) > math.MaxUint32 {
			return fail("%s %d out of range", v.name, v.n)
		}
	}
	vocab, err := GGUFVocabOf(tok, cfg.VocabSize)
	if err != nil {
		return nil, nil, err
	}
	addBOS := false
	if f, err := tok.ChatFormat(); err == nil && f.Name == tokenizer.ChatLlama3 && f.BOS >= 0 {
		// Hugging Face's Llama 3 tokenizer starts every text with
		// <|begin_of_text|>; llama.cpp adds it only when told so.
		vocab.BOS, addBOS = f.BOS, true
	}
	if err := checkVocab(&vocab); err != nil {
		return fail("%v", err)
	}

	permute := arch == GGUFArchLlama
	var out []Tensor
	for _, t := range HFLlamaTensors(m, F32) {
		if strings.HasPrefix(t.Name, "score.") {
			continue // scalar heads: no place in llama.cpp
		}
		name, ok := LlamaGGUFTensorName(t.Name)
		if !ok {
			return fail("tensor %q has no llama.cpp name", t.Name)
		}
		o := Tensor{Name: name, Shape: t.Shape, Data: t.Data}
		if permute {
			switch {
			case strings.Contains(t.Name, ".q_proj."):
				o.Data = interleaveRope(t.Data, NH, HD)
			case strings.Contains(t.Name, ".k_proj."):
				o.Data = interleaveRope(t.Data, NKV, HD)
			}
		}
		if opt.F16 && len(o.Shape) == 2 {
			o.DType = F16
			if i := firstOutsideF16(o.Data); i >= 0 {
				return fail("tensor %s (%s) element %d is %v, beyond F16's range: export as f32", name, t.Name, i, o.Data[i])
			}
		}
		out = append(out, o)
		if name == "token_embd.weight" && cfg.RopeScaling != nil {
			out = append(out, Tensor{Name: ggufRopeFreqs, Shape: []int{HD / 2}, Data: ropeFreqFactors(HD, hc.RopeTheta, cfg.RopeScaling)})
		}
	}

	fileType := uint32(0) // ALL_F32
	if opt.F16 {
		fileType = 1 // MOSTLY_F16
	}
	key := func(k string) string { return LlamaGGUFKey(arch, k) }
	kvs := []KV{{KeyArchitecture, arch}}
	if opt.Name != "" {
		kvs = append(kvs, KV{KeyName, opt.Name})
	}
	kvs = append(kvs,
		KV{key(GGUFBlockCount), uint32(hc.NumHiddenLayers)},
		KV{key(GGUFContextLength), uint32(hc.MaxPositionEmbeddings)},
		KV{key(GGUFEmbeddingLength), uint32(hc.HiddenSize)},
		KV{key(GGUFFeedForwardLength), uint32(hc.IntermediateSize)},
		KV{key(GGUFHeadCount), uint32(NH)},
		KV{key(GGUFHeadCountKV), uint32(NKV)},
		KV{key(GGUFRopeFreqBase), float32(hc.RopeTheta)},
		KV{key(GGUFRMSEpsilon), float32(hc.RMSNormEps)},
	)
	if NH*HD != hc.HiddenSize {
		// llama.cpp takes C/NH otherwise.
		kvs = append(kvs, KV{key(GGUFKeyLength), uint32(HD)}, KV{key(GGUFValueLength), uint32(HD)})
	}
	if arch == GGUFArchLlama {
		// As convert_hf_to_gguf.py writes them for llama; llama.cpp refuses a
		// rope dimension other than the head's.
		kvs = append(kvs, KV{key(GGUFVocabSize), uint32(hc.VocabSize)}, KV{key(GGUFRopeDimCount), uint32(HD)})
	}
	kvs = append(kvs, KV{KeyFileType, fileType})
	kvs = append(kvs, vocabKVs(&vocab)...)
	kvs = append(kvs, KV{KeyAddBOSToken, addBOS})
	if t, ok := chatTemplate(tok); ok {
		kvs = append(kvs, KV{KeyChatTemplate, t})
	}
	return kvs, out, nil
}

// interleaveRope reorders the rows of the heads×hd rows of w (a weight of any
// width, or a bias) from rotate_half's pairing (i, i+hd/2) to adjacent pairs
// (2i, 2i+1), into a new slice.
func interleaveRope(w []float32, heads, hd int) []float32 {
	width := len(w) / (heads * hd)
	out := make([]float32, len(w))
	h := hd / 2
	for head := range heads {
		base := head * hd
		for i := range h {
			for j := range 2 {
				dst := (base + 2*i + j) * width
				src := (base + j*h + i) * width
				copy(out[dst:dst+width], w[src:src+width])
			}
		}
	}
	return out
}

// ropeFreqFactors returns the hd/2 divisors llama.cpp applies to the RoPE
// frequencies θ^(−2i/hd) (its rope_freqs tensor) to get Llama 3's scaled
// ones: plain over scaled, as tensor.RoPEInvFreq computes both.
func ropeFreqFactors(hd int, theta float64, s *tensor.RoPEScaling) []float32 {
	plain, scaled := tensor.RoPEInvFreq(hd, theta, nil), tensor.RoPEInvFreq(hd, theta, s)
	f := make([]float32, len(plain))
	for i := range f {
		f[i] = float32(plain[i] / scaled[i])
	}
	return f
}

// firstOutsideF16 returns the index of the first finite value of x that F16
// rounds to an infinity, or -1.
func firstOutsideF16(x []float32) int {
	const maxF16 = 65504 + 16 // values below round down to 65504
	for i, v := range x {
		if v >= maxF16 || v <= -maxF16 {
			return i
		}
	}
	return -1
}
