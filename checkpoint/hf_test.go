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
	"strconv"
	"strings"
	"testing"

	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// testText trains the tests' small tokenizer.
const testText = `It is a truth universally acknowledged, that a single man in possession
of a good fortune, must be in want of a wife. However little known the feelings or
views of such a man may be on his first entering a neighbourhood, this truth is so
well fixed in the minds of the surrounding families, that he is considered the
rightful property of some one or other of their daughters. 1234 + 5678 = 6912!`

// testTokenizer trains a byte-level BPE of about 300 tokens, with ChatML
// special tokens when chatML is set.
func testTokenizer(t testing.TB, chatML bool) *tokenizer.Tokenizer {
	t.Helper()
	cfg := tokenizer.TrainConfig{VocabSize: 300}
	if chatML {
		cfg.SpecialTokens = []string{"<|endoftext|>", "<|im_start|>", "<|im_end|>"}
	}
	tok, err := tokenizer.Train(cfg, testText)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// testModel returns a small model whose weights are rough enough to give
// peaked, position-dependent next-token distributions, unlike GPT-2's
// initialisation: a test of weight layouts must see every weight matter.
func testModel(t testing.TB, cfg model.Config, seed uint64) *model.Model {
	t.Helper()
	m, err := model.New(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	roughen(m, seed)
	return m
}

func roughen(m *model.Model, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 99))
	for _, t := range m.Tensors() {
		isLN := strings.Contains(t.Name, "ln_")
		for i := range t.Data {
			x := float32(rng.NormFloat64())
			switch {
			case isLN && strings.HasSuffix(t.Name, ".weight"):
				t.Data[i] = 1 + 0.2*x
			case len(t.Shape) == 1:
				t.Data[i] = 0.1 * x
			case strings.HasPrefix(t.Name, "wte") || strings.HasPrefix(t.Name, "wpe"):
				t.Data[i] = 0.3 * x
			default:
				t.Data[i] = x / float32(math.Sqrt(float64(t.Shape[1])))
			}
		}
	}
}

var tinyConfig = model.Config{VocabSize: 320, Context: 24, Layers: 2, Heads: 2, Channels: 16}

// forwardLogits runs m on one sequence and returns a copy of its logits.
func forwardLogits(t testing.TB, m *model.Model, ids []int32) []float32 {
	t.Helper()
	if err := m.Forward(ids, 1, len(ids)); err != nil {
		t.Fatal(err)
	}
	return slices.Clone(m.Logits())
}

func testIDs(n, v int, seed uint64) []int32 {
	rng := rand.New(rand.NewPCG(seed, 5))
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = int32(rng.IntN(v))
	}
	return ids
}

