package checkpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/align-project/align/model"
)

// LoRA adapters are saved in PEFT's layout, which peft's
// PeftModel.from_pretrained(base, dir) reads: adapter_config.json and
// adapter_model.safetensors, whose tensors are named
//
//	base_model.model.model.layers.{l}.self_attn.q_proj.lora_A.weight  [r, in]
//	base_model.model.model.layers.{l}.self_attn.q_proj.lora_B.weight  [out, r]
//
// (PEFT's "base_model.model." prefix before the transformers state-dict
// name of the adapted module, without the adapter name "default").
//
// A reward or value model (scalar heads) trains its head beside the
// adapters, as PEFT's sequence-classification models do: adapter_config.json
// then says task_type "SEQ_CLS" and modules_to_save ["classifier", "score"]
// (the list PeftModelForSequenceClassification writes), and the head is
// saved whole under its transformers name, without PEFT's
// "modules_to_save.default." infix, as get_peft_model_state_dict saves it:
//
//	base_model.model.score.weight  [K, C]
//	base_model.model.score.bias    [K]  (align's heads have a bias; optional on load)
const (
	PEFTConfigFile  = "adapter_config.json"
	PEFTWeightsFile = "adapter_model.safetensors"
	peftPrefix      = "base_model.model."
	// peftHead is the scalar heads' module, the one entry of modules_to_save
	// align trains; peftClassifier is the other name PEFT adds for
	// SEQ_CLS, which no GPT-2 or Llama-family model has.
	peftHead       = "score"
	peftClassifier = "classifier"
)

// PEFTConfig is adapter_config.json as align writes it: every field PEFT's
// LoraConfig needs to rebuild the adapters, with the features align does
// not implement (DoRA, rsLoRA, per-module ranks, trained modules other than
// the scalar heads) switched off.
type PEFTConfig struct {
	PeftType          string          `json:"peft_type"`
	TaskType          string          `json:"task_type"`
	BaseModel         string          `json:"base_model_name_or_path"`
	R                 int             `json:"r"`
	LoraAlpha         float64         `json:"lora_alpha"`
	LoraDropout       float64         `json:"lora_dropout"`
	TargetModules     json.RawMessage `json:"target_modules"` // a list of names, or "all-linear"
	Bias              string          `json:"bias"`
	FanInFanOut       bool            `json:"fan_in_fan_out"`
	InferenceMode     bool            `json:"inference_mode"`
	InitLoraWeights   json.RawMessage `json:"init_lora_weights"`
	UseRSLoRA         bool            `json:"use_rslora"`
	UseDoRA           bool            `json:"use_dora"`
	ModulesToSave     json.RawMessage `json:"modules_to_save"`
	LayersToTransform json.RawMessage `json:"layers_to_transform"`
	LayersPattern     json.RawMessage `json:"layers_pattern"`
	RankPattern       json.RawMessage `json:"rank_pattern"`
	AlphaPattern      json.RawMessage `json:"alpha_pattern"`
	Revision          json.RawMessage `json:"revision"`
}

// PEFTOptions are the optional parts of SaveLoRA.
type PEFTOptions struct {
	// BaseModel is written as base_model_name_or_path: the directory or hub
	// name of the base model the adapters belong to (PEFT loads it from
	// there when given only the adapter directory).
	BaseModel string
	// DType stores the adapters as F32 (default, bit-exact), F16 or BF16.
	DType DType
}

