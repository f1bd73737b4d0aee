package model

import (
	"math"
	"slices"
	"testing"
)

// valueCase is a source model for LoRAValueModel: a policy (no scalar
// heads) with fresh adapters, a reward model (scalar heads) as a frozen
// base view or whole, on Llama and GPT-2 shapes.
type valueCase struct {
	name    string
	cfg     Config
	head    int
	targets []string
	src     func(t testing.TB, cfg Config) *Model
}

var valueLoRAConfig = func(targets []string) LoRAConfig { return LoRAConfig{Rank: 3, Alpha: 5, Targets: targets} }

// policySource is a rough model with fresh adapters (A seeded, B zero), as
// ppo's policy is when the value model is made from it.
func policySource(t testing.TB, cfg Config) *Model {
	m := headModel(t, cfg, 21)
	if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, Targets: []string{LoRAAllLinear}}, 9); err != nil {
		t.Fatal(err)
	}
	return m
}

// rewardView is a rough reward model's frozen base view, as
// reward.NewModelSource holds it.
func rewardView(t testing.TB, cfg Config) *Model { return headModel(t, cfg, 22).Base() }

func rewardFull(t testing.TB, cfg Config) *Model { return headModel(t, cfg, 23) }

func withHeads(cfg Config, k int) Config {
	cfg.ScalarHeads = k
	return cfg
}

var valueCases = []valueCase{
	{"llama-policy", withHeads(llamaCases[0].cfg, 0), 0, allTargets, policySource},
	{"qwen2-policy", withHeads(llamaCases[1].cfg, 0), 0, []string{"q_proj", "down_proj"}, policySource},
	{"qwen3-reward-view", withHeads(llamaCases[2].cfg, 2), 1, allTargets, rewardView},
	{"llama-reward-full", withHeads(llamaCases[3].cfg, 1), 0, []string{"v_proj", "o_proj", "up_proj"}, rewardFull},
	{"gpt2-policy", withHeads(gradCfg, 0), 0, []string{"c_attn", "c_proj", "c_fc"}, policySource},
	{"gpt2-reward-view", withHeads(gradCfg, 2), 1, []string{"c_attn", "mlp.c_proj"}, rewardView},
}