func TestHFRoundTrip(t *testing.T) {
	for _, chatML := range []bool{false, true} {
		cfg := tinyConfig
		cfg.ScalarHeads = 2
		m := testModel(t, cfg, 1)
		tok := testTokenizer(t, chatML)
		dir := t.TempDir()
		align := AlignConfig{HeadNames: []string{"overall", "safety"}, RewardGain: []float64{0.5, 2}, RewardBias: []float64{-1, 0.25}, Kind: KindReward, Stage: "reward"}
		if err := SaveHF(dir, m, tok, HFOptions{Align: align}); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{HFConfigFile, HFWeightsFile, HFTokenizerFile, HFTokenizerConfigFile, HFSpecialTokensFile, HFGenerationConfigFile} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("missing %s: %v", f, err)
			}
		}
		hm, err := LoadHF(dir)
		if err != nil {
			t.Fatal(err)
		}
		if hm.Model.Config != cfg {
			t.Fatalf("config %+v, want %+v", hm.Model.Config, cfg)
		}
		if i := firstDiff(hm.Model.Params(), m.Params()); i >= 0 {
			t.Fatalf("parameter %d differs after the round trip", i)
		}
		ids := testIDs(cfg.Context, cfg.VocabSize, 2)
		if i := firstDiff(forwardLogits(t, hm.Model, ids), forwardLogits(t, m, ids)); i >= 0 {
			t.Fatalf("logit %d differs after the round trip", i)
		}
		align.ScalarHeads = 2
		if got, _ := json.Marshal(hm.Align); !bytes.Equal(got, must(json.Marshal(align))) {
			t.Errorf("align section %s, want %s", got, must(json.Marshal(align)))
		}
		text := "a single man in possession <|endoftext|> of 42 wives"
		if a, b := hm.Tokenizer.Encode(text), tok.Encode(text); !slices.Equal(a, b) {
			t.Errorf("tokenizer encodes %v after the round trip, want %v", a, b)
		}
		eot, _ := tok.TokenID("<|endoftext|>")
		if *hm.Config.BOSTokenID != eot {
			t.Errorf("bos_token_id %d, want %d", *hm.Config.BOSTokenID, eot)
		}
		if chatML {
			end, _ := tok.TokenID("<|im_end|>")
			if *hm.Config.EOSTokenID != end {
				t.Errorf("eos_token_id %d, want <|im_end|> %d", *hm.Config.EOSTokenID, end)
			}
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestHFFileLayout pins the names, shapes and orientation of the saved
// tensors to Hugging Face's GPT2LMHeadModel state dict.
func TestHFFileLayout(t *testing.T) {
	m := testModel(t, tinyConfig, 3)
	dir := t.TempDir()
	if err := SaveHF(dir, m, nil, HFOptions{}); err != nil {
		t.Fatal(err)
	}
	sf, err := OpenSafetensors(filepath.Join(dir, HFWeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	if sf.Metadata["format"] != "pt" {
		t.Errorf("metadata %v, want format pt", sf.Metadata)
	}
	C := tinyConfig.Channels
	want := map[string][]int{
		"transformer.wte.weight":              {tinyConfig.VocabSize, C},
		"transformer.wpe.weight":              {tinyConfig.Context, C},
		"transformer.h.1.ln_1.weight":         {C},
		"transformer.h.1.attn.c_attn.weight":  {C, 3 * C},
		"transformer.h.1.attn.c_attn.bias":    {3 * C},
		"transformer.h.1.attn.c_proj.weight":  {C, C},
		"transformer.h.1.mlp.c_fc.weight":     {C, 4 * C},
		"transformer.h.1.mlp.c_proj.weight":   {4 * C, C},
		"transformer.h.1.mlp.c_proj.bias":     {C},
		"transformer.ln_f.bias":               {C},
		"transformer.h.0.attn.c_proj.bias":    {C},
		"transformer.h.0.ln_2.weight":         {C},
		"transformer.h.0.attn.c_attn.weight":  {C, 3 * C},
		"transformer.h.0.mlp.c_proj.weight":   {4 * C, C},
		"transformer.h.0.mlp.c_fc.bias":       {4 * C},
		"transformer.h.0.ln_1.bias":           {C},
		"transformer.h.1.ln_2.bias":           {C},
		"transformer.ln_f.weight":             {C},
		"transformer.h.0.attn.c_proj.weight":  {C, C},
		"transformer.h.0.attn.c_attn.bias":    {3 * C},
		"transformer.h.0.mlp.c_fc.weight":     {C, 4 * C},
		"transformer.h.0.mlp.c_proj.bias":     {C},
		"transformer.h.0.ln_1.weight":         {C},
		"transformer.h.0.ln_2.bias":           {C},
		"transformer.h.1.ln_1.bias":           {C},
		"transformer.h.1.attn.c_proj.bias":    {C},
		"transformer.h.1.ln_2.weight":         {C},
		"transformer.h.1.mlp.c_fc.bias":       {4 * C},
		"transformer.h.1.attn.c_attn.bias ":   nil, // typo guard: must not exist
		"transformer.h.1.attn.c_attn.weight ": nil,
	}
	n := 0
	for name, shape := range want {
		st, ok := sf.Tensor(name)
		if shape == nil {
			if ok {
				t.Errorf("unexpected tensor %q", name)
			}
			continue
		}
		n++
		if !ok || !slices.Equal(st.Shape, shape) || st.DType != "F32" {
			t.Errorf("tensor %q: %v %v, want F32 %v", name, st.DType, st.Shape, shape)
		}
	}
	if len(sf.Tensors) != n {
		t.Errorf("%d tensors, want %d (no lm_head.weight, no buffers)", len(sf.Tensors), n)
	}
	// c_fc is [in, out]: element [i][j] is our (out j, in i).
	fc, err := sf.ReadFloat32("transformer.h.1.mlp.c_fc.weight")
	if err != nil {
		t.Fatal(err)
	}
	ours := m.W.Fcw[4*C*C:] // layer 1, (4C, C)
	for _, ij := range [][2]int{{0, 1}, {3, 40}, {C - 1, 4*C - 1}} {
		i, j := ij[0], ij[1]
		if fc[i*4*C+j] != ours[j*C+i] {
			t.Errorf("c_fc[%d][%d] = %v, want our fcw[%d][%d] = %v", i, j, fc[i*4*C+j], j, i, ours[j*C+i])
		}
	}
	var cfg map[string]any
	if err := json.Unmarshal(must(os.ReadFile(filepath.Join(dir, HFConfigFile))), &cfg); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]any{
		"model_type": "gpt2", "n_embd": float64(C), "n_layer": 2.0, "n_head": 2.0, "n_positions": 24.0, "n_ctx": 24.0,
		"vocab_size": 320.0, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "tie_word_embeddings": true,
		"n_inner": nil,
	} {
		if got, ok := cfg[k]; !ok || got != v {
			t.Errorf("config.json %s = %v, want %v", k, got, v)
		}
	}
	if _, ok := cfg["align"]; ok {
		t.Errorf("config.json of a plain LM has an align section")
	}
	if a, ok := cfg["architectures"].([]any); !ok || len(a) != 1 || a[0] != "GPT2LMHeadModel" {
		t.Errorf("architectures %v", cfg["architectures"])
	}
}

// writeHFDir writes a directory as another program might: the given
// config.json and safetensors tensors.
func writeHFDir(t *testing.T, config string, tensors []Tensor) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, HFConfigFile), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := SaveSafetensors(filepath.Join(dir, HFWeightsFile), tensors, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}
	return dir
}