// SaveLoRA writes m's adapters to dir (created if needed) in PEFT's layout,
// with a reward or value model's trained scalar heads as modules_to_save.
// adapter_config.json is written last, so a directory holding one holds a
// complete adapter.
func SaveLoRA(dir string, m *model.Model, opt PEFTOptions) error {
	fail := func(err error) error { return fmt.Errorf("save lora %s: %w", dir, err) }
	lc, ok := m.LoRA()
	if !ok {
		return fail(errors.New("the model has no adapters"))
	}
	if err := m.CheckFinite(); err != nil {
		return fail(err)
	}
	dt := opt.DType
	if dt.Size() == 0 {
		return fail(fmt.Errorf("invalid dtype %v", dt))
	}
	var tensors []Tensor
	for _, t := range m.LoRATensors() {
		tensors = append(tensors, Tensor{Name: peftPrefix + t.Name, Shape: t.Shape, Data: t.Data, DType: dt})
	}
	targets, _ := json.Marshal(lc.Targets)
	task, save := "CAUSAL_LM", json.RawMessage("null")
	if m.Config.ScalarHeads > 0 {
		task, save = "SEQ_CLS", json.RawMessage(`["`+peftClassifier+`","`+peftHead+`"]`)
	}
	cfg := PEFTConfig{
		PeftType: "LORA", TaskType: task, BaseModel: opt.BaseModel,
		R: lc.Rank, LoraAlpha: lc.Alpha, TargetModules: targets, Bias: "none", InferenceMode: true,
		// GPT-2's Conv1D stores its weights (in, out); PEFT sets this for
		// it (and ignores it on nn.Linear). lora_A and lora_B keep their
		// shapes either way.
		FanInFanOut:     !m.Config.IsLlama(),
		InitLoraWeights: json.RawMessage("true"), ModulesToSave: save,
		LayersToTransform: json.RawMessage("null"), LayersPattern: json.RawMessage("null"),
		RankPattern: json.RawMessage("{}"), AlphaPattern: json.RawMessage("{}"), Revision: json.RawMessage("null"),
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	if err := SaveSafetensors(filepath.Join(dir, PEFTWeightsFile), tensors, map[string]string{"format": "pt"}); err != nil {
		return fail(err)
	}
	if err := writeJSONFile(filepath.Join(dir, PEFTConfigFile), cfg); err != nil {
		return fail(err)
	}
	return nil
}

// ReadLoRAConfig reads dir's adapter_config.json as the adapters align can
// attach, refusing the PEFT features it does not implement. task_type may
// be CAUSAL_LM or SEQ_CLS, and modules_to_save may name only "score" (the
// scalar heads) and "classifier" (see LoadLoRA).
func ReadLoRAConfig(dir string) (model.LoRAConfig, PEFTConfig, error) {
	path := filepath.Join(dir, PEFTConfigFile)
	fail := func(format string, args ...any) error {
		return fmt.Errorf("load lora %s: %s", path, fmt.Sprintf(format, args...))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return model.LoRAConfig{}, PEFTConfig{}, fmt.Errorf("load lora: %w", err)
	}
	var pc PEFTConfig
	if err := json.Unmarshal(data, &pc); err != nil {
		return model.LoRAConfig{}, pc, fail("%v", err)
	}
	isNull := func(raw json.RawMessage) bool {
		s := strings.TrimSpace(string(raw))
		return s == "" || s == "null" || s == "{}" || s == "[]"
	}
	switch {
	case pc.PeftType != "LORA":
		return model.LoRAConfig{}, pc, fail("peft_type %q: only LORA adapters are supported", pc.PeftType)
	case pc.TaskType != "" && pc.TaskType != "CAUSAL_LM" && pc.TaskType != "SEQ_CLS":
		return model.LoRAConfig{}, pc, fail("task_type %q: only CAUSAL_LM (policy) and SEQ_CLS (reward or value model) adapters are supported", pc.TaskType)
	case pc.Bias != "" && pc.Bias != "none":
		return model.LoRAConfig{}, pc, fail("bias %q: adapters that train biases are not supported (want \"none\")", pc.Bias)
	case pc.UseDoRA:
		return model.LoRAConfig{}, pc, fail("use_dora: DoRA adapters are not supported")
	case pc.UseRSLoRA:
		return model.LoRAConfig{}, pc, fail("use_rslora: rank-stabilised scaling is not supported")
	case !isNull(pc.LayersToTransform) || !isNull(pc.LayersPattern):
		return model.LoRAConfig{}, pc, fail("layers_to_transform/layers_pattern: adapters on some layers only are not supported")
	case !isNull(pc.RankPattern) || !isNull(pc.AlphaPattern):
		return model.LoRAConfig{}, pc, fail("rank_pattern/alpha_pattern: per-module ranks are not supported")
	}
	if _, err := pc.savesHead(); err != nil {
		return model.LoRAConfig{}, pc, fail("%v", err)
	}
	lc := model.LoRAConfig{Rank: pc.R, Alpha: pc.LoraAlpha}
	var list []string
	var one string
	switch {
	case json.Unmarshal(pc.TargetModules, &list) == nil && list != nil:
		lc.Targets = list
	case json.Unmarshal(pc.TargetModules, &one) == nil:
		if one != "all-linear" {
			return model.LoRAConfig{}, pc, fail("target_modules %q: a regular expression is not supported (list the modules)", one)
		}
		lc.Targets = []string{model.LoRAAllLinear}
	default:
		return model.LoRAConfig{}, pc, fail("target_modules must be a list of module names")
	}
	return lc, pc, nil
}

// savesHead reports whether modules_to_save names the scalar heads
// ("score"), refusing any module but "score" and "classifier" (which PEFT
// adds for SEQ_CLS and no GPT-2 or Llama-family model has).
func (pc PEFTConfig) savesHead() (bool, error) {
	s := strings.TrimSpace(string(pc.ModulesToSave))
	if s == "" || s == "null" {
		return false, nil
	}
	var list []string
	if err := json.Unmarshal(pc.ModulesToSave, &list); err != nil {
		return false, fmt.Errorf("modules_to_save %s must be a list of module names", pc.ModulesToSave)
	}
	head := false
	for _, name := range list {
		switch name {
		case peftHead:
			head = true
		case peftClassifier:
		default:
			return false, fmt.Errorf("modules_to_save %s: only the scalar heads (%q) can be trained whole, not %q", pc.ModulesToSave, peftHead, name)
		}
	}
	return head, nil
}

// LoadLoRA reads the PEFT adapters in dir and attaches them to m, a base
// model without adapters. Every tensor the config implies must be present
// with its shape, and no other: errors name the file and the tensor.
//
// A reward or value model's adapter (modules_to_save naming "score") also
// holds the trained scalar heads, which replace m's: score.weight must be
// present, score.bias may be absent (m's biases are kept, as PEFT keeps the
// copied module's). m must then have scalar heads of that shape. Without
// "score" in modules_to_save, m's heads (if any) are kept and become
// trainable with the adapters (see model.Model.AddLoRA).
func LoadLoRA(dir string, m *model.Model) error {
	lc, pc, err := ReadLoRAConfig(dir)
	if err != nil {
		return err
	}
	cpath := filepath.Join(dir, PEFTConfigFile)
	if err := lc.Validate(m.Config); err != nil {
		return fmt.Errorf("load lora %s: %w", cpath, err)
	}
	head, _ := pc.savesHead()
	if (head || pc.TaskType == "SEQ_CLS") && m.Config.ScalarHeads == 0 {
		var save bytes.Buffer
		if json.Compact(&save, pc.ModulesToSave) != nil {
			save.Reset()
			save.WriteString("null")
		}
		return fmt.Errorf("load lora %s: a reward or value model's adapter (task_type %q, modules_to_save %s) needs a base model with scalar heads; this one has none",
			cpath, pc.TaskType, save.String())
	}
	wpath := filepath.Join(dir, PEFTWeightsFile)
	sf, err := OpenSafetensors(wpath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			if _, e := os.Stat(filepath.Join(dir, "adapter_model.bin")); e == nil {
				return fmt.Errorf("load lora %s: only adapter_model.bin (a pickle) is present; save the adapter with safe_serialization", dir)
			}
		}
		return fmt.Errorf("load lora: %w", err)
	}
	defer sf.Close()
	return loadLoRAInto(m, lc, sf, wpath, head)
}

