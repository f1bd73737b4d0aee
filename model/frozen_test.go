package model

import (
	"slices"
	"testing"
)

// TestFrozenViewForward: a base view keeps one layer's activations and two
// alternating residual slots, yet gives bit for bit the logits and scalars
// of the trainable model, for odd and even layer counts and a batch that
// grows between calls; it refuses what needs gradients.
func TestFrozenViewForward(t *testing.T) {
	for _, cfg := range []Config{
		{VocabSize: 37, Context: 12, Layers: 3, Heads: 2, Channels: 8, ScalarHeads: 2},
		{Arch: ArchLlama, VocabSize: 41, Context: 12, Layers: 4, Heads: 4, KVHeads: 2, Channels: 16, Hidden: 24, QKNorm: true, ScalarHeads: 1},
		{Arch: ArchLlama, VocabSize: 41, Context: 12, Layers: 5, Heads: 2, Channels: 12, Hidden: 20, TiedEmbeddings: true},
	} {
		m, err := New(cfg, 5)
		if err != nil {
			t.Fatal(err)
		}
		view := m.Base()
		for _, bt := range [][2]int{{1, 5}, {3, 7}, {2, 12}} {
			b, T := bt[0], bt[1]
			ids := make([]int32, b*T)
			for i := range ids {
				ids[i] = int32((i*7 + b) % cfg.VocabSize)
			}
			if err := m.Forward(ids, b, T); err != nil {
				t.Fatal(err)
			}
			wantL, wantS := slices.Clone(m.Logits()), slices.Clone(m.Scalars())
			if err := view.Forward(ids, b, T); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(view.Logits(), wantL) || !slices.Equal(view.Scalars(), wantS) {
				t.Errorf("%s, B %d T %d: the frozen view's outputs differ from the model's", cfg.Shape(), b, T)
			}
		}
		if len(view.acts.ln1) >= len(m.acts.ln1) || len(view.acts.res) != 2*len(view.acts.lnf) || view.DLogits() != nil {
			t.Errorf("%s: the view keeps %d ln1 and %d residual floats (the model %d, %d)", cfg.Shape(),
				len(view.acts.ln1), len(view.acts.res), len(m.acts.ln1), len(m.acts.res))
		}
		if _, err := view.LMLoss(make([]int32, 2*12), nil); err == nil {
			t.Errorf("%s: LMLoss on a frozen view", cfg.Shape())
		}
		if err := view.Backward(); err == nil {
			t.Errorf("%s: Backward on a frozen view", cfg.Shape())
		}
	}
}