// copiedValue is what ppo.NewValueModel(src, head) followed by
// AddLoRA(c, seed) builds: a full copy of src's base with one scalar head
// (src's head number head, or zero), then adapters.
func copiedValue(t testing.TB, src *Model, head int, c LoRAConfig, seed uint64) *Model {
	t.Helper()
	cfg := src.Config
	k := cfg.ScalarHeads
	cfg.ScalarHeads = 1
	v, err := New(cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Tensor{}
	for _, tn := range src.Tensors() {
		byName[tn.Name] = tn
	}
	C := cfg.Channels
	for _, tn := range v.Tensors() {
		s := byName[tn.Name]
		switch {
		case tn.Name == "score.weight" && k > 0:
			copy(tn.Data, s.Data[head*C:(head+1)*C])
		case tn.Name == "score.bias" && k > 0:
			tn.Data[0] = s.Data[head]
		case tn.Name == "score.weight" || tn.Name == "score.bias":
			clear(tn.Data)
		default:
			copy(tn.Data, s.Data)
		}
	}
	v.SetComputeLogits(false)
	if err := v.AddLoRA(c, seed); err != nil {
		t.Fatal(err)
	}
	return v
}

// sharesBase reports whether v's Params is a prefix view of src's.
func sharesBase(v, src *Model) bool {
	p, q := v.Params(), src.Params()
	n := withHeads(src.Config, 0).NumParams()
	return len(p) == n && cap(p) == n && &p[0] == &q[0]
}

// TestLoRAValueModelStart: the shared value model's first outputs, its
// adapters and head, its tensors and its merge are bit for bit those of
// the copied value model (ppo.NewValueModel + AddLoRA), while its Params is
// the source's buffer (same backing array, no head region).
func TestLoRAValueModelStart(t *testing.T) {
	const B, T = 2, 5
	for _, tc := range valueCases {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.src(t, tc.cfg)
			c := valueLoRAConfig(tc.targets)
			v, err := src.LoRAValueModel(c, 7, tc.head)
			if err != nil {
				t.Fatal(err)
			}
			want := copiedValue(t, src, tc.head, c, 7)
			if !sharesBase(v, src) {
				t.Errorf("Params: %d floats at %p, want the source's first %d at %p", len(v.Params()), &v.Params()[0],
					withHeads(src.Config, 0).NumParams(), &src.Params()[0])
			}
			if v.Config != want.Config || v.Config.ScalarHeads != 1 || v.Frozen() || v.Grads() != nil {
				t.Errorf("config %+v (frozen %v), want %+v", v.Config, v.Frozen(), want.Config)
			}
			lc, ok := v.LoRA()
			wc, _ := want.LoRA()
			if !ok || lc.Rank != wc.Rank || lc.Alpha != wc.Alpha || !slices.Equal(lc.Targets, wc.Targets) {
				t.Errorf("LoRA() = %+v, %v, want %+v", lc, ok, wc)
			}
			if !slices.Equal(v.TrainableParams(), want.TrainableParams()) {
				t.Error("adapters and head differ from the copied value model's")
			}
			in := headInputs(tc.cfg, B, T)
			if got, w := scalarsOf(t, v, in, B, T), scalarsOf(t, want, in, B, T); !slices.Equal(got, w) {
				t.Errorf("values %v, want %v (bit for bit)", got, w)
			}
			if v.Logits() != nil {
				t.Error("the LM head is on")
			}
			v.SetComputeLogits(true)
			want.SetComputeLogits(true)
			if !slices.Equal(logitsOf(t, v, in, B, T), logitsOf(t, want, in, B, T)) {
				t.Error("logits differ from the copied value model's")
			}
			wt := want.Tensors()
			for i, tn := range v.Tensors() {
				if tn.Name != wt[i].Name || !slices.Equal(tn.Data, wt[i].Data) || !slices.Equal(tn.Shape, wt[i].Shape) || (tn.Grad == nil) != (wt[i].Grad == nil) {
					t.Errorf("tensor %d: %s %v differs from %s %v", i, tn.Name, tn.Shape, wt[i].Name, wt[i].Shape)
				}
			}
			if len(wt) != len(v.Tensors()) {
				t.Errorf("%d tensors, want %d", len(v.Tensors()), len(wt))
			}
			mv, err := v.Merged()
			if err != nil {
				t.Fatal(err)
			}
			mw, _ := want.Merged()
			if !slices.Equal(mv.Params(), mw.Params()) {
				t.Error("Merged differs from the copied value model's")
			}
			if err := v.CheckFinite(); err != nil {
				t.Error(err)
			}
		})
	}
	if _, err := rewardView(t, withHeads(gradCfg, 2)).LoRAValueModel(valueLoRAConfig([]string{"c_fc"}), 1, 2); err == nil {
		t.Error("head 2 of a model with 2 heads was accepted")
	}
	if _, err := rewardView(t, withHeads(gradCfg, 2)).LoRAValueModel(valueLoRAConfig([]string{"q_proj"}), 1, 0); err == nil {
		t.Error("a Llama target on GPT-2 was accepted")
	}
}

