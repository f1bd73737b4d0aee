package model

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/align-project/align/tensor"
)

// roundToBF16 makes every parameter of m exactly a bfloat16, as a checkpoint
// shipped in bf16 loads.
func roundToBF16(m *Model) {
	for i, v := range m.Params() {
		m.Params()[i] = math.Float32frombits(math.Float32bits(v) &^ 0xffff)
	}
}

// decodeAll runs a decoder over prompts of different lengths (the prompt
// pass has more rows than the bfloat16 kernel takes) and then single tokens,
// and returns every logit it gave.
func decodeAll(t *testing.T, m *Model) (logits []float32, w16 bool) {
	t.Helper()
	d, err := m.NewDecoder(3, 40)
	if err != nil {
		t.Fatal(err)
	}
	prompts := [][]int32{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {12}, {13, 14, 15}}
	out, err := d.Append(prompts)
	if err != nil {
		t.Fatal(err)
	}
	logits = append(logits, out...)
	for step := range 6 {
		next := [][]int32{{int32(20 + step)}, {int32(40 + step)}, nil}
		if step%2 == 1 {
			next[2] = []int32{int32(60 + step)}
		}
		if out, err = d.Append(next); err != nil {
			t.Fatal(err)
		}
		logits = append(logits, out...)
	}
	return logits, d.w16 != nil
}

// A model whose weights are all exactly bfloat16 decodes from bfloat16
// copies when the CPU has the kernel, with logits, samples and log-probs bit
// for bit those of the float32 weights; a weight changed since is seen (the
// copy is remade, or dropped when the weight is no longer a bfloat16).
func TestDecodeBF16(t *testing.T) {
	fast := tensor.FastBF16(1, 64)
	for _, cfg := range []Config{
		{Arch: ArchLlama, VocabSize: 300, Context: 48, Layers: 2, Heads: 4, KVHeads: 2, Channels: 64, Hidden: 96, TiedEmbeddings: true},
		{Arch: ArchLlama, VocabSize: 301, Context: 48, Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 16, Channels: 48, Hidden: 80, QKNorm: true},
		{Arch: ArchLlama, VocabSize: 300, Context: 48, Layers: 1, Heads: 2, KVHeads: 1, Channels: 32, Hidden: 64, QKVBias: true},
	} {
		m, err := New(cfg, 3)
		if err != nil {
			t.Fatal(err)
		}
		if _, w16 := decodeAll(t, m); w16 {
			t.Fatalf("%s: random float32 weights decoded from bfloat16 copies", cfg.Shape())
		}
		roundToBF16(m)
		compare := func(what string) {
			t.Helper()
			got, w16 := decodeAll(t, m)
			if w16 != fast {
				t.Fatalf("%s %s: decoder reads bfloat16 copies: %v, want %v (the CPU's kernel)", cfg.Shape(), what, w16, fast)
			}
			if fast && !sameAsModel(m) {
				t.Fatalf("%s %s: the kept copies are not the weights'", cfg.Shape(), what)
			}
			prev := SetDecodeBF16(false)
			want, w16 := decodeAll(t, m)
			SetDecodeBF16(prev)
			if w16 {
				t.Fatalf("SetDecodeBF16(false) left the copies on")
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s %s: logit %d = %v from bfloat16, %v from float32", cfg.Shape(), what, i, got[i], want[i])
				}
			}
		}
		compare("rounded")
		// A changed weight, still a bfloat16: the copy is remade.
		m.lw.down[7] = -m.lw.down[7] * 2
		m.lw.head()[3] = 0.5
		compare("changed")
		// A weight that is no longer a bfloat16: no copies.
		m.lw.qkvw[len(m.lw.qkvw)-1] += 1e-4
		if _, w16 := decodeAll(t, m); w16 || m.bf16 != nil {
			t.Errorf("%s: decoding reads bfloat16 copies of weights that are not all bfloat16", cfg.Shape())
		}
	}
}

// sameAsModel reports whether m's kept copies are its weights'.
func sameAsModel(m *Model) bool { return m.bf16 != nil && m.bf16.matches(m.decodeMatrices()) }

// Generate with bfloat16 copies gives the tokens and log-probs of the
// float32 weights, sampling and greedy, in a batch, and with LoRA adapters
// on a bfloat16 base.
func TestGenerateBF16(t *testing.T) {
	cfg := Config{Arch: ArchLlama, VocabSize: 300, Context: 64, Layers: 2, Heads: 4, KVHeads: 2, Channels: 64, Hidden: 96}
	m, err := New(cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	roundToBF16(m)
	if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, Targets: []string{LoRAAllLinear}}, 9); err != nil {
		t.Fatal(err)
	}
	for i, p := range m.TrainableParams() { // adapters away from their zero start
		m.TrainableParams()[i] = p + 0.01*float32(i%7-3)
	}
	prompts := [][]int32{{1, 2, 3}, {4, 5, 6, 7, 8, 9, 10, 11, 12}}
	for _, temp := range []float32{0, 1} {
		opts := SampleOptions{MaxNewTokens: 20, Temperature: temp}
		gen := func(on bool) []Sample {
			prev := SetDecodeBF16(on)
			defer SetDecodeBF16(prev)
			s, err := m.Generate(prompts, opts, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		got := gen(true)
		if tensor.FastBF16(1, 64) && !sameAsModel(m) {
			t.Fatalf("Generate kept no bfloat16 copies of a bfloat16 base")
		}
		want := gen(false)
		for i := range want {
			if !slices.Equal(got[i].Tokens, want[i].Tokens) || !slices.Equal(got[i].LogProbs, want[i].LogProbs) {
				t.Errorf("temperature %v, prompt %d: bfloat16 decoding gave %v %v, float32 %v %v", temp, i,
					got[i].Tokens, got[i].LogProbs, want[i].Tokens, want[i].LogProbs)
			}
		}
	}
}
