package checkpoint

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/align-project/align/model"
)

var loraAll = []string{"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}

// loraModel returns a rough Llama of flavour f with adapters of rank 3 on
// targets, A and B random.
func loraModel(t testing.TB, cfg model.Config, targets []string, seed uint64) *model.Model {
	t.Helper()
	m := roughLlama(t, cfg, seed)
	if err := m.AddLoRA(model.LoRAConfig{Rank: 3, Alpha: 7, Targets: targets}, seed); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 11))
	for i := range m.TrainableParams() {
		m.TrainableParams()[i] = float32(rng.NormFloat64() * 0.2)
	}
	return m
}

// TestPEFTRoundTrip: SaveLoRA → LoadLoRA onto the same base gives the
// adapters bit-exactly, and the same logits.
func TestPEFTRoundTrip(t *testing.T) {
	for i, f := range llamaFlavours {
		t.Run(f.name, func(t *testing.T) {
			targets := loraAll
			if i%2 == 1 {
				targets = []string{"v_proj", "q_proj", "down_proj"}
			}
			m := loraModel(t, f.cfg, targets, uint64(40+i))
			ids := testIDs(12, f.cfg.VocabSize, 3)
			want := forwardLogits(t, m, ids)
			dir := t.TempDir()
			if err := SaveLoRA(dir, m, PEFTOptions{BaseModel: "HuggingFaceTB/SmolLM2-135M"}); err != nil {
				t.Fatal(err)
			}
			base := m.Base()
			c, err := base.Clone()
			if err != nil {
				t.Fatal(err)
			}
			if err := LoadLoRA(dir, c); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.TrainableParams(), m.TrainableParams()) {
				t.Error("adapters differ after a round trip")
			}
			if got := forwardLogits(t, c, ids); !slices.Equal(got, want) {
				t.Error("logits differ after a round trip")
			}
			lc, _ := m.LoRA()
			got, _ := c.LoRA()
			if got.Rank != lc.Rank || got.Alpha != lc.Alpha || !slices.Equal(got.Targets, lc.Targets) {
				t.Errorf("config %+v, want %+v", got, lc)
			}
		})
	}
}

// TestPEFTLayout pins the file names, config fields and tensor names and
// shapes to PEFT's.
func TestPEFTLayout(t *testing.T) {
	cfg := llamaFlavours[0].cfg // C 32, 4 heads of 8, 2 KV heads, H 48
	m := loraModel(t, cfg, []string{"q_proj", "k_proj", "o_proj", "down_proj"}, 1)
	dir := t.TempDir()
	if err := SaveLoRA(dir, m, PEFTOptions{BaseModel: "base/dir"}); err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(must(os.ReadFile(filepath.Join(dir, "adapter_config.json"))), &c); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]any{
		"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": 3.0, "lora_alpha": 7.0, "lora_dropout": 0.0,
		"bias": "none", "fan_in_fan_out": false, "base_model_name_or_path": "base/dir", "use_dora": false, "use_rslora": false,
	} {
		if c[k] != v {
			t.Errorf("adapter_config.json %s = %v, want %v", k, c[k], v)
		}
	}
	if tm, _ := json.Marshal(c["target_modules"]); string(tm) != `["q_proj","k_proj","o_proj","down_proj"]` {
		t.Errorf("target_modules %s", tm)
	}
	sf := must(OpenSafetensors(filepath.Join(dir, "adapter_model.safetensors")))
	defer sf.Close()
	want := map[string][]int{
		"base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight": {3, 32},
		"base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight": {32, 3},
		"base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight": {16, 3},
		"base_model.model.model.layers.0.self_attn.o_proj.lora_A.weight": {3, 32},
		"base_model.model.model.layers.1.mlp.down_proj.lora_A.weight":    {3, 48},
		"base_model.model.model.layers.1.mlp.down_proj.lora_B.weight":    {32, 3},
	}
	for name, shape := range want {
		st, ok := sf.Tensor(name)
		if !ok || !slices.Equal(st.Shape, shape) || st.DType != "F32" {
			t.Errorf("%s: %+v (present %v), want F32 %v", name, st, ok, shape)
		}
	}
	if len(sf.Tensors) != 2*2*4 {
		t.Errorf("%d tensors, want 16", len(sf.Tensors))
	}
	if sf.Metadata["format"] != "pt" {
		t.Errorf("metadata %v", sf.Metadata)
	}
	// BF16 storage loads back rounded.
	dir16 := t.TempDir()
	if err := SaveLoRA(dir16, m, PEFTOptions{DType: BF16}); err != nil {
		t.Fatal(err)
	}
	c16 := must(m.Base().Clone())
	if err := LoadLoRA(dir16, c16); err != nil {
		t.Fatal(err)
	}
	for i, v := range m.TrainableParams() {
		if got, want := c16.TrainableParams()[i], dtypeRounding[BF16](v); got != want {
			t.Fatalf("bf16 adapter %d = %v, want %v", i, got, want)
		}
	}
}