const tinyHFConfig = `{"model_type": "gpt2", "vocab_size": 320, "n_positions": 24, "n_embd": 16, "n_layer": 2, "n_head": 2}`

// TestLoadHFForeign loads the variants other GPT-2 writers produce.
func TestLoadHFForeign(t *testing.T) {
	m := testModel(t, tinyConfig, 4)
	base := HFTensors(m, F32)
	variant := func(edit func(ts []Tensor) []Tensor) []Tensor {
		ts := make([]Tensor, len(base))
		copy(ts, base)
		return edit(ts)
	}
	wte := base[0]
	if wte.Name != "transformer.wte.weight" {
		t.Fatalf("first tensor %q", wte.Name)
	}
	mask := make([]float32, 24*24)
	cases := []struct {
		name    string
		tensors []Tensor
		exact   bool // parameters bit-identical
	}{
		{"no prefix, as the hub's gpt2", variant(func(ts []Tensor) []Tensor {
			for i := range ts {
				ts[i].Name = strings.TrimPrefix(ts[i].Name, "transformer.")
			}
			return ts
		}), true},
		{"tied lm_head present", variant(func(ts []Tensor) []Tensor {
			return append(ts, Tensor{Name: "lm_head.weight", Shape: wte.Shape, Data: wte.Data})
		}), true},
		{"old attention buffers", variant(func(ts []Tensor) []Tensor {
			return append(ts,
				Tensor{Name: "transformer.h.0.attn.bias", Shape: []int{1, 1, 24, 24}, Data: mask},
				Tensor{Name: "h.1.attn.masked_bias", Shape: []int{}, Data: []float32{-1e4}})
		}), true},
		{"F16", variant(func(ts []Tensor) []Tensor {
			for i := range ts {
				ts[i].DType = F16
			}
			return ts
		}), false},
		{"BF16", variant(func(ts []Tensor) []Tensor {
			for i := range ts {
				ts[i].DType = BF16
			}
			return ts
		}), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hm, err := LoadHF(writeHFDir(t, tinyHFConfig, tc.tensors))
			if err != nil {
				t.Fatal(err)
			}
			if hm.Tokenizer != nil || hm.Model.Config != tinyConfig {
				t.Fatalf("tokenizer %v, config %+v", hm.Tokenizer, hm.Model.Config)
			}
			if tc.exact {
				if i := firstDiff(hm.Model.Params(), m.Params()); i >= 0 {
					t.Fatalf("parameter %d differs", i)
				}
				return
			}
			dt := tc.tensors[0].DType
			for i, p := range m.Params() {
				want := F16ToFloat32(Float32ToF16(p))
				if dt == BF16 {
					want = BF16ToFloat32(Float32ToBF16(p))
				}
				if got := hm.Model.Params()[i]; got != want {
					t.Fatalf("parameter %d = %v, want %v rounded to %v", i, got, p, want)
				}
			}
		})
	}
}