// loadLoRAInto reads and checks every tensor before attaching anything, so
// a bad file leaves m as it was. head says the file holds the scalar heads
// (modules_to_save "score").
func loadLoRAInto(m *model.Model, lc model.LoRAConfig, sf *SafetensorsFile, wpath string, head bool) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("load lora %s: %s", wpath, fmt.Sprintf(format, args...))
	}
	if _, ok := m.LoRA(); ok {
		return fail("the model already has adapters")
	}
	if m.Frozen() {
		return fail("cannot attach adapters to a frozen base view")
	}
	want := model.LoRATensorShapes(m.Config, lc)
	if !head { // m's heads are kept: the file must not hold any
		want = slices.DeleteFunc(want, func(t model.Tensor) bool { return strings.HasPrefix(t.Name, peftHead+".") })
	}
	data := make(map[string][]float32, len(want))
	for _, w := range want {
		name := peftPrefix + w.Name
		st, ok := sf.Tensor(name)
		if !ok && w.Name == peftHead+".bias" {
			continue // a head without bias (transformers' score is a Linear without one): keep m's
		}
		if !ok {
			if _, ok := sf.Tensor(strings.Replace(name, ".weight", ".default.weight", 1)); ok {
				return fail("tensor %q is named with its adapter name (\".default.\"); PEFT's saved files leave it out", name)
			}
			return fail("tensor %q is missing", name)
		}
		if !slices.Equal(st.Shape, w.Shape) {
			if strings.HasPrefix(w.Name, peftHead+".") {
				return fail("tensor %q has shape %v, want %v (the model's %d scalar heads)", name, st.Shape, w.Shape, m.Config.ScalarHeads)
			}
			return fail("tensor %q has shape %v, want %v (rank %d)", name, st.Shape, w.Shape, lc.Rank)
		}
		buf := make([]float32, st.NumElements())
		if err := sf.ReadFloat32Into(name, buf); err != nil {
			return err
		}
		if i := firstBad(buf); i >= 0 {
			return fail("tensor %q holds %v at index %d", name, buf[i], i)
		}
		data[name] = buf
	}
	for _, st := range sf.Tensors {
		if _, ok := data[st.Name]; !ok {
			if strings.HasPrefix(st.Name, peftPrefix+peftHead+".") && !head {
				return fail("unexpected tensor %q: adapter_config.json's modules_to_save does not name %q", st.Name, peftHead)
			}
			return fail("unexpected tensor %q (not one of the %d adapters of target_modules %v)", st.Name, len(want), lc.Targets)
		}
	}
	if err := m.AddLoRA(lc, 0); err != nil {
		return fail("%v", err)
	}
	for _, t := range m.LoRATensors() {
		if d, ok := data[peftPrefix+t.Name]; ok {
			copy(t.Data, d)
		}
	}
	return nil
}

// firstBad returns the index of the first NaN or infinity in s, or -1.
func firstBad(s []float32) int {
	for i, v := range s {
		if v-v != 0 {
			return i
		}
	}
	return -1
}
