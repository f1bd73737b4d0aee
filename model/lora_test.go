package model

import (
	"math"
	"slices"
	"strings"
	"testing"
)

var allTargets = []string{"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}

// roughLoRA returns a rough Llama (see roughLlama) with rank-3 adapters on
// targets, A and B both random, so every adapter path carries signal.
func roughLoRA(t testing.TB, cfg Config, targets []string, seed uint64) *Model {
	t.Helper()
	m := roughLlama(t, cfg, seed)
	if err := m.AddLoRA(LoRAConfig{Rank: 3, Alpha: 5, Targets: targets}, seed); err != nil {
		t.Fatal(err)
	}
	randomize(newRNG(seed+200), m.TrainableParams(), 0.3)
	return m
}

// loraParams64 is llamaParams64 of the model with its adapters folded in, in
// float64, from the adapters in a (by LoRATensors name), and a's scalar
// heads.
func loraParams64(base map[string][]float64, a map[string][]float64, c LoRAConfig) map[string][]float64 {
	p := map[string][]float64{}
	for k, v := range base {
		p[k] = v
	}
	s := c.Scale()
	for _, name := range []string{"score.weight", "score.bias"} {
		if h, ok := a[name]; ok { // the trainable heads (modules_to_save)
			p[name] = h
		}
	}
	for name, A := range a {
		mod, ok := strings.CutSuffix(name, ".lora_A.weight")
		if !ok {
			continue
		}
		B := a[mod+".lora_B.weight"]
		W := slices.Clone(p[mod+".weight"])
		r := c.Rank
		in, out := len(A)/r, len(B)/r
		for i := 0; i < out; i++ {
			for j := 0; j < in; j++ {
				var d float64
				for k := 0; k < r; k++ {
					d += B[i*r+k] * A[k*in+j]
				}
				W[i*in+j] += s * d
			}
		}
		p[mod+".weight"] = W
	}
	return p
}

func loraTensors64(m *Model) map[string][]float64 {
	a := map[string][]float64{}
	for _, tn := range m.LoRATensors() {
		a[tn.Name] = to64(tn.Data)
	}
	return a
}

func logitsOf(t testing.TB, m *Model, in []int32, b, T int) []float32 {
	t.Helper()
	if err := m.Forward(in, b, T); err != nil {
		t.Fatal(err)
	}
	return slices.Clone(m.Logits())
}

// TestLoRAZeroBIsIdentity: fresh adapters (B = 0) leave the logits and
// scalars bit-identical, and the base view gives them too.
func TestLoRAZeroBIsIdentity(t *testing.T) {
	const B, T = 2, 9
	for _, tc := range llamaCases {
		t.Run(tc.name, func(t *testing.T) {
			m := roughLlama(t, tc.cfg, 1)
			in := llamaInputs(tc.cfg, B, T, 2)
			want := logitsOf(t, m, in, B, T)
			wantS := slices.Clone(m.Scalars())
			if err := m.AddLoRA(LoRAConfig{Rank: 4, Alpha: 8, Targets: allTargets}, 3); err != nil {
				t.Fatal(err)
			}
			if got := logitsOf(t, m, in, B, T); !slices.Equal(got, want) {
				t.Errorf("logits changed by zero-B adapters")
			}
			if !slices.Equal(m.Scalars(), wantS) {
				t.Errorf("scalars changed by zero-B adapters")
			}
			nonzero := 0
			for _, tn := range m.LoRATensors() {
				if strings.HasSuffix(tn.Name, "lora_B.weight") && !allZero(tn.Data) {
					t.Errorf("%s is not zero", tn.Name)
				}
				if strings.HasSuffix(tn.Name, "lora_A.weight") {
					bound := 1 / math.Sqrt(float64(tn.Shape[1]))
					for _, v := range tn.Data {
						if math.Abs(float64(v)) > bound {
							t.Fatalf("%s: %v outside ±%v", tn.Name, v, bound)
						}
						if v != 0 {
							nonzero++
						}
					}
				}
			}
			if nonzero == 0 {
				t.Error("lora_A is all zero")
			}
		})
	}
}

// TestLoRAGrad checks the adapters' gradients of every target in the first
// and last layer against central differences of the float64 reference run
// on the merged weights. The gradients of lower layers' adapters flow
// through the upper layers' adapters, so this checks their input gradients
// too.
func TestLoRAGrad(t *testing.T) {
	const B, T = 2, 7
	targetSets := [][]string{allTargets, {"k_proj", "down_proj"}, {"v_proj", "up_proj", "o_proj"}}
	for ci, tc := range llamaCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			targets := targetSets[ci%len(targetSets)]
			m := roughLoRA(t, cfg, targets, uint64(10+ci))
			lc, _ := m.LoRA()
			in := llamaInputs(cfg, B, T, 4)
			if err := m.Forward(in, B, T); err != nil {
				t.Fatal(err)
			}
			r := randSlice(newRNG(5), len(m.DLogits()), 1)
			s := randSlice(newRNG(6), len(m.DScalars()), 1)
			copy(m.DLogits(), r)
			copy(m.DScalars(), s)
			m.ZeroGrad()
			if err := m.Backward(); err != nil {
				t.Fatal(err)
			}
			if m.Grads() != nil {
				t.Error("a LoRA model keeps base gradients")
			}
			base := llamaParams64(m)
			a := loraTensors64(m)
			objective := func() float64 {
				logits, scalars := refLlamaForward(cfg, loraParams64(base, a, lc), in, B, T)
				return dot64(logits, r) + dot64(scalars, s)
			}
			// The forward pass itself matches the merged reference.
			logits, _ := refLlamaForward(cfg, loraParams64(base, a, lc), in, B, T)
			if e := maxRelDiff(m.Logits(), logits); e > 1e-4 {
				t.Errorf("logits differ from the merged float64 reference by %.3g", e)
			}
			rng := newRNG(7)
			checked := 0
			for _, tn := range m.LoRATensors() {
				if !(isLayer(tn.Name, 0) || isLayer(tn.Name, cfg.Layers-1) || strings.HasPrefix(tn.Name, "score.")) {
					continue
				}
				x := a[tn.Name]
				var diff, norm float64
				for k := 0; k < 5; k++ {
					i := rng.IntN(len(x))
					const h = 1e-5
					orig := x[i]
					x[i] = orig + h
					fp := objective()
					x[i] = orig - h
					fm := objective()
					x[i] = orig
					num := (fp - fm) / (2 * h)
					diff += math.Pow(float64(tn.Grad[i])-num, 2)
					norm += num * num
				}
				checked++
				if rel := math.Sqrt(diff / math.Max(norm, 1e-12)); rel > 1e-3 && math.Sqrt(diff) > 1e-5 {
					t.Errorf("%s: gradient differs from finite differences by %.3g (relative)", tn.Name, rel)
				}
			}
			want := 2 * 2 * len(targets)
			if cfg.ScalarHeads > 0 {
				want += 2 // the trainable heads' weights and biases
			}
			if checked != want {
				t.Errorf("checked %d tensors, want %d", checked, want)
			}
		})
	}
}