// TestPEFTLoadErrors: each broken directory gives an error naming the file
// and what is wrong, and leaves the model without adapters.
func TestPEFTLoadErrors(t *testing.T) {
	cfg := llamaFlavours[1].cfg
	m := loraModel(t, cfg, []string{"q_proj", "up_proj"}, 2)
	good := t.TempDir()
	if err := SaveLoRA(good, m, PEFTOptions{}); err != nil {
		t.Fatal(err)
	}
	goodConfig := must(os.ReadFile(filepath.Join(good, PEFTConfigFile)))
	editConfig := func(edit func(map[string]any)) func(dir string) {
		return func(dir string) {
			var c map[string]any
			if err := json.Unmarshal(goodConfig, &c); err != nil {
				t.Fatal(err)
			}
			edit(c)
			if err := os.WriteFile(filepath.Join(dir, PEFTConfigFile), must(json.Marshal(c)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	rewriteTensors := func(edit func([]Tensor) []Tensor) func(dir string) {
		return func(dir string) {
			var ts []Tensor
			for _, tn := range m.LoRATensors() {
				ts = append(ts, Tensor{Name: peftPrefix + tn.Name, Shape: tn.Shape, Data: tn.Data})
			}
			if err := SaveSafetensors(filepath.Join(dir, PEFTWeightsFile), edit(ts), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		name   string
		break_ func(dir string)
		want   []string
	}{
		{"unknown target", editConfig(func(c map[string]any) { c["target_modules"] = []string{"q_proj", "c_attn"} }), []string{PEFTConfigFile, `"c_attn"`}},
		{"regex target", editConfig(func(c map[string]any) { c["target_modules"] = ".*proj" }), []string{PEFTConfigFile, "regular expression"}},
		{"dora", editConfig(func(c map[string]any) { c["use_dora"] = true }), []string{PEFTConfigFile, "DoRA"}},
		{"bias", editConfig(func(c map[string]any) { c["bias"] = "all" }), []string{PEFTConfigFile, "bias"}},
		{"modules_to_save", editConfig(func(c map[string]any) { c["modules_to_save"] = []string{"lm_head"} }), []string{PEFTConfigFile, "modules_to_save"}},
		{"prefix tuning", editConfig(func(c map[string]any) { c["peft_type"] = "PREFIX_TUNING" }), []string{PEFTConfigFile, "PREFIX_TUNING"}},
		{"rank mismatch", editConfig(func(c map[string]any) { c["r"] = 4 }), []string{PEFTWeightsFile, "lora_A.weight", "[3 32]", "want [4 32]"}},
		{"missing tensor", rewriteTensors(func(ts []Tensor) []Tensor { return ts[1:] }), []string{PEFTWeightsFile, "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", "missing"}},
		{"extra tensor", rewriteTensors(func(ts []Tensor) []Tensor {
			return append(ts, Tensor{Name: "base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight", Shape: []int{3, 32}, Data: make([]float32, 96)})
		}), []string{PEFTWeightsFile, "unexpected", "k_proj"}},
		{"wrong shape", rewriteTensors(func(ts []Tensor) []Tensor {
			ts[3].Shape = []int{ts[3].Shape[1], ts[3].Shape[0]}
			return ts
		}), []string{PEFTWeightsFile, "up_proj.lora_B.weight", "shape"}},
		{"adapter name", rewriteTensors(func(ts []Tensor) []Tensor {
			for i := range ts {
				ts[i].Name = strings.Replace(ts[i].Name, ".weight", ".default.weight", 1)
			}
			return ts
		}), []string{PEFTWeightsFile, "default"}},
		{"no weights", func(dir string) { os.Remove(filepath.Join(dir, PEFTWeightsFile)) }, []string{PEFTWeightsFile}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{PEFTConfigFile, PEFTWeightsFile} {
				if err := os.WriteFile(filepath.Join(dir, f), must(os.ReadFile(filepath.Join(good, f))), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			tc.break_(dir)
			c := must(m.Base().Clone())
			err := LoadLoRA(dir, c)
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if _, ok := c.LoRA(); ok {
				t.Error("a failed load attached adapters")
			}
		})
	}
	// all-linear means every projection.
	dir := t.TempDir()
	full := loraModel(t, cfg, loraAll, 3)
	if err := SaveLoRA(dir, full, PEFTOptions{}); err != nil {
		t.Fatal(err)
	}
	editConfig(func(c map[string]any) { c["target_modules"] = "all-linear" })(dir)
	c := must(full.Base().Clone())
	if err := LoadLoRA(dir, c); err != nil {
		t.Fatalf("all-linear: %v", err)
	}
	if !slices.Equal(c.TrainableParams(), full.TrainableParams()) {
		t.Error("all-linear adapters differ")
	}
	if err := SaveLoRA(t.TempDir(), must(full.Merged()), PEFTOptions{}); err == nil {
		t.Error("SaveLoRA of a model without adapters succeeded")
	}
}

// TestSaveHFMergesLoRA: SaveHF of a model with adapters writes the merged
// model, whose logits are the adapter model's.
func TestSaveHFMergesLoRA(t *testing.T) {
	cfg := llamaFlavours[3].cfg
	m := loraModel(t, cfg, loraAll, 4)
	ids := testIDs(10, cfg.VocabSize, 5)
	want := forwardLogits(t, m, ids)
	dir := t.TempDir()
	if err := SaveHF(dir, m, nil, HFOptions{}); err != nil {
		t.Fatal(err)
	}
	hm := must(LoadHF(dir))
	if _, ok := hm.Model.LoRA(); ok {
		t.Fatal("the saved model has adapters")
	}
	if !slices.Equal(hm.Model.Params(), must(m.Merged()).Params()) {
		t.Error("SaveHF did not write the merged weights")
	}
	got := forwardLogits(t, hm.Model, ids)
	var d, s float64
	for i := range got {
		d = max(d, float64(abs32(got[i]-want[i])))
		s = max(s, float64(abs32(want[i])))
	}
	if d/s > 1e-5 {
		t.Errorf("merged logits differ from the adapter model's by %.3g (relative)", d/s)
	}
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// TestLoRATrainStateResume: a LoRA run saved mid-way and restored onto a
// fresh copy of its base continues bit-exactly; the state holds only the
// adapters and their moments.
func TestLoRATrainStateResume(t *testing.T) {
	cfg := llamaFlavours[2].cfg
	lc := model.LoRAConfig{Rank: 4, Alpha: 8, Targets: []string{"q_proj", "v_proj", "gate_proj"}}
	baseModel := roughLlama(t, cfg, 9)
	ids := testIDs(2*12, cfg.VocabSize, 6)
	newRun := func() (*model.Model, *model.Optimizer) {
		m := must(baseModel.Clone())
		if err := m.AddLoRA(lc, 5); err != nil {
			t.Fatal(err)
		}
		return m, must(model.NewOptimizer(m, model.DefaultAdamW()))
	}
	step := func(m *model.Model, opt *model.Optimizer, k int) float32 {
		in := slices.Clone(ids)
		in[k%len(in)] = int32(k % cfg.VocabSize)
		if err := m.Forward(in, 2, 12); err != nil {
			t.Fatal(err)
		}
		loss := must(m.LMLoss(in, nil))
		m.ZeroGrad()
		if err := m.Backward(); err != nil {
			t.Fatal(err)
		}
		if _, err := opt.Step(3e-3); err != nil {
			t.Fatal(err)
		}
		return loss
	}
	m, opt := newRun()
	for k := 0; k < 3; k++ {
		step(m, opt, k)
	}
	dir := t.TempDir()
	st := CaptureTrainState(m, opt)
	st.Step = 3
	if err := SaveTrainState(dir, st); err != nil {
		t.Fatal(err)
	}
	var want []float32
	for k := 3; k < 6; k++ {
		want = append(want, step(m, opt, k))
	}

	ld, err := LoadTrainState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ld.LoRA == nil || len(ld.Params) != lc.NumParams(cfg) || len(ld.M) != lc.NumParams(cfg) {
		t.Fatalf("loaded LoRA %v with %d parameters, want %d", ld.LoRA, len(ld.Params), lc.NumParams(cfg))
	}
	if _, _, err := ld.Restore(); err == nil || !strings.Contains(err.Error(), "RestoreInto") {
		t.Errorf("Restore of a LoRA state: %v", err)
	}
	r, ropt := newRun()
	if err := ld.RestoreInto(r, ropt); err != nil {
		t.Fatal(err)
	}
	var got []float32
	for k := 3; k < 6; k++ {
		got = append(got, step(r, ropt, k))
	}
	if !slices.Equal(got, want) {
		t.Errorf("resumed losses %v, want %v", got, want)
	}
	if !slices.Equal(r.TrainableParams(), m.TrainableParams()) || !slices.Equal(ropt.M, opt.M) || !slices.Equal(ropt.V, opt.V) {
		t.Error("resumed adapters or moments differ")
	}
	if !slices.Equal(r.Params(), baseModel.Params()) {
		t.Error("the base changed during LoRA training")
	}

	// Mismatches are refused.
	full := must(baseModel.Clone())
	if err := ld.RestoreInto(full, must(model.NewOptimizer(full, model.DefaultAdamW()))); err == nil || !strings.Contains(err.Error(), "adapters") {
		t.Errorf("restore onto a model without adapters: %v", err)
	}
	other := must(baseModel.Clone())
	if err := other.AddLoRA(model.LoRAConfig{Rank: 4, Alpha: 8, Targets: []string{"q_proj"}}, 5); err != nil {
		t.Fatal(err)
	}
	if err := ld.RestoreInto(other, must(model.NewOptimizer(other, model.DefaultAdamW()))); err == nil || !strings.Contains(err.Error(), "differ") {
		t.Errorf("restore onto other adapters: %v", err)
	}
	fullState := CaptureTrainState(full, must(model.NewOptimizer(full, model.DefaultAdamW())))
	if err := fullState.RestoreInto(r, ropt); err == nil {
		t.Error("restoring a full state onto a LoRA model succeeded")
	}
}

// TestPEFTTorch runs PyTorch (scripts/torch_check_llama.py, which applies a
// PEFT adapter directory as peft's LoraLayer does, unmerged, reading only
// the files) on the base plus adapters and on the merged export, and
// compares both with align's adapter model.
func TestPEFTTorch(t *testing.T) {
	python := llamaTorchPython(t)
	var dirs []string
	var ours [][]float32
	ids := testIDs(16, 300, 9)
	for i, f := range llamaFlavours {
		targets := loraAll
		if i%2 == 1 {
			targets = []string{"q_proj", "v_proj", "up_proj"}
		}
		m := loraModel(t, f.cfg, targets, uint64(60+i))
		adapted, merged := t.TempDir(), t.TempDir()
		if err := SaveHF(adapted, m.Base(), nil, HFOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := SaveLoRA(adapted, m, PEFTOptions{BaseModel: adapted}); err != nil {
			t.Fatal(err)
		}
		if err := SaveHF(merged, m, nil, HFOptions{}); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, adapted, merged)
		want := forwardLogits(t, m, ids)
		ours = append(ours, want, want)
	}
	res := torchLlamaLogits(t, python, ids, dirs...)
	for i, r := range res {
		name := llamaFlavours[i/2].name + [2]string{" base+adapter", " merged"}[i%2]
		e := relErr64(ours[i], r)
		t.Logf("%s: PyTorch (float64) vs align's adapter model, max relative error of the logits %.3g", name, e)
		if e > 1e-4 {
			t.Errorf("%s: relative error %.3g, want < 1e-4", name, e)
		}
	}
}

// TestPEFTGPT2: GPT-2 adapters save under PEFT's GPT-2 names (Conv1D:
// fan_in_fan_out), load back bit-exactly, and SaveHF writes them merged.
func TestPEFTGPT2(t *testing.T) {
	m := testModel(t, tinyConfig, 3)
	if err := m.AddLoRA(model.LoRAConfig{Rank: 2, Alpha: 4, Targets: []string{"c_attn", "c_proj"}}, 1); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range m.TrainableParams() {
		m.TrainableParams()[i] = float32(rng.NormFloat64() * 0.2)
	}
	ids := testIDs(12, tinyConfig.VocabSize, 1)
	want := forwardLogits(t, m, ids)
	dir := t.TempDir()
	if err := SaveLoRA(dir, m, PEFTOptions{BaseModel: "gpt2"}); err != nil {
		t.Fatal(err)
	}
	sf := must(OpenSafetensors(filepath.Join(dir, PEFTWeightsFile)))
	for name, shape := range map[string][]int{
		"base_model.model.transformer.h.0.attn.c_attn.lora_A.weight": {2, 16},
		"base_model.model.transformer.h.0.attn.c_attn.lora_B.weight": {48, 2},
		"base_model.model.transformer.h.1.attn.c_proj.lora_B.weight": {16, 2},
		"base_model.model.transformer.h.1.mlp.c_proj.lora_A.weight":  {2, 64},
	} {
		if st, ok := sf.Tensor(name); !ok || !slices.Equal(st.Shape, shape) {
			t.Errorf("%s: %+v (present %v), want %v", name, st, ok, shape)
		}
	}
	sf.Close()
	var c map[string]any
	if err := json.Unmarshal(must(os.ReadFile(filepath.Join(dir, PEFTConfigFile))), &c); err != nil {
		t.Fatal(err)
	}
	if c["fan_in_fan_out"] != true {
		t.Errorf("fan_in_fan_out = %v for GPT-2", c["fan_in_fan_out"])
	}
	r := must(m.Base().Clone())
	if err := LoadLoRA(dir, r); err != nil {
		t.Fatal(err)
	}
	if got := forwardLogits(t, r, ids); !slices.Equal(got, want) {
		t.Error("logits differ after a round trip")
	}
	hf := t.TempDir()
	if err := SaveHF(hf, m, nil, HFOptions{}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(must(LoadHF(hf)).Model.Params(), must(m.Merged()).Params()) {
		t.Error("SaveHF did not write the merged GPT-2")
	}
}
