package checkpoint

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/align-project/align/model"
)

// AdapterDir is where a LoRA training run keeps its adapters in PEFT's
// layout, inside its output directory. The output directory itself holds
// the model merged, so every align command reads it like any other; the
// adapter is the small file set to share with PEFT users.
const AdapterDir = "adapter"

// SaveRunAdapter writes m's adapters to out/adapter with base, the
// directory of the model they adapt, as base_model_name_or_path (made
// absolute, so the adapter still names its base when read from elsewhere).
func SaveRunAdapter(out string, m *model.Model, base string) error {
	if base != "" {
		if abs, err := filepath.Abs(base); err == nil {
			base = abs
		}
	}
	return SaveLoRA(filepath.Join(out, AdapterDir), m, PEFTOptions{BaseModel: base})
}

// ReloadRunAdapter reads out/adapter back into the adapters m carries,
// which must have the same rank, scale and targets: a trainer that ends on
// an earlier, better evaluation restores that evaluation's adapters.
func ReloadRunAdapter(out string, m *model.Model) error {
	dir := filepath.Join(out, AdapterDir)
	have, ok := m.LoRA()
	if !ok {
		return fmt.Errorf("reload lora %s: the model has no adapters", dir)
	}
	lc, _, err := ReadLoRAConfig(dir)
	if err != nil {
		return err
	}
	lc = lc.Canonical(m.Config)
	if lc.Rank != have.Rank || lc.Alpha != have.Alpha || !slices.Equal(lc.Targets, have.Targets) {
		return fmt.Errorf("reload lora %s: rank %d, alpha %v on %v, but the model's adapters are rank %d, alpha %v on %v",
			dir, lc.Rank, lc.Alpha, lc.Targets, have.Rank, have.Alpha, have.Targets)
	}
	path := filepath.Join(dir, PEFTWeightsFile)
	sf, err := OpenSafetensors(path)
	if err != nil {
		return fmt.Errorf("reload lora: %w", err)
	}
	defer sf.Close()
	for _, t := range m.LoRATensors() {
		name := peftPrefix + t.Name
		info, ok := sf.Tensor(name)
		if !ok {
			return fmt.Errorf("reload lora %s: tensor %q is missing", path, name)
		}
		if !slices.Equal(info.Shape, t.Shape) {
			return fmt.Errorf("reload lora %s: tensor %q has shape %v, want %v", path, name, info.Shape, t.Shape)
		}
		if err := sf.ReadFloat32Into(name, t.Data); err != nil {
			return err
		}
	}
	return nil
}