// TestLoRALayerGrad checks one adapter's forward and its dA, dB and dx on
// its own, writing into columns [off, off+out) of a wider output as q, k and
// v do, on odd sizes and fresh random inputs.
func TestLoRALayerGrad(t *testing.T) {
	rng := newRNG(21)
	n, in, out, off, ld, r := 5, 7, 3, 2, 9, 2
	const scale = 1.7
	ad := &loraAdapter{in: in, out: out, off: off, ld: ld, slot: 1,
		a: randSlice(rng, r*in, 1), b: randSlice(rng, out*r, 1), ga: make([]float32, r*in), gb: make([]float32, out*r)}
	ll := &loraLayer{r: r, scale: scale}
	ll.ad[loraK] = ad
	x, base := randSlice(rng, n*in, 1), randSlice(rng, n*ld, 1)
	y := slices.Clone(base)
	us := make([]float32, 2*n*r)
	ll.forward(loraK, y, x, us, n)
	ref := func(x64, a64, b64 []float64) []float64 {
		y := to64(base)
		for i := 0; i < n; i++ {
			for o := 0; o < out; o++ {
				for k := 0; k < r; k++ {
					var u float64
					for j := 0; j < in; j++ {
						u += a64[k*in+j] * x64[i*in+j]
					}
					y[i*ld+off+o] += scale * b64[o*r+k] * u
				}
			}
		}
		return y
	}
	x64, a64, b64 := to64(x), to64(ad.a), to64(ad.b)
	if e := maxRelDiff(y, ref(x64, a64, b64)); e > 1e-5 {
		t.Fatalf("forward differs from the reference by %.3g", e)
	}
	dy := randSlice(rng, n*ld, 1)
	dx := randSlice(rng, n*in, 1) // backward accumulates into dx
	dx0 := slices.Clone(dx)
	ll.backward(loraK, dx, dy, x, us, make([]float32, r*(n+out)), n)
	for i := range dx {
		dx[i] -= dx0[i]
	}
	f := func() float64 { return dot64(ref(x64, a64, b64), dy) }
	checkRel(t, "dx", gradCheck(f, x64, dx), layerTol)
	checkRel(t, "dA", gradCheck(f, a64, ad.ga), layerTol)
	checkRel(t, "dB", gradCheck(f, b64, ad.gb), layerTol)
}