// TestLoRAValueModelGrad checks the gradients of every adapter and of the
// head against central differences of the float64 reference run on the
// merged weights, with random adapters (B too) and a loss in the values.
func TestLoRAValueModelGrad(t *testing.T) {
	const B, T = 2, 5
	for _, tc := range valueCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			src := tc.src(t, cfg)
			v, err := src.LoRAValueModel(valueLoRAConfig(tc.targets), 3, tc.head)
			if err != nil {
				t.Fatal(err)
			}
			randomize(newRNG(31), v.TrainableParams(), 0.3)
			lc, _ := v.LoRA()
			in := headInputs(cfg, B, T)
			if err := v.Forward(in, B, T); err != nil {
				t.Fatal(err)
			}
			got := slices.Clone(v.Scalars())
			s := randSlice(newRNG(32), len(v.DScalars()), 1)
			copy(v.DScalars(), s)
			v.ZeroGrad()
			if err := v.Backward(); err != nil {
				t.Fatal(err)
			}
			a := loraTensors64(v)
			var f func() float64
			var ref []float64
			if cfg.IsLlama() {
				base := llamaParams64(v)
				_, ref = refLlamaForward(v.Config, loraParams64(base, a, lc), in, B, T)
				f = func() float64 {
					_, scalars := refLlamaForward(v.Config, loraParams64(base, a, lc), in, B, T)
					return dot64(scalars, s)
				}
			} else {
				base := make([]float64, v.Config.NumParams()) // the head region comes from a
				copy(base, to64(v.Params()))
				_, ref = refForward(v.Config, gpt2LoRAParams64(v.Config, base, a, lc), in, B, T)
				f = func() float64 {
					_, scalars := refForward(v.Config, gpt2LoRAParams64(v.Config, base, a, lc), in, B, T)
					return dot64(scalars, s)
				}
			}
			if e := maxRelDiff(got, ref); e > 1e-4 {
				t.Errorf("values differ from the merged float64 reference by %.3g", e)
			}
			rng := newRNG(33)
			for _, tn := range v.LoRATensors() {
				x := a[tn.Name]
				var diff, norm float64
				for k := 0; k < min(4, len(x)); k++ {
					i := rng.IntN(len(x))
					if tn.Name == "score.bias" {
						i = 0
					}
					const h = 1e-5
					orig := x[i]
					x[i] = orig + h
					fp := f()
					x[i] = orig - h
					fm := f()
					x[i] = orig
					num := (fp - fm) / (2 * h)
					diff += math.Pow(float64(tn.Grad[i])-num, 2)
					norm += num * num
				}
				if rel := math.Sqrt(diff / math.Max(norm, 1e-12)); rel > 1e-3 && math.Sqrt(diff) > 1e-5 {
					t.Errorf("%s: gradient differs from finite differences by %.3g (relative)", tn.Name, rel)
				}
			}
		})
	}
}

