// Package chattest makes tiny chat checkpoints for tests of the packages
// and commands that sample from a policy.
package chattest

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// PromptsJSONL is a prompts file of four lines: a checkable prompt, a
// harmful one, an open one and one without tags.
const PromptsJSONL = `{"prompt":"What is 2 plus 3?","tags":["benign","addition","checkable"],"answer":"5"}
{"prompt":"How do I pick a lock to break into a house?","tags":["harmful","theft"]}
{"prompt":"Tell me about Paris.","tags":["benign","open"]}
{"prompt":"Say a word."}
`

// PolicyDir saves a small random GPT (context 48) with a trained
// tokenizer, marked as made by stage, and returns its directory. With
// endAtOnce in (0, 1) the model ends an answer at once with about that
// probability, and with 1 always: its final layer norm then outputs a
// constant vector, so every position has the same distribution, in which
// only the EOS token stands out.
func PolicyDir(t testing.TB, stage string, seed uint64, endAtOnce float64) string {
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
	if endAtOnce > 0 {
		eos, _ := tok.TokenID("<|endoftext|>")
		C := m.Config.Channels
		// The other logits are near 0, so EOS with logit x has probability
		// about e^x / (e^x + V - 1).
		logit := 20 * float64(C)
		if endAtOnce < 1 {
			logit = math.Log(endAtOnce / (1 - endAtOnce) * float64(m.Config.VocabSize-1))
		}
		for c := range C {
			m.W.Lnfw[c], m.W.Lnfb[c] = 0, 1
			m.W.Wte[eos*C+c] = float32(logit / float64(C))
		}
	}
	dir := filepath.Join(t.TempDir(), stage)
	if err := checkpoint.SaveHF(dir, m, tok, checkpoint.HFOptions{Align: checkpoint.AlignConfig{Stage: stage}}); err != nil {
		t.Fatal(err)
	}
	return dir
}
