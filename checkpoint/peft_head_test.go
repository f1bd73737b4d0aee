package checkpoint

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/align-project/align/model"
)

// headFlavours are a Llama and a GPT-2 with scalar heads, with targets.
var headFlavours = []struct {
	name    string
	cfg     model.Config
	targets []string
}{
	{"llama", withHeads(llamaFlavours[1].cfg, 2), []string{"q_proj", "v_proj", "down_proj"}},
	{"gpt2", withHeads(tinyConfig, 1), []string{"c_attn", "c_proj"}},
}

func withHeads(cfg model.Config, k int) model.Config {
	cfg.ScalarHeads = k
	return cfg
}

// headBase returns a rough base model of cfg (with scalar heads).
func headBase(t testing.TB, cfg model.Config, seed uint64) *model.Model {
	t.Helper()
	if cfg.IsLlama() {
		return roughLlama(t, cfg, seed)
	}
	return testModel(t, cfg, seed)
}

// headLoRA returns base's clone with adapters, every trainable parameter
// (heads included) random.
func headLoRA(t testing.TB, base *model.Model, targets []string, seed uint64) *model.Model {
	t.Helper()
	m := must(base.Clone())
	if err := m.AddLoRA(model.LoRAConfig{Rank: 2, Alpha: 5, Targets: targets}, seed); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 12))
	for i := range m.TrainableParams() {
		m.TrainableParams()[i] = float32(rng.NormFloat64() * 0.2)
	}
	return m
}

func scalarsOf(t testing.TB, m *model.Model, ids []int32) []float32 {
	t.Helper()
	if err := m.Forward(ids, 1, len(ids)); err != nil {
		t.Fatal(err)
	}
	return slices.Clone(m.Scalars())
}