// TestLoRAValueModelTrains: AdamW steps on a loss in the values change the
// value model's adapters and head only: the source's weights (base, heads,
// adapters) and outputs stay bit-identical, and so does the shared base.
// Clone is independent; MergeLoRA on the value model, and on a source with
// adapters, copies the base first and leaves the other side as it was.
func TestLoRAValueModelTrains(t *testing.T) {
	const B, T = 2, 5
	for _, tc := range valueCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			src := tc.src(t, cfg)
			in := headInputs(cfg, B, T)
			params := slices.Clone(src.Params())
			trainable := slices.Clone(src.TrainableParams())
			srcOut := scalarsOf(t, src, in, B, T)
			v, err := src.LoRAValueModel(valueLoRAConfig(tc.targets), 5, tc.head)
			if err != nil {
				t.Fatal(err)
			}
			adapters0 := slices.Clone(v.TrainableParams())
			opt, err := NewOptimizer(v, DefaultAdamW())
			if err != nil {
				t.Fatal(err)
			}
			target := randSlice(newRNG(41), B*T, 1)
			for step := 0; step < 3; step++ {
				if err := v.Forward(in, B, T); err != nil {
					t.Fatal(err)
				}
				for i, y := range v.Scalars() {
					v.DScalars()[i] = y - target[i]
				}
				v.ZeroGrad()
				if err := v.Backward(); err != nil {
					t.Fatal(err)
				}
				if _, err := opt.Step(1e-2); err != nil {
					t.Fatal(err)
				}
			}
			after := v.TrainableParams()
			n := len(after)
			K := 1 + cfg.Channels // the head's weights and bias close the layout
			if slices.Equal(after[:n-K], adapters0[:n-K]) || slices.Equal(after[n-K:], adapters0[n-K:]) {
				t.Error("the adapters or the head did not train")
			}
			if !slices.Equal(src.Params(), params) || !slices.Equal(src.TrainableParams(), trainable) {
				t.Fatal("training the value model wrote into its source")
			}
			if !sharesBase(v, src) || !slices.Equal(v.Params(), params[:len(v.Params())]) {
				t.Fatal("the value model's base moved or changed")
			}
			if got := scalarsOf(t, src, in, B, T); !slices.Equal(got, srcOut) {
				t.Error("the source's outputs changed")
			}
			trained := scalarsOf(t, v, in, B, T)

			c, err := v.Clone()
			if err != nil {
				t.Fatal(err)
			}
			if &c.Params()[0] == &src.Params()[0] || len(c.Params()) != c.Config.NumParams() {
				t.Error("the clone shares the base")
			}
			c.SetComputeLogits(false)
			if got := scalarsOf(t, c, in, B, T); !slices.Equal(got, trained) {
				t.Error("the clone's values differ")
			}
			if err := v.MergeLoRA(); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(src.Params(), params) || len(v.Params()) != v.Config.NumParams() || &v.Params()[0] == &src.Params()[0] {
				t.Fatal("MergeLoRA wrote into the shared base")
			}
			if e := maxRelDiff(scalarsOf(t, v, in, B, T), to64(trained)); e > 1e-5 {
				t.Errorf("merged values differ by %.3g", e)
			}

			// The source merging its own (random) adapters leaves a value
			// model's shared base alone.
			if _, ok := src.LoRA(); !ok {
				return
			}
			v2, err := src.LoRAValueModel(valueLoRAConfig(tc.targets), 5, tc.head)
			if err != nil {
				t.Fatal(err)
			}
			want := scalarsOf(t, v2, in, B, T)
			randomize(newRNG(42), src.TrainableParams(), 0.3)
			if err := src.MergeLoRA(); err != nil {
				t.Fatal(err)
			}
			if slices.Equal(src.Params(), params) || !slices.Equal(v2.Params(), params[:len(v2.Params())]) {
				t.Error("the source's MergeLoRA wrote into the base it shares")
			}
			if got := scalarsOf(t, v2, in, B, T); !slices.Equal(got, want) {
				t.Error("the value model's outputs changed when its source merged")
			}
		})
	}
}

// TestLoRAValueModelOfValueModel: a shared value model's base view and a
// value model made from a shared value model share the same buffer too.
func TestLoRAValueModelOfValueModel(t *testing.T) {
	cfg := withHeads(llamaCases[3].cfg, 0)
	src := policySource(t, cfg)
	v, err := src.LoRAValueModel(valueLoRAConfig(allTargets), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	randomize(newRNG(51), v.TrainableParams(), 0.3)
	w, err := v.Base().LoRAValueModel(valueLoRAConfig([]string{"q_proj"}), 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if &w.Params()[0] != &src.Params()[0] || len(w.Params()) != len(v.Params()) {
		t.Error("the second value model does not share the base")
	}
	if !slices.Equal(w.TrainableParams()[len(w.TrainableParams())-cfg.Channels-1:], v.TrainableParams()[len(v.TrainableParams())-cfg.Channels-1:]) {
		t.Error("the second value model's head does not start from the first's trained head")
	}
	in := headInputs(cfg, 1, 4)
	bv := v.Base()
	bv.SetComputeLogits(false)
	if got, want := scalarsOf(t, bv, in, 1, 4), scalarsOf(t, w, in, 1, 4); !slices.Equal(got, want) {
		t.Error("a zero-B value model of a base view differs from the view")
	}
	if len(bv.Tensors()) != len(v.Tensors()) {
		t.Error("the base view lists other tensors")
	}
}
