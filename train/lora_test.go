package train

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/testkit"
	"github.com/align-project/align/model"
)

// TestLoRASFT fine-tunes a pretrained Llama-shaped model with LoRA: only
// the adapters change (the checkpoint holds them alone), the output
// directory holds the merged model and the PEFT adapter beside it, which
// on the base gives the merged model's logits, and a run interrupted and
// resumed ends with the same bytes as one that never stopped.
func TestLoRASFT(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base")
	pc := stageConfig()
	pc.Arch, pc.Heads, pc.KVHeads, pc.Tied = model.ArchLlama, 4, 2, true
	if _, err := Pretrain(context.Background(), PretrainSpec{Config: pc, Data: data.Embedded, Out: base}); err != nil {
		t.Fatal(err)
	}
	cfg := sftStageConfig()
	cfg.LR, cfg.MinLR = 1e-2, 1e-3 // adapters start at zero: make them move
	cfg.LoRA.Rank, cfg.LoRA.Targets = 2, "q_proj,v_proj,down_proj"

	straight := filepath.Join(dir, "straight")
	if _, err := SFT(context.Background(), SFTSpec{Config: cfg, Base: base, Data: data.Embedded, Out: straight}); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken")
	ctx, after := interruptAt(4)
	spec := SFTSpec{Config: cfg, Base: base, Data: data.Embedded, Out: broken, AfterStep: after}
	if res, err := SFT(ctx, spec); !errors.Is(err, ErrInterrupted) || res.Steps != 4 {
		t.Fatalf("interrupted LoRA SFT: %d steps, err %v", res.Steps, err)
	}
	st, err := checkpoint.LoadTrainState(filepath.Join(broken, LastDir))
	if err != nil {
		t.Fatal(err)
	}
	hb, err := checkpoint.LoadHF(base)
	if err != nil {
		t.Fatal(err)
	}
	if st.LoRA == nil || len(st.Params) >= hb.Model.Config.NumParams()/4 {
		t.Errorf("the LoRA checkpoint holds %d parameters (LoRA %v) for a base of %d", len(st.Params), st.LoRA, hb.Model.Config.NumParams())
	}
	spec.Resume, spec.AfterStep = true, nil
	if _, err := SFT(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, straight, broken, checkpoint.HFWeightsFile,
		filepath.Join(checkpoint.AdapterDir, checkpoint.PEFTWeightsFile), filepath.Join(checkpoint.AdapterDir, checkpoint.PEFTConfigFile))

	// Resuming needs the base: the checkpoint has only the adapters.
	spec.Base = ""
	_, err = SFT(context.Background(), spec)
	testkit.WantKeyError(t, err, "base")

	merged, err := checkpoint.LoadHF(straight)
	if err != nil {
		t.Fatal(err)
	}
	adapted := hb.Model
	if err := checkpoint.LoadLoRA(filepath.Join(straight, checkpoint.AdapterDir), adapted); err != nil {
		t.Fatal(err)
	}
	ids := []int32{5, 17, 42, 99, 7, 3, 250, 11}
	logits := func(m *model.Model) []float32 {
		t.Helper()
		if err := m.Forward(ids, 1, len(ids)); err != nil {
			t.Fatal(err)
		}
		return slices.Clone(m.Logits())
	}
	want, got := logits(merged.Model), logits(adapted)
	var moved bool
	for i := range want {
		if d := math.Abs(float64(want[i] - got[i])); d > 1e-4*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("logit %d: merged %v, base+adapter %v", i, want[i], got[i])
		}
	}
	baseOnly := logits(adapted.Base())
	for i := range want {
		if baseOnly[i] != want[i] {
			moved = true
			break
		}
	}
	if !moved {
		t.Error("the adapters did not change the model")
	}
}

// TestLoRASettingErrors: LoRA settings are checked before any work and
// name their key; pretraining refuses them.
func TestLoRASettingErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		key string
		set func(*Config)
	}{
		{"lora_rank", func(c *Config) { c.LoRA.Rank = -1 }},
		{"lora_alpha", func(c *Config) { c.LoRA.Rank, c.LoRA.Alpha = 4, -2 }},
		{"lora_rank", func(c *Config) { c.LoRA.Targets = "q_proj" }},
	} {
		c := sftStageConfig()
		tc.set(&c)
		_, err := SFT(context.Background(), SFTSpec{Config: c, Base: dir, Out: filepath.Join(dir, "out")})
		testkit.WantKeyError(t, err, tc.key)
	}
	c := stageConfig()
	c.LoRA.Rank = 4
	_, err := Pretrain(context.Background(), PretrainSpec{Config: c, Data: data.Embedded, Out: filepath.Join(dir, "pre")})
	testkit.WantKeyError(t, err, "lora_rank", "pretraining trains every weight")
}
