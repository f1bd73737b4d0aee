package checkpoint

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/align-project/align/model"
	"github.com/align-project/align/tensor"
)

// llamaFlavours are the Hugging Face model types a Llama-family model is
// saved as, each with what sets it apart.
var llamaFlavours = []struct {
	name, modelType string
	cfg             model.Config
}{
	{"llama tied llama3 rope", "llama", model.Config{Arch: model.ArchLlama, VocabSize: 300, Context: 32, Layers: 2, Heads: 4, KVHeads: 2,
		Channels: 32, Hidden: 48, RopeTheta: 500000, NormEps: 1e-5, TiedEmbeddings: true,
		RopeScaling: &tensor.RoPEScaling{Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 16}}},
	{"llama untied", "llama", model.Config{Arch: model.ArchLlama, VocabSize: 300, Context: 32, Layers: 2, Heads: 4,
		Channels: 32, Hidden: 40, RopeTheta: 10000, NormEps: 1e-6}},
	{"qwen2 bias", "qwen2", model.Config{Arch: model.ArchLlama, VocabSize: 300, Context: 32, Layers: 2, Heads: 4, KVHeads: 2,
		Channels: 32, Hidden: 48, RopeTheta: 1e6, NormEps: 1e-6, QKVBias: true, TiedEmbeddings: true}},
	{"qwen3 qk norm", "qwen3", model.Config{Arch: model.ArchLlama, VocabSize: 300, Context: 32, Layers: 2, Heads: 4, KVHeads: 2,
		HeadDim: 16, Channels: 32, Hidden: 48, RopeTheta: 1e6, NormEps: 1e-6, QKNorm: true}},
}