// TestPEFTScalarHeads: a reward or value model's adapter saves its trained
// heads as PEFT's modules_to_save ("score", tensor
// base_model.model.score.weight) with task_type SEQ_CLS, and loads back
// bit-exactly onto the untrained base; the bias may be absent; adapters
// without heads load onto a model with heads and keep its heads.
func TestPEFTScalarHeads(t *testing.T) {
	for i, f := range headFlavours {
		t.Run(f.name, func(t *testing.T) {
			cfg, K, C := f.cfg, f.cfg.ScalarHeads, f.cfg.Channels
			base := headBase(t, cfg, uint64(70+i))
			m := headLoRA(t, base, f.targets, uint64(80+i))
			ids := testIDs(10, cfg.VocabSize, 4)
			wantL, wantS := forwardLogits(t, m, ids), scalarsOf(t, m, ids)
			dir := t.TempDir()
			if err := SaveLoRA(dir, m, PEFTOptions{BaseModel: "base"}); err != nil {
				t.Fatal(err)
			}
			var c map[string]any
			if err := json.Unmarshal(must(os.ReadFile(filepath.Join(dir, PEFTConfigFile))), &c); err != nil {
				t.Fatal(err)
			}
			if c["task_type"] != "SEQ_CLS" {
				t.Errorf("task_type %v, want SEQ_CLS", c["task_type"])
			}
			if s, _ := json.Marshal(c["modules_to_save"]); string(s) != `["classifier","score"]` {
				t.Errorf("modules_to_save %s", s)
			}
			sf := must(OpenSafetensors(filepath.Join(dir, PEFTWeightsFile)))
			for name, shape := range map[string][]int{"base_model.model.score.weight": {K, C}, "base_model.model.score.bias": {K}} {
				if st, ok := sf.Tensor(name); !ok || !slices.Equal(st.Shape, shape) {
					t.Errorf("%s: %+v (present %v), want %v", name, st, ok, shape)
				}
			}
			if n := len(sf.Tensors); n != len(m.LoRATensors()) {
				t.Errorf("%d tensors, want %d", n, len(m.LoRATensors()))
			}
			sf.Close()

			r := must(base.Clone())
			if err := LoadLoRA(dir, r); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.TrainableParams(), m.TrainableParams()) {
				t.Error("adapters or heads differ after a round trip")
			}
			if !slices.Equal(forwardLogits(t, r, ids), wantL) || !slices.Equal(scalarsOf(t, r, ids), wantS) {
				t.Error("logits or scalars differ after a round trip")
			}

			// Without score.bias (transformers' score has none): the base's
			// biases stay.
			nobias := t.TempDir()
			var ts []Tensor
			for _, tn := range m.LoRATensors() {
				if tn.Name != "score.bias" {
					ts = append(ts, Tensor{Name: peftPrefix + tn.Name, Shape: tn.Shape, Data: tn.Data})
				}
			}
			if err := SaveSafetensors(filepath.Join(nobias, PEFTWeightsFile), ts, nil); err != nil {
				t.Fatal(err)
			}
			copyFile(t, filepath.Join(dir, PEFTConfigFile), filepath.Join(nobias, PEFTConfigFile))
			r = must(base.Clone())
			if err := LoadLoRA(nobias, r); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.W.Headw, m.W.Headw) || !slices.Equal(r.W.Headb, base.W.Headb) {
				t.Error("a head without bias did not load as its weights and the base's biases")
			}

			// A policy-style adapter (no heads) onto a model with heads: the
			// heads are the base's, and trainable.
			plain := t.TempDir()
			ts = ts[:0]
			for _, tn := range m.LoRATensors() {
				if !strings.HasPrefix(tn.Name, "score.") {
					ts = append(ts, Tensor{Name: peftPrefix + tn.Name, Shape: tn.Shape, Data: tn.Data})
				}
			}
			if err := SaveSafetensors(filepath.Join(plain, PEFTWeightsFile), ts, nil); err != nil {
				t.Fatal(err)
			}
			editJSON(t, filepath.Join(dir, PEFTConfigFile), filepath.Join(plain, PEFTConfigFile), func(c map[string]any) {
				c["task_type"], c["modules_to_save"] = "CAUSAL_LM", nil
			})
			r = must(base.Clone())
			if err := LoadLoRA(plain, r); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.W.Headw, base.W.Headw) || !slices.Equal(r.W.Headb, base.W.Headb) {
				t.Error("an adapter without heads changed the model's heads")
			}
			if n := len(r.TrainableParams()); n != len(m.TrainableParams()) {
				t.Errorf("%d trainable parameters, want %d (adapters and heads)", n, len(m.TrainableParams()))
			}

			// Refusals.
			for _, tc := range []struct {
				name string
				dir  func() string
				onto *model.Model
				want []string
			}{
				{"no heads in the model", func() string { return dir }, headBase(t, withHeads(cfg, 0), 3),
					[]string{PEFTConfigFile, "scalar heads", "SEQ_CLS"}},
				{"heads not in modules_to_save", func() string {
					d := t.TempDir()
					copyFile(t, filepath.Join(dir, PEFTWeightsFile), filepath.Join(d, PEFTWeightsFile))
					editJSON(t, filepath.Join(dir, PEFTConfigFile), filepath.Join(d, PEFTConfigFile), func(c map[string]any) { c["modules_to_save"] = nil })
					return d
				}, base, []string{PEFTWeightsFile, "base_model.model.score.", "modules_to_save"}},
				{"heads missing", func() string {
					d := t.TempDir()
					copyFile(t, filepath.Join(plain, PEFTWeightsFile), filepath.Join(d, PEFTWeightsFile))
					copyFile(t, filepath.Join(dir, PEFTConfigFile), filepath.Join(d, PEFTConfigFile))
					return d
				}, base, []string{PEFTWeightsFile, "base_model.model.score.weight", "missing"}},
				{"other heads", func() string { return dir }, headBase(t, withHeads(cfg, K+1), 3),
					[]string{PEFTWeightsFile, "score.weight", "shape"}},
				{"other module", func() string {
					d := t.TempDir()
					copyFile(t, filepath.Join(dir, PEFTWeightsFile), filepath.Join(d, PEFTWeightsFile))
					editJSON(t, filepath.Join(dir, PEFTConfigFile), filepath.Join(d, PEFTConfigFile), func(c map[string]any) {
						c["modules_to_save"] = []string{"score", "lm_head"}
					})
					return d
				}, base, []string{PEFTConfigFile, "modules_to_save", `"lm_head"`}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					onto := must(tc.onto.Clone())
					err := LoadLoRA(tc.dir(), onto)
					if err == nil {
						t.Fatal("no error")
					}
					t.Log(err)
					for _, w := range tc.want {
						if !strings.Contains(err.Error(), w) {
							t.Errorf("error %q does not mention %q", err, w)
						}
					}
					if _, ok := onto.LoRA(); ok {
						t.Error("a failed load attached adapters")
					}
				})
			}
		})
	}
}

