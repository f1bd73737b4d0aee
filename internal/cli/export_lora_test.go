package cli

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/model"
)

// TestExportLoRAAdapter: 'align export --model ADAPTER' reads a PEFT adapter
// directory as its base with the adapters merged, and writes the full
// model (hf and gguf); an adapter whose base is a hub name is refused with
// the fix.
func TestExportLoRAAdapter(t *testing.T) {
	baseDir, base := exportModelDir(t, true)
	m, err := base.Clone()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AddLoRA(model.LoRAConfig{Rank: 2, Alpha: 4, Targets: []string{"c_attn", "c_fc"}}, 1); err != nil {
		t.Fatal(err)
	}
	for i := range m.TrainableParams() {
		m.TrainableParams()[i] += float32(i%5-2) * 0.05
	}
	want, err := m.Merged()
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(want.Params(), base.Params()) {
		t.Fatal("the adapters change nothing")
	}
	adapter := filepath.Join(filepath.Dir(baseDir), "adapter")
	rel, err := filepath.Rel(adapter, baseDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.SaveLoRA(adapter, m, checkpoint.PEFTOptions{BaseModel: rel}); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(t.TempDir(), "hf")
	if code, _, stderr := run(t, "export", "--model", adapter, "--format", "hf", "--out", out); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	hm, err := checkpoint.LoadHF(out)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(hm.Model.Params(), want.Params()) {
		t.Error("the exported model is not the merged adapter model")
	}
	if hm.Tokenizer == nil || !slices.Equal(hm.Align.HeadNames, []string{"value"}) {
		t.Errorf("tokenizer %v, align %+v: want the base's", hm.Tokenizer != nil, hm.Align)
	}

	gguf := filepath.Join(t.TempDir(), "m.gguf")
	code, stdout, stderr := run(t, "export", "--model", adapter, "--format", "gguf", "--out", gguf)
	if code != exitOK || !strings.Contains(stdout, "exported") {
		t.Fatalf("gguf: exit %d: %s %s", code, stdout, stderr)
	}
	g, err := checkpoint.OpenGGUF(gguf)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if name, _ := checkpoint.GGUFGet[string](g, checkpoint.KeyName); name != "adapter" {
		t.Errorf("general.name %q, want the adapter directory's name", name)
	}

	hub := filepath.Join(t.TempDir(), "hub-adapter")
	if err := checkpoint.SaveLoRA(hub, m, checkpoint.PEFTOptions{BaseModel: "openai-community/gpt2"}); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run(t, "export", "--model", hub, "--format", "hf", "--out", filepath.Join(t.TempDir(), "x"))
	t.Log(stderr)
	if code == exitOK || !strings.Contains(stderr, "download") || !strings.Contains(stderr, "openai-community/gpt2") {
		t.Errorf("hub-name base: exit %d, stderr %q", code, stderr)
	}
}