// TestLoRABaseView: the view shares the base weights, gives the base
// model's logits while the adapters are on, and is read-only.
func TestLoRABaseView(t *testing.T) {
	const B, T = 2, 8
	cfg := llamaCases[3].cfg
	m := roughLlama(t, cfg, 4)
	in := llamaInputs(cfg, B, T, 5)
	want := logitsOf(t, m, in, B, T)
	if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, Targets: allTargets}, 1); err != nil {
		t.Fatal(err)
	}
	randomize(newRNG(6), m.TrainableParams(), 0.3)
	ref := m.Base()
	if &ref.Params()[0] != &m.Params()[0] {
		t.Error("the base view copied the weights")
	}
	adapted := logitsOf(t, m, in, B, T)
	if slices.Equal(adapted, want) {
		t.Fatal("random adapters left the logits unchanged")
	}
	if got := logitsOf(t, ref, in, B, T); !slices.Equal(got, want) {
		t.Error("the base view's logits differ from the base model's")
	}
	// Its own activations: the adapted model's are untouched.
	if !slices.Equal(m.Logits(), adapted) {
		t.Error("the base view's forward overwrote the adapted model's activations")
	}
	if err := ref.Backward(); err == nil {
		t.Error("Backward on a base view succeeded")
	}
	if _, err := NewOptimizer(ref, DefaultAdamW()); err == nil {
		t.Error("NewOptimizer on a base view succeeded")
	}
	if err := ref.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, Targets: allTargets}, 1); err == nil {
		t.Error("AddLoRA on a base view succeeded")
	}
	// Decoding through the view is the base model too.
	d, err := ref.NewDecoder(1, T)
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Append([][]int32{in[:T]})
	if err != nil {
		t.Fatal(err)
	}
	V := cfg.VocabSize
	if e := relErr(got[:V], want[(T-1)*V:T*V]); e > 1e-4 {
		t.Errorf("the base view's decoder differs from the base model by %.3g", e)
	}
	// A merge keeps the view on the unmerged base.
	if err := m.MergeLoRA(); err != nil {
		t.Fatal(err)
	}
	if got := logitsOf(t, ref, in, B, T); !slices.Equal(got, want) {
		t.Error("MergeLoRA changed the base view's weights")
	}
}

