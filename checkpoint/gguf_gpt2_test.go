package checkpoint

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// tinyGPT2 returns hyper-parameters, a vocabulary and random tensors in
// Hugging Face GPT-2 layout (with the "transformer." prefix and the attention
// mask buffers, as a saved GPT2LMHeadModel has them).
func tinyGPT2(tied bool) (GPT2Params, GGUFVocab, []Tensor) {
	p := GPT2Params{ContextLength: 6, EmbeddingLength: 8, FeedForwardLength: 32, BlockCount: 2, HeadCount: 2, LayerNormEpsilon: 1e-5}
	V, C, T, F := 10, p.EmbeddingLength, p.ContextLength, p.FeedForwardLength
	vocab := GGUFVocab{
		Pre:    "gpt-2",
		Tokens: []string{"a", "b", "c", "Ġ", "ab", "Ġa", "bc", "abc", "x", "<|endoftext|>"},
		Merges: []string{"a b", "Ġ a", "b c", "ab c"},
		BOS:    9, EOS: 9,
	}
	rng := rand.New(rand.NewPCG(7, 8))
	var ts []Tensor
	add := func(name string, shape ...int) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = float32(rng.NormFloat64())
		}
		ts = append(ts, Tensor{Name: "transformer." + name, Shape: shape, Data: data})
	}
	add("wte.weight", V, C)
	add("wpe.weight", T, C)
	for l := range p.BlockCount {
		h := fmt.Sprintf("h.%d.", l)
		add(h+"ln_1.weight", C)
		add(h+"ln_1.bias", C)
		add(h+"attn.c_attn.weight", C, 3*C)
		add(h+"attn.c_attn.bias", 3*C)
		add(h+"attn.c_proj.weight", C, C)
		add(h+"attn.c_proj.bias", C)
		add(h+"ln_2.weight", C)
		add(h+"ln_2.bias", C)
		add(h+"mlp.c_fc.weight", C, F)
		add(h+"mlp.c_fc.bias", F)
		add(h+"mlp.c_proj.weight", F, C)
		add(h+"mlp.c_proj.bias", C)
		add(h+"attn.bias", 1, 1, T, T) // the causal mask buffer, not a parameter
	}
	add("ln_f.weight", C)
	add("ln_f.bias", C)
	if tied {
		ts = append(ts, Tensor{Name: "lm_head.weight", Shape: []int{V, C}, Data: ts[0].Data})
	} else {
		add("lm_head.weight", V, C)
		ts[len(ts)-1].Name = "lm_head.weight"
	}
	return p, vocab, ts
}