// roughLlama returns a model of cfg with weights that make every tensor
// matter: norm gains away from one, biases away from zero.
func roughLlama(t testing.TB, cfg model.Config, seed uint64) *model.Model {
	t.Helper()
	m, err := model.New(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	for _, tn := range m.Tensors() {
		for i := range tn.Data {
			x := float32(rng.NormFloat64())
			switch {
			case strings.Contains(tn.Name, "norm"):
				tn.Data[i] = 1 + 0.2*x
			case len(tn.Shape) == 1:
				tn.Data[i] = 0.1 * x
			case tn.Name == "model.embed_tokens.weight":
				tn.Data[i] = 0.5 * x
			default:
				tn.Data[i] = x / float32(math.Sqrt(float64(tn.Shape[1])))
			}
		}
	}
	return m
}

// sameWeights fails unless b's parameters are a's after rounding by round.
func sameWeights(t *testing.T, a, b *model.Model, round func(float32) float32) {
	t.Helper()
	ta, tb := a.Tensors(), b.Tensors()
	if len(ta) != len(tb) {
		t.Fatalf("%d tensors, want %d", len(tb), len(ta))
	}
	for i := range ta {
		for j, v := range ta[i].Data {
			if want := round(v); math.Float32bits(tb[i].Data[j]) != math.Float32bits(want) {
				t.Fatalf("%s[%d] = %v, want %v", ta[i].Name, j, tb[i].Data[j], want)
			}
		}
	}
}

var dtypeRounding = map[DType]func(float32) float32{
	F32:  func(v float32) float32 { return v },
	F16:  func(v float32) float32 { return F16ToFloat32(Float32ToF16(v)) },
	BF16: func(v float32) float32 { return BF16ToFloat32(Float32ToBF16(v)) },
}

// Every flavour survives save and load: bit-exact in F32, each weight
// rounded once in F16 and BF16, the same model.Config, the model type its
// flags call for, and the policy kind and tokenizer that LoadPolicy needs.
func TestHFLlamaRoundTrip(t *testing.T) {
	tok := testTokenizer(t, true)
	for _, f := range llamaFlavours {
		m := roughLlama(t, f.cfg, 3)
		for _, dt := range []DType{F32, F16, BF16} {
			t.Run(fmt.Sprintf("%s/%v", f.name, dt), func(t *testing.T) {
				dir := t.TempDir()
				if err := SaveHF(dir, m, tok, HFOptions{DType: dt, Align: AlignConfig{Kind: KindPolicy, Stage: "sft"}}); err != nil {
					t.Fatal(err)
				}
				var raw map[string]any
				if err := json.Unmarshal(must(os.ReadFile(filepath.Join(dir, HFConfigFile))), &raw); err != nil {
					t.Fatal(err)
				}
				if raw["model_type"] != f.modelType {
					t.Errorf("model_type %v, want %s", raw["model_type"], f.modelType)
				}
				lm, ltok, err := LoadPolicy(dir)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(lm.Config, m.Config) {
					t.Errorf("config\n%+v\nwant\n%+v", lm.Config, m.Config)
				}
				if ltok.VocabSize() != tok.VocabSize() {
					t.Errorf("tokenizer has %d ids, want %d", ltok.VocabSize(), tok.VocabSize())
				}
				sameWeights(t, m, lm, dtypeRounding[dt])
				hm := must(LoadHF(dir))
				if hm.Align.Stage != "sft" || hm.Config.Llama == nil || hm.Config.Llama.ModelType != f.modelType {
					t.Errorf("align %+v, llama config %+v", hm.Align, hm.Config.Llama)
				}
			})
		}
	}
}

// A reward model keeps its heads and kind, and LoadPolicy refuses it.
func TestHFLlamaReward(t *testing.T) {
	cfg := llamaFlavours[0].cfg
	cfg.ScalarHeads = 2
	m := roughLlama(t, cfg, 5)
	dir := t.TempDir()
	if err := SaveHF(dir, m, testTokenizer(t, false), HFOptions{Align: AlignConfig{Kind: KindReward, HeadNames: []string{"a", "b"}}}); err != nil {
		t.Fatal(err)
	}
	hm, err := LoadKind(dir, KindReward)
	if err != nil {
		t.Fatal(err)
	}
	sameWeights(t, m, hm.Model, dtypeRounding[F32])
	if _, _, err := LoadPolicy(dir); !IsRefused(err) {
		t.Errorf("LoadPolicy of a reward model: %v, want a refusal", err)
	}
}

// Sharded directories load, whether SaveHF split them or a test did by
// hand; SaveHF leaves only the form it wrote.
func TestHFLlamaShards(t *testing.T) {
	m := roughLlama(t, llamaFlavours[3].cfg, 9)
	dir := t.TempDir()
	if err := SaveHF(dir, m, nil, HFOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := SaveHF(dir, m, nil, HFOptions{MaxShardBytes: 20000}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, HFWeightsFile)); !os.IsNotExist(err) {
		t.Errorf("a stale %s is left beside the shards: %v", HFWeightsFile, err)
	}
	shards, _ := filepath.Glob(filepath.Join(dir, "model-*-of-*.safetensors"))
	if len(shards) < 3 {
		t.Errorf("%d shards, want several", len(shards))
	}
	sameWeights(t, m, must(LoadHF(dir)).Model, dtypeRounding[F32])
	// Fewer shards, then one file: no shard of the earlier saves is left.
	for _, limit := range []int64{40000, 0} {
		if err := SaveHF(dir, m, nil, HFOptions{MaxShardBytes: limit}); err != nil {
			t.Fatal(err)
		}
		now, _ := filepath.Glob(filepath.Join(dir, "model-*-of-*.safetensors"))
		for _, p := range now {
			if !strings.HasSuffix(p, fmt.Sprintf("-of-%05d.safetensors", len(now))) {
				t.Errorf("max shard bytes %d: stale shard %s left", limit, filepath.Base(p))
			}
		}
		if limit == 0 && len(now) > 0 {
			t.Errorf("one file: shards %v left", now)
		}
		sameWeights(t, m, must(LoadHF(dir)).Model, dtypeRounding[F32])
	}

	// By hand: tensors dealt to two shards in turn, BF16.
	hand := t.TempDir()
	if err := SaveHF(hand, m, nil, HFOptions{DType: BF16}); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(hand, HFWeightsFile))
	var parts [2][]Tensor
	wm := map[string]string{}
	for i, tn := range HFLlamaTensors(m, BF16) {
		parts[i%2] = append(parts[i%2], tn)
		wm[tn.Name] = fmt.Sprintf("part%d.safetensors", i%2)
	}
	for i, p := range parts {
		if err := SaveSafetensors(filepath.Join(hand, fmt.Sprintf("part%d.safetensors", i)), p, nil); err != nil {
			t.Fatal(err)
		}
	}
	writeIndex := func(wm map[string]string) {
		if err := writeJSONFile(filepath.Join(hand, HFIndexFile), map[string]any{"weight_map": wm}); err != nil {
			t.Fatal(err)
		}
	}
	writeIndex(wm)
	sameWeights(t, m, must(LoadHF(hand)).Model, dtypeRounding[BF16])

	// The index and the shards must agree.
	const name = "model.layers.1.mlp.up_proj.weight"
	for _, tc := range []struct {
		edit func(map[string]string)
		want []string
	}{
		{func(w map[string]string) {
			w[name] = map[string]string{"part0.safetensors": "part1.safetensors", "part1.safetensors": "part0.safetensors"}[w[name]]
		},
			[]string{name}},
		{func(w map[string]string) { delete(w, name) }, []string{name, "not mapped"}},
		{func(w map[string]string) { w[name] = "../part0.safetensors" }, []string{"not a file name"}},
		{func(w map[string]string) { w[name] = "part9.safetensors" }, []string{"part9.safetensors"}},
	} {
		bad := map[string]string{}
		for k, v := range wm {
			bad[k] = v
		}
		tc.edit(bad)
		writeIndex(bad)
		_, err := LoadHF(hand)
		for _, s := range tc.want {
			if err == nil || !strings.Contains(err.Error(), s) {
				t.Errorf("index edited: error %v, want one naming %q", err, s)
			}
		}
	}
}