// TestLoRADecoderMatchesForward: the KV-cache decoder applies the adapters
// as the training forward does.
func TestLoRADecoderMatchesForward(t *testing.T) {
	for ci, tc := range llamaCases {
		t.Run(tc.name, func(t *testing.T) {
			m := roughLoRA(t, tc.cfg, allTargets, uint64(30+ci))
			V := tc.cfg.VocabSize
			rng := newRNG(9)
			randSeq := func(n int) []int32 {
				s := make([]int32, n)
				for i := range s {
					s[i] = int32(rng.IntN(V))
				}
				return s
			}
			seqs := [][]int32{randSeq(3), randSeq(7), randSeq(1)}
			d, err := m.NewDecoder(len(seqs), tc.cfg.Context)
			if err != nil {
				t.Fatal(err)
			}
			chunks := [][][]int32{seqs, {randSeq(1), randSeq(1), randSeq(1)}, {randSeq(2), nil, randSeq(4)}}
			for step, chunk := range chunks {
				logits, err := d.Append(chunk)
				if err != nil {
					t.Fatal(err)
				}
				for i := range seqs {
					if step > 0 {
						seqs[i] = append(seqs[i], chunk[i]...)
					}
					want := lastLogits(t, m, seqs[i])
					if e := relErr(logits[i*V:(i+1)*V], want); e > 1e-4 {
						t.Errorf("step %d, sequence %d: cached logits differ from a full forward by %.3g", step, i, e)
					}
				}
			}
		})
	}
}

// TestLoRAMerge: the merged model (a new one, or merged in place) gives the
// adapted model's logits.
func TestLoRAMerge(t *testing.T) {
	const B, T = 2, 10
	for ci, tc := range llamaCases {
		t.Run(tc.name, func(t *testing.T) {
			m := roughLoRA(t, tc.cfg, allTargets, uint64(40+ci))
			in := llamaInputs(tc.cfg, B, T, 3)
			want := logitsOf(t, m, in, B, T)
			merged, err := m.Merged()
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := merged.LoRA(); ok {
				t.Error("the merged model has adapters")
			}
			if e := maxRelDiff(logitsOf(t, merged, in, B, T), to64(want)); e > 1e-5 {
				t.Errorf("merged logits differ from the adapter model's by %.3g", e)
			}
			if got := logitsOf(t, m, in, B, T); !slices.Equal(got, want) {
				t.Error("Merged changed the adapter model")
			}
			if err := m.MergeLoRA(); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.Params(), merged.Params()) {
				t.Error("MergeLoRA and Merged give different weights")
			}
			if len(m.Grads()) != len(m.Params()) || len(m.TrainableParams()) != len(m.Params()) {
				t.Error("a merged model is not a full trainable model")
			}
			if err := m.MergeLoRA(); err == nil {
				t.Error("MergeLoRA without adapters succeeded")
			}
		})
	}
}

