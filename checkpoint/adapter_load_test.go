package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/model"
)

// maxRel is the largest |got-want| over the largest |want|.
func maxRel(got, want []float32) float64 {
	var d, s float64
	for i := range want {
		d = max(d, float64(abs32(got[i]-want[i])))
		s = max(s, float64(abs32(want[i])))
	}
	return d / s
}

// TestLoadHFAdapterDir: LoadHF of a PEFT adapter directory loads its base
// (absolute or relative base_model_name_or_path), merges the adapters and
// gives the adapter model's logits; the tokenizer is the adapter
// directory's when it has one, else the base's; the kind is the base's.
func TestLoadHFAdapterDir(t *testing.T) {
	cfg := llamaFlavours[0].cfg
	tok := testTokenizer(t, false)
	root := t.TempDir()
	baseDir := filepath.Join(root, "base")
	base := roughLlama(t, cfg, 3)
	if err := SaveHF(baseDir, base, tok, HFOptions{Align: AlignConfig{Kind: KindPolicy, Stage: "sft"}}); err != nil {
		t.Fatal(err)
	}
	m := loraModel(t, cfg, []string{"q_proj", "v_proj", "up_proj"}, 5)
	copy(m.Params(), base.Params()) // loraModel's base is another draw: use the saved one
	ids := testIDs(12, cfg.VocabSize, 2)
	want := forwardLogits(t, m, ids)

	for _, tc := range []struct{ name, baseRef string }{{"absolute", baseDir}, {"relative", "../base"}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(root, "adapter-"+tc.name)
			if err := SaveLoRA(dir, m, PEFTOptions{BaseModel: tc.baseRef}); err != nil {
				t.Fatal(err)
			}
			hm, err := LoadHF(dir)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := hm.Model.LoRA(); ok {
				t.Fatal("LoadHF returned a model with adapters, not merged")
			}
			if e := maxRel(forwardLogits(t, hm.Model, ids), want); e > 1e-5 {
				t.Errorf("logits differ from the adapter model's by %.3g (relative)", e)
			}
			if hm.Tokenizer == nil || hm.Tokenizer.VocabSize() != tok.VocabSize() {
				t.Error("the base's tokenizer was not loaded")
			}
			if hm.Align.Kind != KindPolicy || hm.Align.Stage != "sft" || hm.Dir != dir {
				t.Errorf("kind %q, stage %q, dir %s: want the base's policy/sft and the adapter directory", hm.Align.Kind, hm.Align.Stage, hm.Dir)
			}
			if _, _, err := LoadPolicy(dir); err != nil {
				t.Errorf("LoadPolicy of the adapter directory: %v", err)
			}
			if _, err := LoadKind(dir, KindReward); err == nil || !strings.Contains(err.Error(), dir) {
				t.Errorf("LoadKind(reward) of a policy adapter: %v, want a KindError naming the adapter", err)
			} else if _, ok := errors.AsType[*KindError](err); !ok {
				t.Errorf("LoadKind(reward): %T, want *KindError", err)
			}
		})
	}

	// A tokenizer in the adapter directory wins over the base's.
	own := filepath.Join(root, "own-tok")
	if err := SaveLoRA(own, m, PEFTOptions{BaseModel: baseDir}); err != nil {
		t.Fatal(err)
	}
	tok2 := testTokenizer(t, true)
	if err := saveHFTokenizer(own, tok2, cfg.Context, -1, -1); err != nil {
		t.Fatal(err)
	}
	hm := must(LoadHF(own))
	if hm.Tokenizer == nil || hm.Tokenizer.VocabSize() != tok2.VocabSize() {
		t.Errorf("tokenizer of %d ids, want the adapter directory's %d", hm.Tokenizer.VocabSize(), tok2.VocabSize())
	}

	// Stacked adapters: an adapter whose base is an adapter directory.
	first := filepath.Join(root, "adapter-absolute")
	merged := must(m.Merged())
	second := must(merged.Clone())
	if err := second.AddLoRA(model.LoRAConfig{Rank: 2, Alpha: 3, Targets: []string{"o_proj", "down_proj"}}, 8); err != nil {
		t.Fatal(err)
	}
	for i := range second.TrainableParams() {
		second.TrainableParams()[i] = float32(i%7-3) * 0.03
	}
	stacked := filepath.Join(root, "stacked")
	if err := SaveLoRA(stacked, second, PEFTOptions{BaseModel: first}); err != nil {
		t.Fatal(err)
	}
	if e := maxRel(forwardLogits(t, must(LoadHF(stacked)).Model, ids), forwardLogits(t, second, ids)); e > 1e-5 {
		t.Errorf("stacked adapters: logits differ by %.3g", e)
	}
}

