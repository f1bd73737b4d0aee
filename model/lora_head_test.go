package model

import (
	"slices"
	"strings"
	"testing"
)

// headCases are models with scalar heads, Llama and GPT-2, with targets.
var headCases = []struct {
	name    string
	cfg     Config
	targets []string
}{
	{"llama", llamaCases[3].cfg, []string{"q_proj", "v_proj", "down_proj"}},
	{"qwen3", llamaCases[2].cfg, allTargets},
	{"gpt2", gradCfg, []string{"c_attn", "c_proj"}},
}

// headModel returns a rough model of cfg (base only).
func headModel(t testing.TB, cfg Config, seed uint64) *Model {
	t.Helper()
	if cfg.IsLlama() {
		return roughLlama(t, cfg, seed)
	}
	m, err := New(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	roughen(m, seed)
	return m
}

func headInputs(cfg Config, b, t int) []int32 {
	in := make([]int32, b*t)
	rng := newRNG(77)
	for i := range in {
		in[i] = int32(rng.IntN(cfg.VocabSize))
	}
	return in
}

func scalarsOf(t testing.TB, m *Model, in []int32, b, T int) []float32 {
	t.Helper()
	if err := m.Forward(in, b, T); err != nil {
		t.Fatal(err)
	}
	return slices.Clone(m.Scalars())
}

// nonHead returns the model's tensors but the scalar heads, copied.
func nonHead(m *Model) map[string][]float32 {
	out := map[string][]float32{}
	for _, tn := range m.Tensors() {
		if !strings.HasPrefix(tn.Name, "score.") {
			out[tn.Name] = slices.Clone(tn.Data)
		}
	}
	return out
}

// TestLoRAScalarHeadsTrain: a model with scalar heads keeps them trainable
// beside the adapters (PEFT's modules_to_save): they close the trainable
// layout, an AdamW step on a loss in the scalars and the logits changes the
// adapters and the heads and nothing else, and Tensors, Clone, Merged,
// MergeLoRA and the base view all see the trained heads.
func TestLoRAScalarHeadsTrain(t *testing.T) {
	const B, T = 2, 5
	for ci, tc := range headCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			K, C := cfg.ScalarHeads, cfg.Channels
			m := headModel(t, cfg, uint64(50+ci))
			in := headInputs(cfg, B, T)
			wantS := scalarsOf(t, m, in, B, T)
			head0 := slices.Clone(m.W.Headw)
			bias0 := slices.Clone(m.W.Headb)
			lc := LoRAConfig{Rank: 2, Alpha: 4, Targets: tc.targets}
			if err := m.AddLoRA(lc, 3); err != nil {
				t.Fatal(err)
			}
			nA := lc.numAdapterParams(cfg)
			if n := lc.NumParams(cfg); n != nA+K*C+K || len(m.TrainableParams()) != n || len(m.TrainableGrads()) != n {
				t.Fatalf("trainable %d, NumParams %d, want %d adapters + %d head", len(m.TrainableParams()), n, nA, K*C+K)
			}
			tp := m.TrainableParams()
			if !slices.Equal(tp[nA:nA+K*C], head0) || !slices.Equal(tp[nA+K*C:], bias0) {
				t.Fatal("the trainable buffer does not end with the heads' weights and biases")
			}
			ts := m.LoRATensors()
			if len(ts) < 2 || ts[len(ts)-2].Name != "score.weight" || ts[len(ts)-1].Name != "score.bias" ||
				&ts[len(ts)-2].Data[0] != &tp[nA] || &ts[len(ts)-1].Grad[0] != &m.TrainableGrads()[nA+K*C] {
				t.Fatal("LoRATensors does not end with score.weight and score.bias, views of the trainable buffers")
			}
			shapes := LoRATensorShapes(cfg, lc)
			if len(shapes) != len(ts) || !slices.Equal(shapes[len(ts)-2].Shape, []int{K, C}) {
				t.Errorf("LoRATensorShapes lists %d tensors, LoRATensors %d", len(shapes), len(ts))
			}
			if got := scalarsOf(t, m, in, B, T); !slices.Equal(got, wantS) {
				t.Fatal("attaching adapters changed the scalars")
			}

			base := slices.Clone(m.Params())
			baseT := nonHead(m)
			before := slices.Clone(m.TrainableParams())
			opt, err := NewOptimizer(m, AdamWConfig{Beta1: 0.9, Beta2: 0.99, Eps: 1e-8, WeightDecay: 0.1})
			if err != nil {
				t.Fatal(err)
			}
			if len(opt.M) != len(before) {
				t.Fatalf("moments of %d for %d trainable parameters", len(opt.M), len(before))
			}
			target := randSlice(newRNG(9), B*T*K, 1)
			for step := 0; step < 3; step++ {
				if err := m.Forward(in, B, T); err != nil {
					t.Fatal(err)
				}
				if _, err := m.LMLoss(in, nil); err != nil {
					t.Fatal(err)
				}
				for i, v := range m.Scalars() {
					m.DScalars()[i] = v - target[i] // squared error
				}
				m.ZeroGrad()
				if err := m.Backward(); err != nil {
					t.Fatal(err)
				}
				if allZero(m.TrainableGrads()[nA:]) {
					t.Fatal("Backward computed no head gradients")
				}
				if _, err := opt.Step(1e-2); err != nil {
					t.Fatal(err)
				}
			}
			after := m.TrainableParams()
			if slices.Equal(after[:nA], before[:nA]) {
				t.Error("the step left the adapters unchanged")
			}
			if slices.Equal(after[nA:nA+K*C], before[nA:nA+K*C]) || slices.Equal(after[nA+K*C:], before[nA+K*C:]) {
				t.Error("the step left the heads' weights or biases unchanged")
			}
			if !slices.Equal(m.Params(), base) {
				t.Error("the step changed the base buffer")
			}
			for name, v := range nonHead(m) {
				if !slices.Equal(v, baseT[name]) {
					t.Errorf("the step changed %s", name)
				}
			}
			// Tensors and W name the trained heads.
			for _, tn := range m.Tensors() {
				if tn.Name == "score.weight" && &tn.Data[0] != &after[nA] {
					t.Error("Tensors' score.weight is not the trained head")
				}
			}
			if &m.W.Headw[0] != &after[nA] || &m.W.Headb[0] != &after[nA+K*C] {
				t.Error("W.Headw/W.Headb are not the trained heads")
			}

			adaptedS := scalarsOf(t, m, in, B, T)
			// The base view reads the trained heads on the base transformer.
			plain := headModel(t, cfg, uint64(50+ci))
			copy(plain.W.Headw, m.W.Headw)
			copy(plain.W.Headb, m.W.Headb)
			view := m.Base()
			if got, want := scalarsOf(t, view, in, B, T), scalarsOf(t, plain, in, B, T); !slices.Equal(got, want) {
				t.Error("the base view's scalars are not the base with the trained heads")
			}
			c, err := view.Clone()
			if err != nil {
				t.Fatal(err)
			}
			if got := scalarsOf(t, c, in, B, T); !slices.Equal(got, scalarsOf(t, plain, in, B, T)) {
				t.Error("a clone of the base view lost the trained heads")
			}
			c, err = m.Clone()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.TrainableParams(), after) || !slices.Equal(scalarsOf(t, c, in, B, T), adaptedS) {
				t.Error("the clone lost the trained heads")
			}
			merged, err := m.Merged()
			if err != nil {
				t.Fatal(err)
			}
			if e := maxRelDiff(scalarsOf(t, merged, in, B, T), to64(adaptedS)); e > 1e-5 {
				t.Errorf("the merged model's scalars differ by %.3g", e)
			}
			if !slices.Equal(merged.W.Headw, m.W.Headw) || !slices.Equal(merged.W.Headb, m.W.Headb) {
				t.Error("Merged did not keep the trained heads")
			}
			trained := slices.Clone(m.W.Headw)
			if err := m.MergeLoRA(); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.Params(), merged.Params()) {
				t.Error("MergeLoRA and Merged give different weights")
			}
			if !slices.Equal(m.W.Headw, trained) || &m.W.Headw[0] == &after[nA] {
				t.Error("MergeLoRA did not move the trained heads back into Params")
			}
			// The view keeps the unmerged base and the heads as merged.
			if got := scalarsOf(t, view, in, B, T); !slices.Equal(got, scalarsOf(t, plain, in, B, T)) {
				t.Error("MergeLoRA changed the base view")
			}
		})
	}
}

// TestLoRAScalarHeadDecay: the heads' weights take weight decay, their
// biases do not (with zero gradients an AdamW step only decays).
func TestLoRAScalarHeadDecay(t *testing.T) {
	for _, tc := range headCases {
		t.Run(tc.name, func(t *testing.T) {
			m := headModel(t, tc.cfg, 5)
			randomize(newRNG(3), m.W.Headb, 0.5)
			if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 2, Targets: tc.targets}, 1); err != nil {
				t.Fatal(err)
			}
			w, b := slices.Clone(m.W.Headw), slices.Clone(m.W.Headb)
			opt, err := NewOptimizer(m, AdamWConfig{Beta1: 0.9, Beta2: 0.99, Eps: 1e-8, WeightDecay: 0.5})
			if err != nil {
				t.Fatal(err)
			}
			m.ZeroGrad()
			if _, err := opt.Step(0.1); err != nil {
				t.Fatal(err)
			}
			if slices.Equal(m.W.Headw, w) {
				t.Error("the heads' weights were not decayed")
			}
			if !slices.Equal(m.W.Headb, b) {
				t.Error("the heads' biases were decayed")
			}
		})
	}
}