func exportTiny(t *testing.T, tied bool, opt GPT2Options) (*GGUFFile, []Tensor) {
	t.Helper()
	p, vocab, hf := tinyGPT2(tied)
	kvs, ts, err := GPT2GGUF(p, vocab, hf, opt)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteGGUF(&buf, kvs, ts); err != nil {
		t.Fatal(err)
	}
	g, err := parseGGUF(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return g, hf
}

// TestGPT2GGUFKeys checks every key DESIGN.md lists, with its exact type.
func TestGPT2GGUFKeys(t *testing.T) {
	g, _ := exportTiny(t, true, GPT2Options{Name: "tiny"})
	want := map[string]any{
		"general.architecture":              "gpt2",
		"general.name":                      "tiny",
		"general.file_type":                 uint32(0),
		"gpt2.context_length":               uint32(6),
		"gpt2.embedding_length":             uint32(8),
		"gpt2.feed_forward_length":          uint32(32),
		"gpt2.block_count":                  uint32(2),
		"gpt2.attention.head_count":         uint32(2),
		"gpt2.attention.layer_norm_epsilon": float32(1e-5),
		"tokenizer.ggml.model":              "gpt2",
		"tokenizer.ggml.pre":                "gpt-2",
		"tokenizer.ggml.tokens":             []string{"a", "b", "c", "Ġ", "ab", "Ġa", "bc", "abc", "x", "<|endoftext|>"},
		"tokenizer.ggml.token_type":         []int32{1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
		"tokenizer.ggml.merges":             []string{"a b", "Ġ a", "b c", "ab c"},
		"tokenizer.ggml.bos_token_id":       uint32(9),
		"tokenizer.ggml.eos_token_id":       uint32(9),
	}
	if len(g.KV) != len(want) {
		t.Errorf("%d keys, want %d", len(g.KV), len(want))
	}
	for k, v := range want {
		got, ok := g.Lookup(k)
		if !ok || !reflect.DeepEqual(got, v) {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}
}

// TestGPT2GGUFTensors checks names, the ggml dims llama.cpp's gpt2 loader
// asks for, and the data: HF Conv1D weights come out transposed so that
// ggml's mul_mat computes what Conv1D computes.
func TestGPT2GGUFTensors(t *testing.T) {
	const V, C, T, F = 10, 8, 6, 32
	for _, tied := range []bool{true, false} {
		g, hf := exportTiny(t, tied, GPT2Options{})
		hfByName := map[string]Tensor{}
		for _, x := range hf {
			hfByName[strings.TrimPrefix(x.Name, "transformer.")] = x
		}
		dims := map[string][]uint64{
			"token_embd.weight":    {C, V},
			"position_embd.weight": {C, T},
			"output_norm.weight":   {C}, "output_norm.bias": {C},
		}
		if !tied {
			dims["output.weight"] = []uint64{C, V}
		}
		for l := range 2 {
			b := fmt.Sprintf("blk.%d.", l)
			for k, v := range map[string][]uint64{
				"attn_norm.weight": {C}, "attn_norm.bias": {C},
				"attn_qkv.weight": {C, 3 * C}, "attn_qkv.bias": {3 * C},
				"attn_output.weight": {C, C}, "attn_output.bias": {C},
				"ffn_norm.weight": {C}, "ffn_norm.bias": {C},
				"ffn_up.weight": {C, F}, "ffn_up.bias": {F},
				"ffn_down.weight": {F, C}, "ffn_down.bias": {C},
			} {
				dims[b+k] = v
			}
		}
		if len(g.Tensors) != len(dims) {
			t.Errorf("tied=%v: %d tensors, want %d", tied, len(g.Tensors), len(dims))
		}
		for name, d := range dims {
			info, ok := g.Tensor(name)
			if !ok {
				t.Errorf("tied=%v: missing %s", tied, name)
				continue
			}
			if !slices.Equal(info.Dims, d) || info.Type != GGMLTypeF32 {
				t.Errorf("%s: dims %v type %v, want %v F32", name, info.Dims, info.Type, d)
			}
		}
		read := func(name string) []float32 {
			x, err := g.ReadFloat32(name)
			if err != nil {
				t.Fatal(err)
			}
			return x
		}
		if !slices.Equal(read("token_embd.weight"), hfByName["wte.weight"].Data) {
			t.Error("token_embd differs from wte")
		}
		if !slices.Equal(read("blk.1.ffn_up.bias"), hfByName["h.1.mlp.c_fc.bias"].Data) {
			t.Error("ffn_up.bias differs from c_fc.bias")
		}
		// y = x·W_hf (Conv1D, W_hf [in, out]) must equal ggml_mul_mat(W, x):
		// y[o] = Σ_i W[o][i]·x[i] with W row-major [out, in].
		for _, m := range []struct{ gguf, hf string }{
			{"blk.0.attn_qkv.weight", "h.0.attn.c_attn.weight"},
			{"blk.1.attn_output.weight", "h.1.attn.c_proj.weight"},
			{"blk.0.ffn_up.weight", "h.0.mlp.c_fc.weight"},
			{"blk.1.ffn_down.weight", "h.1.mlp.c_proj.weight"},
		} {
			w := read(m.gguf)
			h := hfByName[m.hf]
			in, out := h.Shape[0], h.Shape[1]
			x := make([]float32, in)
			for i := range x {
				x[i] = float32(i%5) - 2
			}
			for o := range out {
				var conv, mm float64
				for i := range in {
					conv += float64(x[i]) * float64(h.Data[i*out+o])
					mm += float64(w[o*in+i]) * float64(x[i])
				}
				if math.Abs(conv-mm) > 1e-9 {
					t.Fatalf("%s: output %d: mul_mat %v, Conv1D %v", m.gguf, o, mm, conv)
				}
			}
		}
	}
}

func TestGPT2GGUFF16(t *testing.T) {
	g, _ := exportTiny(t, true, GPT2Options{F16: true})
	if ft, _ := GGUFGet[uint32](g, KeyFileType); ft != 1 {
		t.Errorf("file type %d, want 1", ft)
	}
	for _, info := range g.Tensors {
		want := GGMLTypeF32
		if len(info.Dims) == 2 {
			want = GGMLTypeF16
		}
		if info.Type != want {
			t.Errorf("%s: %v, want %v", info.Name, info.Type, want)
		}
	}
}

func TestGPT2GGUFErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(*GPT2Params, *GGUFVocab, *[]Tensor)
		want   string
	}{
		{"heads", func(p *GPT2Params, _ *GGUFVocab, _ *[]Tensor) { p.HeadCount = 3 }, "not a multiple of head count"},
		{"eps", func(p *GPT2Params, _ *GGUFVocab, _ *[]Tensor) { p.LayerNormEpsilon = 0 }, "epsilon"},
		{"dup token", func(_ *GPT2Params, v *GGUFVocab, _ *[]Tensor) { v.Tokens[1] = "a" }, `both "a"`},
		{"no merges", func(_ *GPT2Params, v *GGUFVocab, _ *[]Tensor) { v.Merges = nil }, "needs merges"},
		{"bad merge", func(_ *GPT2Params, v *GGUFVocab, _ *[]Tensor) { v.Merges[0] = "ab" }, `merge 0 "ab"`},
		{"eos", func(_ *GPT2Params, v *GGUFVocab, _ *[]Tensor) { v.EOS = 10 }, "EOS token id 10"},
		{"types", func(_ *GPT2Params, v *GGUFVocab, _ *[]Tensor) { v.TokenTypes = []int32{1} }, "1 token types for 10 tokens"},
		{"vocab size", func(_ *GPT2Params, v *GGUFVocab, _ *[]Tensor) { v.Tokens = append(v.Tokens, "zz") }, `"transformer.wte.weight" (for "token_embd.weight") has shape [10 8], want [11 8]`},
		{"missing", func(_ *GPT2Params, _ *GGUFVocab, ts *[]Tensor) { *ts = (*ts)[1:] }, `missing tensor for "token_embd.weight"`},
		{"unknown", func(_ *GPT2Params, _ *GGUFVocab, ts *[]Tensor) {
			*ts = append(*ts, Tensor{Name: "h.0.extra", Shape: []int{1}, Data: []float32{0}})
		}, `"h.0.extra" is not a GPT-2 parameter`},
		{"extra layer", func(p *GPT2Params, _ *GGUFVocab, _ *[]Tensor) { p.BlockCount = 1 }, "does not belong to a 1-layer model"},
		{"twice", func(_ *GPT2Params, _ *GGUFVocab, ts *[]Tensor) {
			x := (*ts)[0]
			x.Name = "wte.weight"
			*ts = append(*ts, x)
		}, "given twice"},
		{"transposed input", func(_ *GPT2Params, _ *GGUFVocab, ts *[]Tensor) {
			for i := range *ts {
				if strings.HasSuffix((*ts)[i].Name, "h.0.mlp.c_fc.weight") {
					(*ts)[i].Shape = []int{32, 8}
				}
			}
		}, "has shape [32 8], want [8 32]"},
	} {
		p, v, ts := tinyGPT2(false)
		tc.modify(&p, &v, &ts)
		_, _, err := GPT2GGUF(p, v, ts, GPT2Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestGPT2TensorName(t *testing.T) {
	for hf, want := range map[string]string{
		"wte.weight": "token_embd.weight", "transformer.h.11.mlp.c_proj.bias": "blk.11.ffn_down.bias",
		"h.01.ln_1.weight": "", "h.x.ln_1.weight": "", "h.0.attn.bias": "", "h.0": "", "foo": "",
	} {
		got, _, ok := GPT2TensorName(hf)
		if got != want || ok != (want != "") {
			t.Errorf("GPT2TensorName(%q) = %q, %v; want %q", hf, got, ok, want)
		}
	}
}