// config.json maps to model.Config as documented: defaults, the context
// cap, head_dim and kv heads left zero when they say the default.
func TestParseHFLlamaConfig(t *testing.T) {
	conf := `{"model_type": "llama", "vocab_size": 49152, "hidden_size": 576, "intermediate_size": 1536,
		"num_hidden_layers": 30, "num_attention_heads": 9, "num_key_value_heads": 3, "head_dim": 64,
		"max_position_embeddings": 131072, "rms_norm_eps": 1e-5, "rope_theta": 100000, "tie_word_embeddings": true,
		"rope_scaling": {"type": "llama3", "factor": 32, "low_freq_factor": 1, "high_freq_factor": 4, "original_max_position_embeddings": 8192}}`
	cfg, hc, err := ParseHFConfig([]byte(conf), "config.json")
	if err != nil {
		t.Fatal(err)
	}
	want := model.Config{Arch: model.ArchLlama, VocabSize: 49152, Context: HFMaxContext, Layers: 30, Heads: 9, KVHeads: 3,
		Channels: 576, Hidden: 1536, RopeTheta: 100000, NormEps: 1e-5, TiedEmbeddings: true,
		RopeScaling: &tensor.RoPEScaling{Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 8192}}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("config\n%+v\nwant\n%+v", cfg, want)
	}
	if hc.ModelType != "llama" || hc.Llama.MaxPositionEmbeddings != 131072 {
		t.Errorf("HFConfig %+v", hc)
	}
	cfg, _, err = ParseHFConfig([]byte(`{"model_type": "qwen2", "vocab_size": 10, "hidden_size": 8, "intermediate_size": 12,
		"num_hidden_layers": 1, "num_attention_heads": 2}`), "config.json")
	if err != nil {
		t.Fatal(err)
	}
	want = model.Config{Arch: model.ArchLlama, VocabSize: 10, Context: 32768, Layers: 1, Heads: 2, Channels: 8, Hidden: 12,
		RopeTheta: 10000, NormEps: 1e-6, QKVBias: true}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("qwen2 defaults\n%+v\nwant\n%+v", cfg, want)
	}
}