// TestLoRAOptimizerStep: AdamW's state is the adapters' size and a step
// changes only the adapters; a step of the LoRA model equals the same
// training run of a clone (deterministic).
func TestLoRAOptimizerStep(t *testing.T) {
	const B, T = 2, 6
	cfg := llamaCases[0].cfg
	m := roughLlama(t, cfg, 2)
	lc := LoRAConfig{Rank: 4, Alpha: 16, Targets: []string{"q_proj", "v_proj", "down_proj"}}
	if err := m.AddLoRA(lc, 7); err != nil {
		t.Fatal(err)
	}
	if n := lc.NumParams(cfg); len(m.TrainableParams()) != n || len(m.TrainableGrads()) != n {
		t.Fatalf("trainable %d, want %d", len(m.TrainableParams()), n)
	}
	// q: 4·(24+24), v: 4·(24+8), down: 4·(40+24), per layer, 2 layers.
	if want := 2 * 4 * (48 + 32 + 64); lc.NumParams(cfg) != want {
		t.Errorf("NumParams = %d, want %d", lc.NumParams(cfg), want)
	}
	c, err := m.Clone()
	if err != nil {
		t.Fatal(err)
	}
	base := slices.Clone(m.Params())
	adapters := slices.Clone(m.TrainableParams())
	in := llamaInputs(cfg, B, T, 8)
	step := func(m *Model, opt *Optimizer) float32 {
		if err := m.Forward(in, B, T); err != nil {
			t.Fatal(err)
		}
		loss, err := m.LMLoss(in, nil)
		if err != nil {
			t.Fatal(err)
		}
		m.ZeroGrad()
		if err := m.Backward(); err != nil {
			t.Fatal(err)
		}
		if _, err := opt.Step(1e-2); err != nil {
			t.Fatal(err)
		}
		return loss
	}
	opt, err := NewOptimizer(m, DefaultAdamW())
	if err != nil {
		t.Fatal(err)
	}
	if len(opt.M) != len(adapters) || len(opt.V) != len(adapters) {
		t.Fatalf("moments of %d/%d floats for %d adapter parameters", len(opt.M), len(opt.V), len(adapters))
	}
	copt, _ := NewOptimizer(c, DefaultAdamW())
	var first, last float32
	for i := 0; i < 15; i++ {
		l := step(m, opt)
		if cl := step(c, copt); cl != l {
			t.Fatalf("step %d: clone loss %v, model loss %v", i, cl, l)
		}
		if i == 0 {
			first = l
		}
		last = l
	}
	if !slices.Equal(m.Params(), base) {
		t.Error("training changed the base weights")
	}
	if slices.Equal(m.TrainableParams(), adapters) {
		t.Error("training left the adapters unchanged")
	}
	if !slices.Equal(m.TrainableParams(), c.TrainableParams()) {
		t.Error("the clone trained differently")
	}
	if !(last < first) {
		t.Errorf("loss did not fall: %v → %v", first, last)
	}
	t.Logf("loss %v → %v", first, last)
	// The optimizer refuses a model whose trainable set changed.
	if err := m.MergeLoRA(); err != nil {
		t.Fatal(err)
	}
	if _, err := opt.Step(1e-2); err == nil {
		t.Error("a step after MergeLoRA succeeded")
	}
}

