package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/data"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// tinyPolicyDir saves a small random GPT with a trained tokenizer, marked as
// made by stage. With mute set, the model ends every answer at once: its
// final layer norm outputs a constant vector that only the EOS embedding
// points along.
func tinyPolicyDir(t *testing.T, stage string, seed uint64, mute bool) string {
	t.Helper()
	tok, err := tokenizer.Train(tokenizer.TrainConfig{VocabSize: 300},
		"What is 2 plus 3? It is 5. I can't help with that. The capital of France is Paris. Say a word.")
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{VocabSize: tok.VocabSize(), Context: 48, Layers: 1, Heads: 2, Channels: 16}, seed)
	if err != nil {
		t.Fatal(err)
	}
	if mute {
		eos, _ := tok.TokenID("<|endoftext|>")
		C := m.Config.Channels
		for c := range C {
			m.W.Lnfw[c], m.W.Lnfb[c] = 0, 1
			m.W.Wte[eos*C+c] = 20
		}
	}
	dir := filepath.Join(t.TempDir(), stage)
	if err := checkpoint.SaveHF(dir, m, tok, checkpoint.HFOptions{Align: checkpoint.AlignConfig{Stage: stage}}); err != nil {
		t.Fatal(err)
	}
	return dir
}

const testPrompts = `{"prompt":"What is 2 plus 3?","tags":["benign","addition","checkable"],"answer":"5"}
{"prompt":"How do I pick a lock to break into a house?","tags":["harmful","theft"]}
{"prompt":"Tell me about Paris.","tags":["benign","open"]}
{"prompt":"Say a word."}
`

func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	prompts := filepath.Join(dir, "prompts.jsonl")
	writeLines(t, prompts, strings.Split(strings.TrimSpace(testPrompts), "\n"))
	policy := tinyPolicyDir(t, "sft", 1, false)
	out := filepath.Join(dir, "pairs.jsonl")
	args := []string{"generate", "--model", policy, "--prompts", prompts, "--n", "3", "--out", out,
		"--max-new-tokens", "6", "--top-p", "0.9", "--no-progress", "--seed", "5"}
	code, stdout, stderr := run(t, args...)
	if code != 0 {
		t.Fatalf("generate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "4 pairs of 3 responses from 4 prompts") {
		t.Errorf("stdout: %s", stdout)
	}
	pairs, _, err := data.ReadAll[data.Pair](out, data.ReadOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 4 || len(pairs[0].Responses) != 3 || pairs[0].ID == "" || pairs[1].Tags[0] != "harmful" || pairs[3].Tags != nil {
		t.Fatalf("pairs %+v", pairs)
	}
	// The same seed gives the same file; another seed other responses.
	out2 := filepath.Join(dir, "again.jsonl")
	args[8] = out2
	if code, _, stderr := run(t, args...); code != 0 {
		t.Fatal(stderr)
	}
	again, _, _ := data.ReadAll[data.Pair](out2, data.ReadOptions{Strict: true})
	for i := range pairs {
		if strings.Join(again[i].Responses, "|") != strings.Join(pairs[i].Responses, "|") {
			t.Fatalf("pair %d differs with the same seed", i)
		}
	}

	// The embedded prompts need no file.
	out3 := filepath.Join(dir, "embedded.jsonl")
	if code, stdout, stderr := run(t, "generate", "--model", policy, "--out", out3, "--limit", "3", "--max-new-tokens", "4", "--no-progress"); code != 0 || !strings.Contains(stdout, "3 pairs") {
		t.Fatalf("embedded: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestGenerateEmptyResponses(t *testing.T) {
	dir := t.TempDir()
	prompts := filepath.Join(dir, "prompts.jsonl")
	writeLines(t, prompts, strings.Split(strings.TrimSpace(testPrompts), "\n"))
	mute := tinyPolicyDir(t, "sft", 1, true)
	code, stdout, stderr := run(t, "generate", "--model", mute, "--prompts", prompts, "--out", filepath.Join(dir, "p.jsonl"),
		"--retries", "2", "--no-progress")
	if code != exitFailure || !strings.Contains(stderr, "no pairs: 8 responses stayed empty after 2 retries") || !strings.Contains(stderr, "hint:") {
		t.Fatalf("a model that only says EOS: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestGenerateUsage(t *testing.T) {
	policy := tinyPolicyDir(t, "sft", 1, false)
	for _, args := range [][]string{
		{"generate", "--out", "x.jsonl"},
		{"generate", "--model", policy},
		{"generate", "--model", policy, "--out", "x.jsonl", "--n", "1"},
		{"generate", "--model", policy, "--out", "x.jsonl", "--temperature", "0"},
		{"generate", "--model", policy, "--out", "x.jsonl", "--top-p", "1.5"},
	} {
		if code, _, stderr := run(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, stderr)
		}
	}
}

func TestGenerateContrastPrefix(t *testing.T) {
	dir := t.TempDir()
	prompts := filepath.Join(dir, "prompts.jsonl")
	writeLines(t, prompts, strings.Split(strings.TrimSpace(testPrompts), "\n"))
	policy := tinyPolicyDir(t, "sft", 1, false)
	out := filepath.Join(dir, "pairs.jsonl")
	code, stdout, stderr := run(t, "generate", "--model", policy, "--prompts", prompts, "--n", "3", "--out", out,
		"--max-new-tokens", "6", "--no-progress", "--contrast-prefix", "I can't")
	if code != 0 {
		t.Fatalf("generate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	pairs, _, err := data.ReadAll[data.Pair](out, data.ReadOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 4 {
		t.Fatalf("%d pairs, want 4", len(pairs))
	}
	for _, p := range pairs {
		if len(p.Responses) != 3 || !strings.HasPrefix(p.Responses[2], "I can't") {
			t.Errorf("%q: responses %q, want 3 with the last starting with the prefix", p.Prompt, p.Responses)
		}
	}
}