// TestLoRATrainStateHeads: a LoRA value model's training state holds the
// adapters and the heads (LoRAConfig.NumParams counts both), restores them
// onto a fresh base with the same adapters, and ReloadRunAdapter restores
// the heads too.
func TestLoRATrainStateHeads(t *testing.T) {
	for i, f := range headFlavours {
		t.Run(f.name, func(t *testing.T) {
			cfg := f.cfg
			base := headBase(t, cfg, uint64(90+i))
			m := headLoRA(t, base, f.targets, 4)
			lc, _ := m.LoRA()
			opt := must(model.NewOptimizer(m, model.DefaultAdamW()))
			ids := testIDs(8, cfg.VocabSize, 2)
			if err := m.Forward(ids, 1, len(ids)); err != nil {
				t.Fatal(err)
			}
			for j := range m.DScalars() {
				m.DScalars()[j] = 1
			}
			m.ZeroGrad()
			if err := m.Backward(); err != nil {
				t.Fatal(err)
			}
			if _, err := opt.Step(1e-2); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := SaveTrainState(dir, CaptureTrainState(m, opt)); err != nil {
				t.Fatal(err)
			}
			st, err := LoadTrainState(dir)
			if err != nil {
				t.Fatal(err)
			}
			n := lc.NumParams(cfg)
			if len(st.Params) != n || n != len(m.TrainableParams()) {
				t.Fatalf("state of %d parameters, NumParams %d, trainable %d", len(st.Params), n, len(m.TrainableParams()))
			}
			r := must(base.Clone())
			if err := r.AddLoRA(lc, 9); err != nil {
				t.Fatal(err)
			}
			ropt := must(model.NewOptimizer(r, model.DefaultAdamW()))
			if err := st.RestoreInto(r, ropt); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.TrainableParams(), m.TrainableParams()) || !slices.Equal(ropt.M, opt.M) {
				t.Error("restored adapters, heads or moments differ")
			}
			if !slices.Equal(r.W.Headw, m.W.Headw) {
				t.Error("the restored heads differ")
			}
			// A state without the heads' place is refused.
			st.Params, st.M, st.V = st.Params[:n-1], st.M[:n-1], st.V[:n-1]
			if err := st.RestoreInto(r, ropt); err == nil {
				t.Error("a state one parameter short was restored")
			}

			out := t.TempDir()
			if err := SaveRunAdapter(out, m, "base"); err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(m.TrainableParams())
			clear(r.TrainableParams())
			if err := ReloadRunAdapter(out, r); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.TrainableParams(), want) {
				t.Error("ReloadRunAdapter did not restore the adapters and heads")
			}
		})
	}
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	if err := os.WriteFile(to, must(os.ReadFile(from)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// editJSON writes the JSON object in from, edited, to to.
func editJSON(t testing.TB, from, to string, edit func(map[string]any)) {
	t.Helper()
	var c map[string]any
	if err := json.Unmarshal(must(os.ReadFile(from)), &c); err != nil {
		t.Fatal(err)
	}
	edit(c)
	if err := os.WriteFile(to, must(json.Marshal(c)), 0o644); err != nil {
		t.Fatal(err)
	}
}