func TestLoRAConfigErrors(t *testing.T) {
	llama := llamaCases[0].cfg
	for _, tc := range []struct {
		c    LoRAConfig
		cfg  Config
		want string
	}{
		{LoRAConfig{Rank: 0, Alpha: 1, Targets: allTargets}, llama, "rank"},
		{LoRAConfig{Rank: 2, Alpha: 0, Targets: allTargets}, llama, "alpha"},
		{LoRAConfig{Rank: 2, Alpha: math.Inf(1), Targets: allTargets}, llama, "alpha"},
		{LoRAConfig{Rank: 2, Alpha: 1}, llama, "no target"},
		{LoRAConfig{Rank: 2, Alpha: 1, Targets: []string{"q_proj", "c_attn"}}, llama, `"c_attn"`},
		{LoRAConfig{Rank: 2, Alpha: 1, Targets: []string{"q_proj", "q_proj"}}, llama, "twice"},
		{LoRAConfig{Rank: 2, Alpha: 1, Targets: []string{"q_proj"}}, gradCfg, `"q_proj"`},
	} {
		err := tc.c.Validate(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", tc.c, err, tc.want)
		}
	}
	m := roughLlama(t, llama, 1)
	lc := LoRAConfig{Rank: 2, Alpha: 1, Targets: []string{"up_proj", "q_proj"}}
	if err := m.AddLoRA(lc, 1); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.LoRA(); !slices.Equal(got.Targets, []string{"q_proj", "up_proj"}) {
		t.Errorf("targets %v, want layout order", got.Targets)
	}
	if err := m.AddLoRA(lc, 1); err == nil {
		t.Error("a second AddLoRA succeeded")
	}
	g, err := New(gradCfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.AddLoRA(LoRAConfig{Rank: 2, Alpha: 1, Targets: []string{"c_proj", "c_attn"}}, 1); err != nil {
		t.Fatal(err)
	}
	if got, _ := g.LoRA(); !slices.Equal(got.Targets, []string{"c_attn", "attn.c_proj", "mlp.c_proj"}) {
		t.Errorf("GPT-2 targets %v, want c_proj resolved to both projections", got.Targets)
	}
	all := LoRAConfig{Rank: 2, Alpha: 1, Targets: []string{LoRAAllLinear}}
	if got := all.Canonical(llama).Targets; !slices.Equal(got, LoRATargets(llama)) {
		t.Errorf("all-linear is %v for Llama", got)
	}
	if got := all.Canonical(gradCfg).Targets; !slices.Equal(got, LoRATargets(gradCfg)) {
		t.Errorf("all-linear is %v for GPT-2", got)
	}
}

// gpt2LoRAParams64 returns the flat float64 parameters of a GPT-2 model with
// base p, the adapters in a folded in and a's scalar heads.
func gpt2LoRAParams64(cfg Config, base []float64, a map[string][]float64, c LoRAConfig) []float64 {
	p := slices.Clone(base)
	w := refViews(p, cfg)
	if h, ok := a["score.weight"]; ok {
		copy(w[gHeadw], h)
		copy(w[gHeadb], a["score.bias"])
	}
	C := cfg.Channels
	for l := 0; l < cfg.Layers; l++ {
		for t, g := range [...]int{gQkvw, gAttprojw, gFcw, gFcprojw} {
			mod := cfg.loraModule(l, t)
			A, ok := a[mod+".lora_A.weight"]
			if !ok {
				continue
			}
			B := a[mod+".lora_B.weight"]
			in, out, _ := cfg.loraDims(t)
			W := w[g][l*in*out : (l+1)*in*out]
			for i := 0; i < out; i++ {
				for j := 0; j < in; j++ {
					var d float64
					for k := 0; k < c.Rank; k++ {
						d += B[i*c.Rank+k] * A[k*in+j]
					}
					W[i*in+j] += c.Scale() * d
				}
			}
			_ = C
		}
	}
	return p
}

// TestGPT2LoRA: GPT-2's adapters (c_attn, both c_proj, c_fc): zero-B
// identity, gradients against finite differences of the merged float64
// reference, the decoder, the base view and the merge.
func TestGPT2LoRA(t *testing.T) {
	cfg := gradCfg
	const B, T = 2, 5
	in := []int32{1, 4, 4, 9, 0, 10, 2, 3, 7, 5}
	for _, targets := range [][]string{{"c_attn", "c_proj", "c_fc"}, {"mlp.c_proj", "c_attn"}} {
		t.Run(strings.Join(targets, "+"), func(t *testing.T) {
			m, err := New(cfg, 1)
			if err != nil {
				t.Fatal(err)
			}
			roughen(m, 2)
			want := logitsOf(t, m, in, B, T)
			if err := m.AddLoRA(LoRAConfig{Rank: 3, Alpha: 5, Targets: targets}, 4); err != nil {
				t.Fatal(err)
			}
			if got := logitsOf(t, m, in, B, T); !slices.Equal(got, want) {
				t.Fatal("zero-B adapters changed the logits")
			}
			randomize(newRNG(5), m.TrainableParams(), 0.3)
			lc, _ := m.LoRA()
			if err := m.Forward(in, B, T); err != nil {
				t.Fatal(err)
			}
			adapted := slices.Clone(m.Logits())
			r := randSlice(newRNG(6), len(m.DLogits()), 1)
			s := randSlice(newRNG(7), len(m.DScalars()), 1)
			copy(m.DLogits(), r)
			copy(m.DScalars(), s)
			m.ZeroGrad()
			if err := m.Backward(); err != nil {
				t.Fatal(err)
			}
			base := to64(m.Params())
			a := loraTensors64(m)
			logits, _ := refForward(cfg, gpt2LoRAParams64(cfg, base, a, lc), in, B, T)
			if e := maxRelDiff(adapted, logits); e > 1e-4 {
				t.Errorf("logits differ from the merged float64 reference by %.3g", e)
			}
			f := func() float64 {
				logits, scalars := refForward(cfg, gpt2LoRAParams64(cfg, base, a, lc), in, B, T)
				return dot64(logits, r) + dot64(scalars, s)
			}
			for _, tn := range m.LoRATensors() {
				checkRel(t, tn.Name, gradCheck(f, a[tn.Name], tn.Grad), 1e-3)
			}

			// The base view, the decoder and the merge.
			if got := logitsOf(t, m.Base(), in, B, T); !slices.Equal(got, want) {
				t.Error("the base view's logits differ from the base model's")
			}
			d, err := m.NewDecoder(B, T)
			if err != nil {
				t.Fatal(err)
			}
			V := cfg.VocabSize
			dl, err := d.Append([][]int32{in[:T], in[T:]})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < B; i++ {
				if e := relErr(dl[i*V:(i+1)*V], adapted[((i+1)*T-1)*V:(i+1)*T*V]); e > 1e-4 {
					t.Errorf("decoder sequence %d differs from the forward by %.3g", i, e)
				}
			}
			merged, err := m.Merged()
			if err != nil {
				t.Fatal(err)
			}
			if e := maxRelDiff(logitsOf(t, merged, in, B, T), to64(adapted)); e > 1e-5 {
				t.Errorf("merged logits differ by %.3g", e)
			}
			if err := m.MergeLoRA(); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.Params(), merged.Params()) {
				t.Error("MergeLoRA and Merged differ")
			}
		})
	}
}