// TestLoadHFErrors checks that every broken directory is refused with an
// error naming the file and the fault.
func TestLoadHFErrors(t *testing.T) {
	m := testModel(t, tinyConfig, 5)
	base := HFTensors(m, F32)
	without := func(name string) []Tensor {
		return slices.DeleteFunc(slices.Clone(base), func(t Tensor) bool { return t.Name == name })
	}
	with := func(extra ...Tensor) []Tensor { return append(slices.Clone(base), extra...) }
	replace := func(name string, nt Tensor) []Tensor {
		ts := slices.Clone(base)
		for i := range ts {
			if ts[i].Name == name {
				ts[i] = nt
			}
		}
		return ts
	}
	C := tinyConfig.Channels
	otherWte := slices.Clone(base[0].Data)
	otherWte[7] += 1
	cases := []struct {
		name, config string
		tensors      []Tensor
		want         []string
	}{
		{"missing tensor", tinyHFConfig, without("transformer.h.1.mlp.c_fc.bias"),
			[]string{"model.safetensors", `missing tensor "transformer.h.1.mlp.c_fc.bias"`}},
		{"transposed Conv1D", tinyHFConfig,
			replace("transformer.h.0.mlp.c_fc.weight", Tensor{Name: "transformer.h.0.mlp.c_fc.weight", Shape: []int{4 * C, C}, Data: make([]float32, 4*C*C)}),
			[]string{"model.safetensors", "h.0.mlp.c_fc.weight", "[64 16]", "want [16 64]", "looks transposed"}},
		{"wrong vocab", strings.Replace(tinyHFConfig, `"vocab_size": 320`, `"vocab_size": 321`, 1), base,
			[]string{"model.safetensors", "wte.weight", "want [321 16]"}},
		{"untied lm_head", tinyHFConfig, with(Tensor{Name: "lm_head.weight", Shape: base[0].Shape, Data: otherWte}),
			[]string{"model.safetensors", "lm_head.weight", "differs from the token embedding at element 7"}},
		{"unexpected tensor", tinyHFConfig, with(Tensor{Name: "transformer.h.2.ln_1.weight", Shape: []int{C}, Data: make([]float32, C)}),
			[]string{"model.safetensors", `unexpected tensor "transformer.h.2.ln_1.weight"`}},
		{"duplicate", tinyHFConfig, with(Tensor{Name: "wpe.weight", Shape: base[1].Shape, Data: base[1].Data}),
			[]string{"model.safetensors", "same parameter"}},
		{"unknown model_type", `{"model_type": "mamba"}`, base, []string{"config.json", `model_type "mamba"`}},
		{"relu", `{"activation_function": "relu"}`, base, []string{"config.json", `activation_function "relu"`}},
		{"n_inner", `{"n_embd": 16, "n_inner": 32}`, base, []string{"config.json", "n_inner 32"}},
		{"epsilon", `{"layer_norm_epsilon": 1e-6}`, base, []string{"config.json", "layer_norm_epsilon 1e-06"}},
		{"heads", `{"n_embd": 16, "n_head": 3}`, base, []string{"config.json", "3 heads do not divide 16"}},
		{"bad json", `{"n_embd": "16"}`, base, []string{"config.json", "n_embd"}},
		{"untied config", strings.Replace(tinyHFConfig, "}", `, "tie_word_embeddings": false}`, 1), base,
			[]string{"model.safetensors", "no lm_head.weight"}},
		{"align heads mismatch", strings.Replace(tinyHFConfig, "}", `, "align": {"scalar_heads": 2, "head_names": ["a"]}}`, 1), base,
			[]string{"config.json", "align.head_names has 1 entries for 2 scalar heads"}},
		{"align heads missing", strings.Replace(tinyHFConfig, "}", `, "align": {"scalar_heads": 2}}`, 1), base,
			[]string{"model.safetensors", `missing tensor "score.weight"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadHF(writeHFDir(t, tc.config, tc.tensors))
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}

	// An integer dtype cannot be a weight.
	dir := writeHFDir(t, tinyHFConfig, base)
	data := must(os.ReadFile(filepath.Join(dir, HFWeightsFile)))
	data = bytes.Replace(data, []byte(`"transformer.ln_f.bias":{"dtype":"F32"`), []byte(`"transformer.ln_f.bias":{"dtype":"I32"`), 1)
	if err := os.WriteFile(filepath.Join(dir, HFWeightsFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadHF(dir); err == nil || !strings.Contains(err.Error(), `"transformer.ln_f.bias" has dtype I32`) {
		t.Errorf("I32 tensor: %v", err)
	}

	// Only a PyTorch pickle: say so.
	dir = t.TempDir()
	os.WriteFile(filepath.Join(dir, HFConfigFile), []byte(tinyHFConfig), 0o644)
	os.WriteFile(filepath.Join(dir, "pytorch_model.bin"), []byte("PK"), 0o644)
	if _, err := LoadHF(dir); err == nil || !strings.Contains(err.Error(), "pytorch_model.bin but no model.safetensors") {
		t.Errorf("pickle only: %v", err)
	}
	if _, err := LoadHF(t.TempDir()); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("empty directory: %v", err)
	}
}

// TestLoadHFScoreFromWeights: a GPT2ForSequenceClassification-style
// "score.weight" without bias and without an align section still loads,
// with K taken from its shape.
func TestLoadHFScoreFromWeights(t *testing.T) {
	m := testModel(t, tinyConfig, 6)
	C := tinyConfig.Channels
	score := make([]float32, 3*C)
	for i := range score {
		score[i] = float32(i)
	}
	hm, err := LoadHF(writeHFDir(t, tinyHFConfig, append(HFTensors(m, F32), Tensor{Name: "score.weight", Shape: []int{3, C}, Data: score})))
	if err != nil {
		t.Fatal(err)
	}
	if hm.Model.Config.ScalarHeads != 3 || hm.Align.ScalarHeads != 3 || !slices.Equal(hm.Model.W.Headw, score) {
		t.Errorf("scalar heads %d / %d, weights %v", hm.Model.Config.ScalarHeads, hm.Align.ScalarHeads, hm.Model.W.Headw[:4])
	}
}

// TestHFChatTemplate renders tokenizer_config.json's chat template with
// Jinja (as transformers does) and compares it with the tokenizer's own
// rendering.
func TestHFChatTemplate(t *testing.T) {
	python := ""
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import jinja2").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		if testing.Short() {
			t.Skip("python3-jinja2 is not installed")
		}
		t.Fatal("python3 with jinja2 is needed\nhint: apt-get install python3-jinja2 (or go test -short to skip)")
	}
	msgs := []tokenizer.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi there"}, {Role: "assistant", Content: "Hello!"}, {Role: "user", Content: "Bye"}}
	for _, chatML := range []bool{false, true} {
		tok := testTokenizer(t, chatML)
		dir := t.TempDir()
		if err := SaveHF(dir, testModel(t, tinyConfig, 1), tok, HFOptions{}); err != nil {
			t.Fatal(err)
		}
		script := `
import json, sys, jinja2
tc = json.load(open(sys.argv[1]))
msgs = json.loads(sys.argv[2])
t = jinja2.Environment().from_string(tc["chat_template"])
sys.stdout.write(t.render(messages=msgs, add_generation_prompt=True, eos_token=tc["eos_token"], bos_token=tc["bos_token"]))`
		out, err := exec.Command(python, "-c", script, filepath.Join(dir, HFTokenizerConfigFile), string(must(json.Marshal(msgs)))).CombinedOutput()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		want, err := tok.ChatText(msgs, true)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != want {
			t.Errorf("chatML %v: template renders\n%q\nwant\n%q", chatML, out, want)
		}
	}
}

// torchPython returns /usr/bin/python3 when it has PyTorch; without it the
// test fails with an install hint, or skips under -short.
func torchPython(t *testing.T) string {
	t.Helper()
	const python = "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import torch").CombinedOutput(); err != nil {
		if testing.Short() {
			t.Skipf("PyTorch is not installed for %s", python)
		}
		t.Fatalf("%s cannot import torch: %v\n%s\nhint: apt-get install python3-torch (or go test -short to skip)", python, err, out)
	}
	return python
}

// torchResult is the output of scripts/torch_check_logits.py for one directory.
type torchResult struct{ logits, scalars []float64 }

// torchLogits runs scripts/torch_check_logits.py on model directories (one
// Python start-up for all: importing torch takes seconds).
func torchLogits(t *testing.T, python string, ids []int32, dirs ...string) []torchResult {
	t.Helper()
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	cmd := exec.Command(python, append([]string{filepath.Join("..", "scripts", "torch_check_logits.py"), strings.Join(s, ",")}, dirs...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("torch_check_logits.py: %v\n%s", err, stderr.String())
	}
	var res []torchResult
	dec := json.NewDecoder(bytes.NewReader(out))
	for range dirs {
		var r struct{ Logits, Scalars [][]float64 }
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("torch_check_logits.py output: %v", err)
		}
		var tr torchResult
		for _, row := range r.Logits {
			tr.logits = append(tr.logits, row...)
		}
		for _, row := range r.Scalars {
			tr.scalars = append(tr.scalars, row...)
		}
		res = append(res, tr)
	}
	return res
}

// relErr64 is max |got − want| / max |want|.
func relErr64(got []float32, want []float64) float64 {
	var d, s float64
	for i := range want {
		d = math.Max(d, math.Abs(float64(got[i])-want[i]))
		s = math.Max(s, math.Abs(want[i]))
	}
	return d / s
}

// TestHFTorchLogits checks a saved directory against an independent PyTorch
// GPT-2 (float64) that reads model.safetensors in Hugging Face's layout: the
// logits and scalar heads must match ours, for F32 and F16 files. A
// transposed square Conv1D matrix must not.
func TestHFTorchLogits(t *testing.T) {
	python := torchPython(t)
	cfg := model.Config{VocabSize: 320, Context: 32, Layers: 3, Heads: 4, Channels: 32, ScalarHeads: 2}
	m := testModel(t, cfg, 31)
	tok := testTokenizer(t, false)
	ids := testIDs(cfg.Context, 300, 32)
	var dirs []string
	var ours, ourScalars [][]float32
	for _, dt := range []DType{F32, F16} {
		dir := t.TempDir()
		if err := SaveHF(dir, m, tok, HFOptions{DType: dt}); err != nil {
			t.Fatal(err)
		}
		hm, err := LoadHF(dir) // for F16, the weights as rounded in the file
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
		ours = append(ours, forwardLogits(t, hm.Model, ids))
		ourScalars = append(ourScalars, slices.Clone(hm.Model.Scalars()))
	}
	// The same model with h.0.attn.c_proj.weight (square) stored the wrong
	// way round.
	bad := t.TempDir()
	ts := HFTensors(m, F32)
	for i := range ts {
		if ts[i].Name == "transformer.h.0.attn.c_proj.weight" {
			ts[i].Data = transpose(ts[i].Data, cfg.Channels, cfg.Channels)
		}
	}
	if err := SaveHF(bad, m, tok, HFOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := SaveSafetensors(filepath.Join(bad, HFWeightsFile), ts, map[string]string{"format": "pt"}); err != nil {
		t.Fatal(err)
	}

	res := torchLogits(t, python, ids, append(dirs, bad)...)
	for i, dt := range []DType{F32, F16} {
		r := res[i]
		if len(r.logits) != len(ours[i]) || len(r.scalars) != len(ourScalars[i]) {
			t.Fatalf("%v: torch gave %d logits and %d scalars, want %d and %d", dt, len(r.logits), len(r.scalars), len(ours[i]), len(ourScalars[i]))
		}
		el, es := relErr64(ours[i], r.logits), relErr64(ourScalars[i], r.scalars)
		t.Logf("%v file: PyTorch (float64) vs align, max relative error: logits %.3g, scalar heads %.3g", dt, el, es)
		if el > 1e-4 || es > 1e-4 {
			t.Errorf("%v: relative error logits %.3g, scalars %.3g; want < 1e-4", dt, el, es)
		}
	}
	el := relErr64(ours[0], res[2].logits)
	t.Logf("with h.0.attn.c_proj.weight transposed: relative error %.3g", el)
	if el < 1e-2 {
		t.Errorf("a transposed c_proj changes the logits by only %.3g: the comparison is too weak", el)
	}
}

// FuzzLoadHF feeds corrupt config.json and model.safetensors contents to the
// loader's parts: errors are fine, panics and runaway allocations are not.
func FuzzLoadHF(f *testing.F) {
	cfg := model.Config{VocabSize: 8, Context: 4, Layers: 1, Heads: 1, Channels: 4, ScalarHeads: 1}
	m, err := model.New(cfg, 1)
	if err != nil {
		f.Fatal(err)
	}
	var st bytes.Buffer
	if err := WriteSafetensors(&st, HFTensors(m, F32), map[string]string{"format": "pt"}); err != nil {
		f.Fatal(err)
	}
	conf := `{"model_type": "gpt2", "vocab_size": 8, "n_positions": 4, "n_embd": 4, "n_layer": 1, "n_head": 1, "align": {"scalar_heads": 1}}`
	f.Add([]byte(conf), st.Bytes())
	var st16 bytes.Buffer
	WriteSafetensors(&st16, HFTensors(m, F16), nil)
	f.Add([]byte(strings.Replace(conf, `, "align": {"scalar_heads": 1}`, "", 1)), st16.Bytes())
	f.Add([]byte(`{"n_embd": 4, "n_head": 1, "n_layer": 1000, "vocab_size": 2000000, "n_inner": null}`), st.Bytes()[:100])
	lcfg := model.Config{Arch: model.ArchLlama, VocabSize: 8, Context: 4, Layers: 1, Heads: 2, KVHeads: 1, Channels: 4, Hidden: 6, QKNorm: true}
	lm := must(model.New(lcfg, 1))
	var lst bytes.Buffer
	if err := WriteSafetensors(&lst, HFLlamaTensors(lm, BF16), nil); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"model_type": "qwen3", "vocab_size": 8, "max_position_embeddings": 4, "hidden_size": 4, "num_hidden_layers": 1,
		"num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 6}`), lst.Bytes())
	f.Fuzz(func(t *testing.T, config, weights []byte) {
		cfg, hc, err := ParseHFConfig(config, "config.json")
		if err != nil {
			return
		}
		sf, err := ParseSafetensors(bytes.NewReader(weights), int64(len(weights)), "model.safetensors")
		if err != nil {
			return
		}
		var m *model.Model
		if cfg.IsLlama() {
			w := singleHFWeights(sf)
			if cfg, err = checkLlamaTensors(w, cfg, hc); err != nil {
				return
			}
			if m, err = readLlamaTensors(w, cfg); err != nil {
				return
			}
		} else {
			cfg, lmHead, err := checkHFTensors(sf, cfg, hc)
			if err != nil {
				return
			}
			if m, err = readHFTensors(sf, cfg, lmHead); err != nil {
				return
			}
		}
		if n := m.Config.NumParams(); n*2 > len(weights) {
			t.Fatalf("loaded %d parameters from %d bytes", n, len(weights))
		}
	})
}

// TestParseHFConfigReal reads config.json files as transformers and the hub
// write them, with all their fields align does not use.
func TestParseHFConfigReal(t *testing.T) {
	for _, tc := range []struct {
		file string
		want model.Config
	}{
		{"gpt2-config.json", model.Config{VocabSize: 50257, Context: 1024, Layers: 12, Heads: 12, Channels: 768}},
		{"tiny-transformers-config.json", tinyConfig},
	} {
		path := filepath.Join("..", "testdata", "checkpoint", tc.file)
		cfg, hc, err := ParseHFConfig(must(os.ReadFile(path)), path)
		if err != nil {
			t.Fatal(err)
		}
		if cfg != tc.want || *hc.BOSTokenID != 50256 || *hc.EOSTokenID != 50256 || hc.Align != nil {
			t.Errorf("%s: %+v, bos %v eos %v, align %v", tc.file, cfg, *hc.BOSTokenID, *hc.EOSTokenID, hc.Align)
		}
	}
	// The tiny one loads with weights written under its names.
	m := testModel(t, tinyConfig, 9)
	conf := string(must(os.ReadFile(filepath.Join("..", "testdata", "checkpoint", "tiny-transformers-config.json"))))
	hm, err := LoadHF(writeHFDir(t, conf, HFTensors(m, F32)))
	if err != nil {
		t.Fatal(err)
	}
	if firstDiff(hm.Model.Params(), m.Params()) >= 0 {
		t.Error("parameters differ")
	}
}

func ExampleSaveHF() {
	m, _ := model.New(model.Config{VocabSize: 300, Context: 32, Layers: 2, Heads: 2, Channels: 32, ScalarHeads: 1}, 1)
	tok, _ := tokenizer.Train(tokenizer.TrainConfig{VocabSize: 280}, "the cat sat on the mat")
	dir, _ := os.MkdirTemp("", "align-example-")
	defer os.RemoveAll(dir)

	align := AlignConfig{HeadNames: []string{"reward"}, RewardGain: []float64{0.5}, RewardBias: []float64{-1}, Stage: "reward"}
	if err := SaveHF(dir, m, tok, HFOptions{Align: align}); err != nil {
		fmt.Println(err)
		return
	}
	hm, err := LoadHF(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(hm.Model.Config.Layers, hm.Align.HeadNames, hm.Tokenizer.VocabSize()) // training stops early on a tiny text
	// Output: 2 [reward] 260
}