// Configs and weights align cannot run as written are refused, naming the
// field, the tensor and the file.
func TestLoadHFLlamaErrors(t *testing.T) {
	cfg := llamaFlavours[1].cfg
	m := roughLlama(t, cfg, 4)
	good := t.TempDir()
	if err := SaveHF(good, m, nil, HFOptions{}); err != nil {
		t.Fatal(err)
	}
	goodConf := string(must(os.ReadFile(filepath.Join(good, HFConfigFile))))
	ts := HFLlamaTensors(m, F32)
	const up = "model.layers.1.mlp.up_proj.weight"
	edit := func(f func([]Tensor) []Tensor) []Tensor {
		c := append([]Tensor(nil), ts...)
		return f(c)
	}
	for _, tc := range []struct {
		name    string
		config  string
		tensors []Tensor
		want    []string
	}{
		{"rope type", strings.Replace(goodConf, `"rope_scaling": null`, `"rope_scaling": {"rope_type": "yarn", "factor": 4}`, 1), ts,
			[]string{"config.json", `rope_scaling type "yarn"`}},
		{"activation", strings.Replace(goodConf, `"silu"`, `"gelu"`, 1), ts, []string{`hidden_act "gelu"`}},
		{"o_proj bias", strings.Replace(goodConf, `"attention_bias": false`, `"attention_bias": true`, 1), ts, []string{"attention_bias"}},
		{"missing size", strings.Replace(goodConf, `"intermediate_size"`, `"x"`, 1), ts, []string{"intermediate_size"}},
		{"missing tensor", goodConf, edit(func(c []Tensor) []Tensor {
			for i := range c {
				if c[i].Name == up {
					return append(c[:i], c[i+1:]...)
				}
			}
			return c
		}), []string{up, HFWeightsFile, "missing"}},
		{"wrong shape", goodConf, edit(func(c []Tensor) []Tensor {
			for i := range c {
				if c[i].Name == up {
					c[i].Shape = []int{c[i].Shape[1], c[i].Shape[0]}
				}
			}
			return c
		}), []string{up, HFWeightsFile, "shape"}},
		{"extra tensor", goodConf, append(ts[:len(ts):len(ts)], Tensor{Name: "model.layers.2.mlp.up_proj.weight", Shape: []int{1}, Data: []float32{1}}),
			[]string{"model.layers.2.mlp.up_proj.weight", HFWeightsFile, "unexpected"}},
		{"missing lm_head", goodConf, edit(func(c []Tensor) []Tensor { return c[:len(c)-1] }), []string{"lm_head.weight"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeHFDir(t, tc.config, tc.tensors)
			_, err := LoadHF(dir)
			for _, s := range tc.want {
				if err == nil || !strings.Contains(err.Error(), s) {
					t.Errorf("error %v, want one naming %q", err, s)
				}
			}
		})
	}
	// A tied model's extra lm_head must be the embedding.
	tied := roughLlama(t, llamaFlavours[0].cfg, 4)
	tts := HFLlamaTensors(tied, F32)
	head := Tensor{Name: "lm_head.weight", Shape: tts[0].Shape, Data: append([]float32(nil), tts[0].Data...)}
	dir := t.TempDir()
	if err := SaveHF(dir, tied, nil, HFOptions{}); err != nil {
		t.Fatal(err)
	}
	conf := string(must(os.ReadFile(filepath.Join(dir, HFConfigFile))))
	if _, err := LoadHF(writeHFDir(t, conf, append(tts, head))); err != nil {
		t.Errorf("tied with an equal lm_head: %v", err)
	}
	head.Data[5]++
	if _, err := LoadHF(writeHFDir(t, conf, append(tts, head))); err == nil || !strings.Contains(err.Error(), "lm_head.weight") {
		t.Errorf("tied with a different lm_head: %v", err)
	}
	// Both q/k/v biases and q/k norms have no Hugging Face class.
	both := llamaFlavours[3].cfg
	both.QKVBias = true
	if err := SaveHF(t.TempDir(), must(model.New(both, 1)), nil, HFOptions{}); err == nil {
		t.Error("saving qkv bias with qk norm: want an error")
	}
}

