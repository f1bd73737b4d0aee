package model_test

import (
	"math"
	"slices"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/model"
)

// TestLoRAValueModelSaveAndResume: a trained value model that shares a
// policy's base saves with checkpoint.SaveHF as a full value model whose
// LoadHF'd values are the trained ones, and its train state restores onto
// a fresh shared value model bit for bit; the policy's base stays as it
// was throughout. Llama and GPT-2.
func TestLoRAValueModelSaveAndResume(t *testing.T) {
	const B, T = 2, 6
	for _, tc := range []struct {
		name    string
		cfg     model.Config
		targets []string
	}{
		{"llama", model.Config{Arch: model.ArchLlama, VocabSize: 29, Context: 12, Layers: 2, Heads: 4, KVHeads: 2, Channels: 16, Hidden: 24, TiedEmbeddings: true},
			[]string{model.LoRAAllLinear}},
		{"gpt2", model.Config{VocabSize: 29, Context: 12, Layers: 2, Heads: 2, Channels: 16}, []string{"c_attn", "c_proj"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			policy, err := model.New(tc.cfg, 4)
			if err != nil {
				t.Fatal(err)
			}
			lc := model.LoRAConfig{Rank: 4, Alpha: 8, Targets: tc.targets}
			if err := policy.AddLoRA(lc, 1); err != nil {
				t.Fatal(err)
			}
			base := slices.Clone(policy.Params())
			in := make([]int32, B*T)
			for i := range in {
				in[i] = int32((i*11 + 3) % tc.cfg.VocabSize)
			}
			values := func(m *model.Model) []float32 {
				t.Helper()
				if err := m.Forward(in, B, T); err != nil {
					t.Fatal(err)
				}
				return slices.Clone(m.Scalars())
			}
			newValue := func() (*model.Model, *model.Optimizer) {
				v, err := policy.LoRAValueModel(lc, 2, 0)
				if err != nil {
					t.Fatal(err)
				}
				opt, err := model.NewOptimizer(v, model.DefaultAdamW())
				if err != nil {
					t.Fatal(err)
				}
				return v, opt
			}
			step := func(v *model.Model, opt *model.Optimizer) {
				t.Helper()
				if err := v.Forward(in, B, T); err != nil {
					t.Fatal(err)
				}
				for i, y := range v.Scalars() {
					v.DScalars()[i] = y - float32(i%3)
				}
				v.ZeroGrad()
				if err := v.Backward(); err != nil {
					t.Fatal(err)
				}
				if _, err := opt.Step(3e-2); err != nil {
					t.Fatal(err)
				}
			}
			v, opt := newValue()
			for range 3 {
				step(v, opt)
			}
			sdir := t.TempDir()
			if err := checkpoint.SaveTrainState(sdir, checkpoint.CaptureTrainState(v, opt)); err != nil {
				t.Fatal(err)
			}
			step(v, opt)
			want := values(v)

			// Resume: the state restores onto a fresh shared value model.
			state, err := checkpoint.LoadTrainState(sdir)
			if err != nil {
				t.Fatal(err)
			}
			r, ropt := newValue()
			if err := state.RestoreInto(r, ropt); err != nil {
				t.Fatal(err)
			}
			step(r, ropt)
			if !slices.Equal(r.TrainableParams(), v.TrainableParams()) || !slices.Equal(values(r), want) {
				t.Error("the resumed value model differs from the uninterrupted one")
			}

			// SaveHF writes the merged value model.
			dir := t.TempDir()
			opts := checkpoint.HFOptions{Align: checkpoint.AlignConfig{Kind: checkpoint.KindValue, HeadNames: []string{"value"}}}
			if err := checkpoint.SaveHF(dir, v, nil, opts); err != nil {
				t.Fatal(err)
			}
			hm, err := checkpoint.LoadHF(dir)
			if err != nil {
				t.Fatal(err)
			}
			if hm.Model.Config.ScalarHeads != 1 {
				t.Fatalf("loaded %d scalar heads", hm.Model.Config.ScalarHeads)
			}
			got := values(hm.Model)
			for i := range got {
				if math.Abs(float64(got[i]-want[i])) > 1e-5*(1+math.Abs(float64(want[i]))) {
					t.Fatalf("value %d: saved and loaded %v, trained %v", i, got[i], want[i])
				}
			}
			if !slices.Equal(policy.Params(), base) {
				t.Error("the policy's base changed")
			}
		})
	}
}
