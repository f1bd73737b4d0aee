// Package ppotest makes the tiny SFT checkpoint and prompts file that the
// tests of PPO and of 'align ppo' train on.
package ppotest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// Prompts are the prompts of Fixture's file, in its words.
var Prompts = []string{"write something nice", "a bad answer", "good"}

// Fixture saves a tiny SFT checkpoint (context 40 tokens, a tokenizer
// trained on the prompts' words) and a prompts file of Prompts followed by
// extra, and returns their paths.
func Fixture(t testing.TB, extra ...string) (policy, prompts string) {
	t.Helper()
	dir := t.TempDir()
	tok, err := tokenizer.Train(tokenizer.TrainConfig{VocabSize: 300}, "a good answer is good. a bad answer is bad. write something nice.")
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{VocabSize: tok.VocabSize(), Context: 40, Layers: 1, Heads: 2, Channels: 16}, 3)
	if err != nil {
		t.Fatal(err)
	}
	policy = filepath.Join(dir, "sft")
	if err := checkpoint.SaveHF(policy, m, tok, checkpoint.HFOptions{}); err != nil {
		t.Fatal(err)
	}
	var lines []byte
	for _, p := range append(append([]string{}, Prompts...), extra...) {
		b, err := json.Marshal(map[string]string{"prompt": p})
		if err != nil {
			t.Fatal(err)
		}
		lines = append(append(lines, b...), '\n')
	}
	prompts = filepath.Join(dir, "prompts.jsonl")
	if err := os.WriteFile(prompts, lines, 0o644); err != nil {
		t.Fatal(err)
	}
	return policy, prompts
}