// llamaTorchPython returns /usr/bin/python3 when it has PyTorch and NumPy,
// and skips the test otherwise or under -short.
func llamaTorchPython(t *testing.T) string {
	t.Helper()
	const python = "/usr/bin/python3"
	if testing.Short() {
		t.Skip("starts Python and PyTorch")
	}
	if err := exec.Command(python, "-c", "import torch, numpy").Run(); err != nil {
		t.Skipf("no PyTorch at %s: %v", python, err)
	}
	return python
}

// torchLlamaLogits runs scripts/torch_check_llama.py on dirs (one Python
// start-up for all) and returns each directory's logits.
func torchLlamaLogits(t *testing.T, python string, ids []int32, dirs ...string) [][]float64 {
	t.Helper()
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	args := append([]string{filepath.Join("..", "scripts", "torch_check_llama.py"), strings.Join(s, ",")}, dirs...)
	if out, err := exec.Command(python, args...).CombinedOutput(); err != nil {
		t.Fatalf("torch_check_llama.py: %v\n%s", err, out)
	}
	var res [][]float64
	for _, d := range dirs {
		b := must(os.ReadFile(filepath.Join(d, "torch_logits.bin")))
		v := make([]float64, len(b)/8)
		for i := range v {
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		res = append(res, v)
	}
	return res
}

// checkLlamaTorch saves each model (with its options), has PyTorch read the
// directories, and compares its float64 logits with those of the models
// align loads back from them.
func checkLlamaTorch(t *testing.T, ids []int32, names []string, ms []*model.Model, opts []HFOptions) {
	python := llamaTorchPython(t)
	var dirs []string
	var ours [][]float32
	for i, m := range ms {
		dir := t.TempDir()
		if err := SaveHF(dir, m, nil, opts[i]); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
		ours = append(ours, forwardLogits(t, must(LoadHF(dir)).Model, ids))
	}
	start := time.Now()
	res := torchLlamaLogits(t, python, ids, dirs...)
	t.Logf("PyTorch ran %d models in %v", len(dirs), time.Since(start).Round(time.Millisecond))
	for i, r := range res {
		if len(r) != len(ours[i]) {
			t.Fatalf("%s: PyTorch gave %d logits, want %d", names[i], len(r), len(ours[i]))
		}
		e := relErr64(ours[i], r)
		t.Logf("%s: PyTorch (float64) vs align, max relative error of the logits %.3g", names[i], e)
		if e > 1e-4 {
			t.Errorf("%s: relative error %.3g, want < 1e-4", names[i], e)
		}
	}
}

// TestHFLlamaTorch checks saved directories of every flavour, and a
// Qwen3-shaped model with head_dim 128 at width 64 stored as BF16 shards,
// against an independent PyTorch model that reads only the files.
func TestHFLlamaTorch(t *testing.T) {
	var names []string
	var ms []*model.Model
	var opts []HFOptions
	for i, f := range llamaFlavours {
		names = append(names, f.name)
		ms = append(ms, roughLlama(t, f.cfg, uint64(20+i)))
		opts = append(opts, HFOptions{})
	}
	q3 := model.Config{Arch: model.ArchLlama, VocabSize: 300, Context: 32, Layers: 3, Heads: 4, KVHeads: 2, HeadDim: 128,
		Channels: 64, Hidden: 96, RopeTheta: 1e6, NormEps: 1e-6, QKNorm: true, TiedEmbeddings: true}
	names = append(names, "qwen3 head_dim 128, bf16 shards")
	ms = append(ms, roughLlama(t, q3, 30))
	opts = append(opts, HFOptions{DType: BF16, MaxShardBytes: 100000})
	checkLlamaTorch(t, testIDs(20, 300, 8), names, ms, opts)
}

// TestHFLlamaTorchSmolLM2 is the PyTorch check at the shapes of
// SmolLM2-135M with random weights. It writes half a gigabyte and takes
// about 15 s of two busy cores, so it runs only when ALIGN_TORCH_SMOLLM2 is
// set.
func TestHFLlamaTorchSmolLM2(t *testing.T) {
	if os.Getenv("ALIGN_TORCH_SMOLLM2") == "" {
		t.Skip("set ALIGN_TORCH_SMOLLM2=1 to run")
	}
	checkLlamaTorch(t, testIDs(16, 49152, 9), []string{"SmolLM2-135M shapes"}, []*model.Model{roughLlama(t, smolLM2Config, 40)}, []HFOptions{{}})
}

// smolLM2Config has the shapes of SmolLM2-135M.
var smolLM2Config = model.Config{Arch: model.ArchLlama, VocabSize: 49152, Context: 64, Layers: 30, Heads: 9, KVHeads: 3,
	Channels: 576, Hidden: 1536, RopeTheta: 100000, NormEps: 1e-5, TiedEmbeddings: true}

// qwen3Config has the shapes of Qwen3-0.6B.
var qwen3Config = model.Config{Arch: model.ArchLlama, VocabSize: 151936, Context: 64, Layers: 28, Heads: 16, KVHeads: 8,
	HeadDim: 128, Channels: 1024, Hidden: 3072, RopeTheta: 1e6, NormEps: 1e-6, QKNorm: true, TiedEmbeddings: true}

// TestHFLlamaTorchQwen3 is the PyTorch check at the shapes of Qwen3-0.6B
// (q/k RMSNorm, head_dim 128 at width 1024) with random weights. It writes
// 2.4 GB and PyTorch holds the weights in float64 (4.8 GB); it takes about
// a minute of two busy cores, so it runs only when ALIGN_TORCH_QWEN3 is set.
func TestHFLlamaTorchQwen3(t *testing.T) {
	if os.Getenv("ALIGN_TORCH_QWEN3") == "" {
		t.Skip("set ALIGN_TORCH_QWEN3=1 to run")
	}
	checkLlamaTorch(t, testIDs(16, qwen3Config.VocabSize, 9), []string{"Qwen3-0.6B shapes"},
		[]*model.Model{roughLlama(t, qwen3Config, 41)}, []HFOptions{{}})
}

// The PyTorch comparison is strong enough to see a layout mistake: with
// layer 0's gate_proj and up_proj (same shape) swapped in the file, the
// logits move far beyond the tolerance.
func TestHFLlamaTorchSeesSwap(t *testing.T) {
	python := llamaTorchPython(t)
	m := roughLlama(t, llamaFlavours[0].cfg, 20)
	ids := testIDs(20, 300, 8)
	ours := forwardLogits(t, m, ids)
	dir := t.TempDir()
	if err := SaveHF(dir, m, nil, HFOptions{}); err != nil {
		t.Fatal(err)
	}
	ts := HFLlamaTensors(m, F32)
	byName := map[string]int{}
	for i, tn := range ts {
		byName[tn.Name] = i
	}
	g, u := byName["model.layers.0.mlp.gate_proj.weight"], byName["model.layers.0.mlp.up_proj.weight"]
	ts[g].Data, ts[u].Data = ts[u].Data, ts[g].Data
	if err := SaveSafetensors(filepath.Join(dir, HFWeightsFile), ts, nil); err != nil {
		t.Fatal(err)
	}
	e := relErr64(ours, torchLlamaLogits(t, python, ids, dir)[0])
	t.Logf("gate and up swapped: relative error %.3g", e)
	if e < 1e-2 {
		t.Errorf("swapping gate_proj and up_proj changes the logits by only %.3g: the comparison is too weak", e)
	}
}

// Published config.json files (as on the Hub, tokenizer-side fields kept)
// read as the models they describe. Llama 3.2 declares 131072 positions,
// capped to HFMaxContext; the transformers 5 form keeps θ in
// rope_parameters.
func TestParseHFLlamaConfigReal(t *testing.T) {
	for _, tc := range []struct {
		name, config string
		want         model.Config
	}{
		{"SmolLM2-135M", `{"architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
			"bos_token_id": 0, "eos_token_id": 0, "hidden_act": "silu", "hidden_size": 576, "initializer_range": 0.041666666666666664,
			"intermediate_size": 1536, "is_llama_config": true, "max_position_embeddings": 8192, "mlp_bias": false,
			"model_type": "llama", "num_attention_heads": 9, "num_hidden_layers": 30, "num_key_value_heads": 3,
			"pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_interleaved": false, "rope_scaling": null,
			"rope_theta": 100000, "tie_word_embeddings": true, "torch_dtype": "bfloat16", "transformers_version": "4.40.1",
			"use_cache": true, "vocab_size": 49152}`,
			model.Config{Arch: model.ArchLlama, VocabSize: 49152, Context: 8192, Layers: 30, Heads: 9, KVHeads: 3, Channels: 576,
				Hidden: 1536, RopeTheta: 100000, NormEps: 1e-5, TiedEmbeddings: true}},
		{"Llama-3.2-1B", `{"architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
			"bos_token_id": 128000, "eos_token_id": 128001, "head_dim": 64, "hidden_act": "silu", "hidden_size": 2048,
			"initializer_range": 0.02, "intermediate_size": 8192, "max_position_embeddings": 131072, "mlp_bias": false,
			"model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 16, "num_key_value_heads": 8,
			"pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0,
			"low_freq_factor": 1.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"},
			"rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16", "use_cache": true, "vocab_size": 128256}`,
			model.Config{Arch: model.ArchLlama, VocabSize: 128256, Context: HFMaxContext, Layers: 16, Heads: 32, KVHeads: 8,
				Channels: 2048, Hidden: 8192, RopeTheta: 500000, NormEps: 1e-5, TiedEmbeddings: true,
				RopeScaling: &tensor.RoPEScaling{Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 8192}}},
		{"Qwen2.5-0.5B", `{"architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
			"eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 896, "initializer_range": 0.02, "intermediate_size": 4864,
			"max_position_embeddings": 32768, "max_window_layers": 24, "model_type": "qwen2", "num_attention_heads": 14,
			"num_hidden_layers": 24, "num_key_value_heads": 2, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
			"sliding_window": 32768, "tie_word_embeddings": true, "torch_dtype": "bfloat16", "use_cache": true,
			"use_sliding_window": false, "vocab_size": 151936}`,
			model.Config{Arch: model.ArchLlama, VocabSize: 151936, Context: 32768, Layers: 24, Heads: 14, KVHeads: 2,
				Channels: 896, Hidden: 4864, RopeTheta: 1e6, NormEps: 1e-6, QKVBias: true, TiedEmbeddings: true}},
		{"Qwen3-0.6B", `{"architectures": ["Qwen3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
			"bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu", "hidden_size": 1024,
			"initializer_range": 0.02, "intermediate_size": 3072, "max_position_embeddings": 40960, "max_window_layers": 28,
			"model_type": "qwen3", "num_attention_heads": 16, "num_hidden_layers": 28, "num_key_value_heads": 8,
			"rms_norm_eps": 1e-06, "rope_scaling": null, "rope_theta": 1000000, "sliding_window": null,
			"tie_word_embeddings": true, "torch_dtype": "bfloat16", "use_cache": true, "use_sliding_window": false, "vocab_size": 151936}`,
			model.Config{Arch: model.ArchLlama, VocabSize: 151936, Context: HFMaxContext, Layers: 28, Heads: 16, KVHeads: 8,
				HeadDim: 128, Channels: 1024, Hidden: 3072, RopeTheta: 1e6, NormEps: 1e-6, QKNorm: true, TiedEmbeddings: true}},
		{"transformers 5 rope_parameters", `{"model_type": "qwen3", "vocab_size": 100, "hidden_size": 64, "intermediate_size": 96,
			"num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32, "max_position_embeddings": 512,
			"rope_parameters": {"rope_theta": 1000000, "rope_type": "default"}}`,
			model.Config{Arch: model.ArchLlama, VocabSize: 100, Context: 512, Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 32,
				Channels: 64, Hidden: 96, RopeTheta: 1e6, NormEps: 1e-6, QKNorm: true}},
	} {
		cfg, _, err := ParseHFConfig([]byte(tc.config), tc.name)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(cfg, tc.want) {
			t.Errorf("%s: config\n%+v\nwant\n%+v", tc.name, cfg, tc.want)
		}
	}
}

// config.json and generation_config.json name the BOS a model's conversations
// start with: Llama 3's <|begin_of_text|>, not its end-of-turn, and the
// bos_token_id of the generation_config.json a tokenizer was loaded with.
func TestHFLlamaBOS(t *testing.T) {
	m := roughLlama(t, llamaFlavours[0].cfg, 3)
	tok := llama3Tokenizer(t)
	dir := t.TempDir()
	if err := SaveHF(dir, m, tok, HFOptions{}); err != nil {
		t.Fatal(err)
	}
	begin, _ := tok.TokenID("<|begin_of_text|>")
	eot, _ := tok.TokenID("<|eot_id|>")
	checkBOS := func(dir string, bos, eos int) {
		t.Helper()
		hm := must(LoadHF(dir))
		if hm.Config.BOSTokenID == nil || hm.Config.EOSTokenID == nil {
			t.Fatalf("config.json has no bos_token_id or eos_token_id")
		}
		if *hm.Config.BOSTokenID != bos || *hm.Config.EOSTokenID != eos {
			t.Errorf("config.json bos_token_id %d, eos_token_id %d, want %d, %d", *hm.Config.BOSTokenID, *hm.Config.EOSTokenID, bos, eos)
		}
		var gen struct {
			BOS int `json:"bos_token_id"`
		}
		if err := json.Unmarshal(must(os.ReadFile(filepath.Join(dir, HFGenerationConfigFile))), &gen); err != nil || gen.BOS != bos {
			t.Errorf("generation_config.json bos_token_id %d (%v), want %d", gen.BOS, err, bos)
		}
	}
	checkBOS(dir, begin, eot)

	// A ChatML tokenizer whose generation_config.json names its own BOS
	// keeps it through a load and a save.
	dir2 := t.TempDir()
	if err := SaveHF(dir2, m, testTokenizer(t, true), HFOptions{}); err != nil {
		t.Fatal(err)
	}
	end := must(LoadHF(dir2)).Config.EOSTokenID
	gen := map[string]any{"bos_token_id": 7, "eos_token_id": *end}
	if err := writeJSONFile(filepath.Join(dir2, HFGenerationConfigFile), gen); err != nil {
		t.Fatal(err)
	}
	_, tok2, err := LoadPolicy(dir2)
	if err != nil {
		t.Fatal(err)
	}
	dir3 := t.TempDir()
	if err := SaveHF(dir3, m, tok2, HFOptions{}); err != nil {
		t.Fatal(err)
	}
	checkBOS(dir3, 7, *end)
}
