package trainkit

import (
	"fmt"
	"strings"

	"github.com/align-project/align/internal/outguard"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
)

// LoRA is the low-rank-adapter setting of a trainer that fine-tunes a
// policy (SFT, DPO, PPO, GRPO): with a rank, only adapters on the target
// projections train, the base weights stay frozen and serve as the
// reference policy too. The keys are omitted from a config file when
// unset, so a full fine-tuning run's config reads as it did before LoRA.
type LoRA struct {
	Rank    int     `yaml:"lora_rank,omitempty"`    // adapter rank r; 0 = train every weight
	Alpha   float64 `yaml:"lora_alpha,omitempty"`   // the adapters' output is scaled by alpha/r; 0 = 2r
	Targets string  `yaml:"lora_targets,omitempty"` // PEFT module names, comma-separated, or all-linear; "" = all-linear
}

// LoRAHelp describes the keys of LoRA for a command's flags.
var LoRAHelp = map[string]string{
	"lora_rank":    "train rank-r LoRA adapters instead of every weight (0 = full fine-tuning)",
	"lora_alpha":   "LoRA scale numerator: adapters add alpha/r·B·A·x (0 = 2·rank)",
	"lora_targets": "projections that get adapters, as PEFT names them (Llama: q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj; GPT-2: c_attn,c_proj,c_fc), or all-linear",
}

// FixedLoRA are the keys a resumed LoRA run cannot change: its checkpoint
// holds adapters of that rank, scale and targets.
var FixedLoRA = outguard.Fixed{Why: "the checkpoint holds adapters of that rank, scale and targets",
	Keys: []string{"lora_rank", "lora_alpha", "lora_targets"}}

// On reports whether adapters are asked for.
func (l LoRA) On() bool { return l.Rank > 0 }

// Check validates the settings that do not depend on the model.
func (l LoRA) Check() error {
	switch {
	case l.Rank < 0:
		return yamlconf.Keyf("lora_rank", "%d: must not be negative", l.Rank)
	case !(l.Alpha >= 0):
		return yamlconf.Keyf("lora_alpha", "%v: must not be negative", l.Alpha)
	case !l.On() && (l.Alpha != 0 || l.Targets != ""):
		return yamlconf.Keyf("lora_rank", "lora_alpha and lora_targets need a lora_rank")
	}
	return nil
}

// Config is the model's adapter configuration for a model of cfg: targets
// resolved ("all-linear" names every projection the architecture has) and
// checked, alpha defaulted. Errors name the setting.
func (l LoRA) Config(cfg model.Config) (model.LoRAConfig, error) {
	if err := l.Check(); err != nil {
		return model.LoRAConfig{}, err
	}
	lc := model.LoRAConfig{Rank: l.Rank, Alpha: l.Alpha}
	if lc.Alpha == 0 {
		lc.Alpha = 2 * float64(l.Rank)
	}
	for t := range strings.SplitSeq(l.Targets, ",") {
		if t = strings.TrimSpace(t); t != "" {
			lc.Targets = append(lc.Targets, t)
		}
	}
	if len(lc.Targets) == 0 {
		lc.Targets = []string{model.LoRAAllLinear}
	}
	if err := lc.Validate(cfg); err != nil {
		key := "lora_targets"
		if lc.Rank > 0 && len(lc.Targets) > 0 && strings.Contains(err.Error(), "rank") {
			key = "lora_rank"
		}
		return model.LoRAConfig{}, yamlconf.WrapKey(key, err)
	}
	return lc, nil
}

// Attach gives m fresh adapters (A drawn from seed, B zero) as l asks. A
// model that already carries adapters (one loaded from a PEFT directory)
// has them merged first, so the new adapters train on top of that policy
// and its base view is the policy as loaded.
func (l LoRA) Attach(m *model.Model, seed uint64) error {
	lc, err := l.Config(m.Config)
	if err != nil {
		return err
	}
	if _, ok := m.LoRA(); ok {
		if err := m.MergeLoRA(); err != nil {
			return fmt.Errorf("lora: %w", err)
		}
	}
	if err := m.AddLoRA(lc, seed); err != nil {
		return yamlconf.WrapKey("lora_rank", err)
	}
	return nil
}