// TestLoRAPolicyAndReference is PPO's use: the reference is the base view,
// whose log-probs stay those of the model before training while the
// adapters train through LogProbGrads.
func TestLoRAPolicyAndReference(t *testing.T) {
	cfg := llamaCases[1].cfg
	m := roughLlama(t, cfg, 3)
	seqs := [][]int32{{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10}}
	prompts := []int{2, 3}
	want, _, err := m.LogProbs(seqs, prompts, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 2, Targets: []string{"q_proj", "v_proj"}}, 1); err != nil {
		t.Fatal(err)
	}
	ref := m.Base()
	opt, err := NewOptimizer(m, DefaultAdamW())
	if err != nil {
		t.Fatal(err)
	}
	for step := 0; step < 5; step++ {
		lp, _, err := m.LogProbs(seqs, prompts, 1)
		if err != nil {
			t.Fatal(err)
		}
		refLP, _, err := ref.LogProbs(seqs, prompts, 1)
		if err != nil {
			t.Fatal(err)
		}
		for i := range refLP {
			if !slices.Equal(refLP[i], want[i]) {
				t.Fatalf("step %d: the reference's log-probs moved", step)
			}
		}
		// Ascend the log-likelihood of the sequences.
		dlogp := make([][]float64, len(lp))
		for i := range lp {
			dlogp[i] = make([]float64, len(lp[i]))
			for j := range dlogp[i] {
				dlogp[i][j] = -1
			}
		}
		if err := m.LogProbGrads(seqs, prompts, 1, dlogp, nil); err != nil {
			t.Fatal(err)
		}
		m.ZeroGrad()
		if err := m.Backward(); err != nil {
			t.Fatal(err)
		}
		if _, err := opt.Step(0.05); err != nil {
			t.Fatal(err)
		}
	}
	lp, _, _ := m.LogProbs(seqs, prompts, 1)
	if !(lp[0][0] > want[0][0]) {
		t.Errorf("training did not raise a log-prob: %v → %v", want[0][0], lp[0][0])
	}
}