// TestLoadHFValueAdapter: a value model's adapter directory (trained head
// as modules_to_save) loads merged with its head, as a value model.
func TestLoadHFValueAdapter(t *testing.T) {
	for i, f := range headFlavours {
		t.Run(f.name, func(t *testing.T) {
			cfg := withHeads(f.cfg, 1)
			root := t.TempDir()
			base := headBase(t, cfg, uint64(20+i))
			baseDir := filepath.Join(root, "value")
			if err := SaveHF(baseDir, base, nil, HFOptions{Align: AlignConfig{Kind: KindValue, HeadNames: []string{"value"}}}); err != nil {
				t.Fatal(err)
			}
			m := headLoRA(t, base, f.targets, 6)
			dir := filepath.Join(root, "adapter")
			if err := SaveLoRA(dir, m, PEFTOptions{BaseModel: "../value"}); err != nil {
				t.Fatal(err)
			}
			ids := testIDs(9, cfg.VocabSize, 1)
			hm, err := LoadKind(dir, KindValue)
			if err != nil {
				t.Fatal(err)
			}
			if e := maxRel(scalarsOf(t, hm.Model, ids), scalarsOf(t, m, ids)); e > 1e-5 {
				t.Errorf("values differ from the adapter model's by %.3g", e)
			}
			if _, err := LoadKind(dir, KindPolicy); err == nil {
				t.Error("a value adapter loaded as a policy")
			}
		})
	}
}

// TestLoadHFAdapterErrors: an adapter directory whose base cannot be had
// is refused with an error that says why and what to do.
func TestLoadHFAdapterErrors(t *testing.T) {
	cfg := llamaFlavours[1].cfg
	m := loraModel(t, cfg, []string{"q_proj"}, 2)
	root := t.TempDir()
	adapter := func(name, base string) string {
		dir := filepath.Join(root, name)
		if err := SaveLoRA(dir, m, PEFTOptions{BaseModel: base}); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	deep := adapter("deep0", filepath.Join(root, "nowhere"))
	for i := 1; i <= maxAdapterDepth; i++ {
		deep = adapter("deep"+string(rune('0'+i)), deep)
	}
	for _, tc := range []struct {
		name string
		dir  string
		want []string
	}{
		{"missing base", adapter("missing", filepath.Join(root, "gone")), []string{PEFTConfigFile, "gone", "does not exist"}},
		{"missing relative base", adapter("missing-rel", "../gone"), []string{PEFTConfigFile, "does not exist"}},
		{"hub name", adapter("hub", "HuggingFaceTB/SmolLM2-135M"), []string{"HuggingFaceTB/SmolLM2-135M", "hub", "download", "base_model_name_or_path"}},
		{"hub name without owner", adapter("hub1", "gpt2"), []string{`"gpt2"`, "hub"}},
		{"no base", adapter("nobase", ""), []string{PEFTConfigFile, "base_model_name_or_path"}},
		{"base is a file", adapter("file-base", file), []string{"is a file"}},
		{"itself", adapter("self", "."), []string{"loop"}},
		{"cycle", func() string {
			adapter("ping", "../pong")
			return adapter("pong", "../ping")
		}(), []string{"loop", "ping", "pong"}},
		{"too deep", deep, []string{"more than 8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadHF(tc.dir)
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	// A directory with neither file keeps LoadHF's usual error.
	if _, err := LoadHF(t.TempDir()); err == nil || !strings.Contains(err.Error(), HFConfigFile) {
		t.Errorf("empty directory: %v", err)
	}
}
