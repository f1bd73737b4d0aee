package model

import (
	"math"
	"slices"
	"strings"
	"testing"
)

var tinyCfg = Config{VocabSize: 16, Context: 8, Layers: 2, Heads: 2, Channels: 16, ScalarHeads: 1}

// fixedBatch returns B×T random inputs and their next-token targets.
func fixedBatch(cfg Config, b, t int, seed uint64) (inputs, targets []int32) {
	rng := newRNG(seed)
	seq := make([]int32, b*(t+1))
	for i := range seq {
		seq[i] = int32(rng.IntN(cfg.VocabSize))
	}
	for i := 0; i < b; i++ {
		inputs = append(inputs, seq[i*(t+1):i*(t+1)+t]...)
		targets = append(targets, seq[i*(t+1)+1:(i+1)*(t+1)]...)
	}
	return inputs, targets
}

// trainSteps runs n AdamW steps on one batch and returns the losses.
func trainSteps(t testing.TB, m *Model, inputs, targets []int32, b, T, n int, lr float32) []float32 {
	t.Helper()
	opt, err := NewOptimizer(m, AdamWConfig{Beta1: 0.9, Beta2: 0.99, Eps: 1e-8, WeightDecay: 0.01, ClipNorm: 1})
	if err != nil {
		t.Fatal(err)
	}
	var losses []float32
	for i := 0; i < n; i++ {
		if err := m.Forward(inputs, b, T); err != nil {
			t.Fatal(err)
		}
		loss, err := m.LMLoss(targets, nil)
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, loss)
		m.ZeroGrad()
		if err := m.Backward(); err != nil {
			t.Fatal(err)
		}
		if _, err := opt.Step(lr); err != nil {
			t.Fatal(err)
		}
	}
	return losses
}

func TestOverfitBatch(t *testing.T) {
	m, err := New(tinyCfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, T := 4, tinyCfg.Context
	inputs, targets := fixedBatch(tinyCfg, b, T, 1)
	losses := trainSteps(t, m, inputs, targets, b, T, 300, 1e-2)
	first, last := losses[0], losses[len(losses)-1]
	if math.Abs(float64(first)-math.Log(float64(tinyCfg.VocabSize))) > 0.3 {
		t.Errorf("initial loss %v, want about ln V = %v", first, math.Log(float64(tinyCfg.VocabSize)))
	}
	if last > 0.05 {
		t.Errorf("loss after 300 steps %v, want < 0.05 (started at %v)", last, first)
	}
}

func TestDeterministic(t *testing.T) {
	run := func() ([]float32, []float32) {
		m, err := New(tinyCfg, 42)
		if err != nil {
			t.Fatal(err)
		}
		inputs, targets := fixedBatch(tinyCfg, 3, 8, 2)
		return trainSteps(t, m, inputs, targets, 3, 8, 5, 1e-3), m.Params()
	}
	l1, p1 := run()
	l2, p2 := run()
	if !slices.Equal(l1, l2) || !slices.Equal(p1, p2) {
		t.Error("two identical runs differ")
	}
	m3, _ := New(tinyCfg, 43)
	if slices.Equal(p1[:100], m3.Params()[:100]) {
		t.Error("different seeds gave the same initialisation")
	}
}

// A token whose weight is zero contributes nothing: changing its target
// leaves loss and gradients bit-identical, and its DLogits row is zero.
func TestLossMask(t *testing.T) {
	m := newRough(t, tinyCfg, 3)
	b, T, V := 2, 6, tinyCfg.VocabSize
	inputs, targets := fixedBatch(tinyCfg, b, T, 3)
	mask := []float32{0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0}
	grads := func(tg []int32) (float32, []float32) {
		if err := m.Forward(inputs, b, T); err != nil {
			t.Fatal(err)
		}
		loss, err := m.LMLoss(tg, mask)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range mask {
			if w == 0 && !allZero(m.DLogits()[i*V:(i+1)*V]) {
				t.Errorf("masked position %d has a non-zero logit gradient", i)
			}
		}
		m.ZeroGrad()
		if err := m.Backward(); err != nil {
			t.Fatal(err)
		}
		return loss, slices.Clone(m.Grads())
	}
	l1, g1 := grads(targets)
	other := slices.Clone(targets)
	for i, w := range mask {
		if w == 0 {
			other[i] = (other[i] + 5) % int32(V)
		}
	}
	l2, g2 := grads(other)
	if l1 != l2 || !slices.Equal(g1, g2) {
		t.Error("changing masked targets changed the loss or the gradients")
	}
	// Negative targets are ignored the same way.
	for i, w := range mask {
		if w == 0 {
			other[i] = -1
		}
	}
	if l3, g3 := grads(other); l3 != l1 || !slices.Equal(g1, g3) {
		t.Error("negative targets are not ignored like masked ones")
	}
	// An all-zero mask gives zero loss and no LM gradient.
	if err := m.Forward(inputs, b, T); err != nil {
		t.Fatal(err)
	}
	if loss, err := m.LMLoss(targets, make([]float32, b*T)); err != nil || loss != 0 || !allZero(m.DLogits()) {
		t.Errorf("all-zero mask: loss %v, err %v", loss, err)
	}
}

func TestConfigValidate(t *testing.T) {
	good := tinyCfg
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := map[string]func(*Config){
		"zero vocab":       func(c *Config) { c.VocabSize = 0 },
		"negative context": func(c *Config) { c.Context = -1 },
		"zero layers":      func(c *Config) { c.Layers = 0 },
		"zero heads":       func(c *Config) { c.Heads = 0 },
		"zero channels":    func(c *Config) { c.Channels = 0 },
		"heads not divide": func(c *Config) { c.Heads = 3 },
		"negative scalars": func(c *Config) { c.ScalarHeads = -1 },
		"absurd vocab":     func(c *Config) { c.VocabSize = 1 << 40 },
		"absurd overall":   func(c *Config) { c.Channels, c.Layers, c.Heads = 1<<14, 1000, 1 },
	}
	for name, f := range bad {
		c := good
		f(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: want an error", name)
		}
		if _, err := New(c, 1); err == nil {
			t.Errorf("%s: New wants an error", name)
		}
	}
}

func TestForwardErrors(t *testing.T) {
	m, _ := New(tinyCfg, 1)
	T := tinyCfg.Context
	for name, tc := range map[string]struct {
		in   []int32
		b, t int
	}{
		"too long":       {make([]int32, T+1), 1, T + 1},
		"shape mismatch": {make([]int32, 5), 2, 3},
		"zero batch":     {nil, 0, 3},
		"token too big":  {[]int32{0, int32(tinyCfg.VocabSize)}, 1, 2},
		"negative token": {[]int32{-3, 0}, 1, 2},
	} {
		if err := m.Forward(tc.in, tc.b, tc.t); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	if err := m.Backward(); err == nil {
		t.Error("backward before forward: want an error")
	}
	if _, err := m.LMLoss(nil, nil); err == nil {
		t.Error("loss before forward: want an error")
	}
	if err := m.Forward([]int32{1, 2, 3, 4}, 2, 2); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		targets []int32
		weights []float32
	}{
		"few targets":     {[]int32{1, 2}, nil},
		"target too big":  {[]int32{1, 2, 3, 99}, nil},
		"few weights":     {[]int32{1, 2, 3, 4}, []float32{1}},
		"negative weight": {[]int32{1, 2, 3, 4}, []float32{1, -1, 1, 1}},
		"NaN weight":      {[]int32{1, 2, 3, 4}, []float32{1, float32(math.NaN()), 1, 1}},
	} {
		if _, err := m.LMLoss(tc.targets, tc.weights); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestNonFinite(t *testing.T) {
	m, _ := New(tinyCfg, 1)
	if err := m.CheckFinite(); err != nil {
		t.Fatal(err)
	}
	m.W.Fcw[len(m.W.Fcw)-1] = float32(math.Inf(1))
	err := m.CheckFinite()
	if err == nil || !strings.Contains(err.Error(), "h.1.mlp.c_fc.weight") {
		t.Errorf("CheckFinite = %v, want an error naming h.1.mlp.c_fc.weight", err)
	}
	// A NaN weight makes the loss and the update fail with errors, not panics.
	m.W.Fcw[len(m.W.Fcw)-1] = float32(math.NaN())
	inputs, targets := fixedBatch(tinyCfg, 2, 4, 1)
	if err := m.Forward(inputs, 2, 4); err != nil {
		t.Fatal(err)
	}
	if _, err := m.LMLoss(targets, nil); err == nil {
		t.Error("NaN loss: want an error")
	}
	m.ZeroGrad()
	if err := m.Backward(); err != nil {
		t.Fatal(err)
	}
	opt, _ := NewOptimizer(m, DefaultAdamW())
	before := slices.Clone(m.Params())
	if _, err := opt.Step(1e-3); err == nil {
		t.Error("NaN gradient: want an error from the optimizer")
	}
	if !slices.EqualFunc(before, m.Params(), func(a, b float32) bool { return a == b || a != a && b != b }) {
		t.Error("a failed step changed the parameters")
	}
}

// Tensors must tile the flat buffer exactly once, and weight decay must hit
// exactly the tensors flagged for it.
func TestTensorsAndDecay(t *testing.T) {
	m := newRough(t, tinyCfg, 4)
	for _, tn := range m.Tensors() {
		n := 1
		for _, d := range tn.Shape {
			n *= d
		}
		if n != len(tn.Data) || n != len(tn.Grad) {
			t.Fatalf("%s: shape %v but %d values", tn.Name, tn.Shape, len(tn.Data))
		}
		for i := range tn.Data {
			tn.Data[i] = 0.5
		}
		if want := len(tn.Shape) == 2; tn.Decay != want {
			t.Errorf("%s: decay %v, want %v", tn.Name, tn.Decay, want)
		}
	}
	for i, v := range m.Params() {
		if v != 0.5 {
			t.Fatalf("parameter %d not covered by Tensors", i)
		}
	}
	// With zero gradients AdamW only decays: flagged tensors shrink, others stay.
	opt, _ := NewOptimizer(m, AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.5})
	m.ZeroGrad()
	if _, err := opt.Step(0.1); err != nil {
		t.Fatal(err)
	}
	for _, tn := range m.Tensors() {
		want := float32(0.5)
		if tn.Decay {
			want = 0.5 - 0.1*0.5*0.5
		}
		for _, v := range tn.Data {
			if math.Abs(float64(v-want)) > 1e-6 {
				t.Fatalf("%s: %v after a decay-only step, want %v", tn.Name, v, want)
			}
		}
	}
	if opt.StepCount != 1 || len(opt.M) != len(m.Params()) || len(opt.V) != len(m.Params()) {
		t.Error("optimizer state has the wrong shape")
	}
}

// Calling Forward with a smaller batch after a larger one reuses the buffers
// and gives the same numbers as a fresh model.
func TestShapeChanges(t *testing.T) {
	m := newRough(t, tinyCfg, 5)
	fresh := newRough(t, tinyCfg, 5)
	big, _ := fixedBatch(tinyCfg, 4, 8, 1)
	small, _ := fixedBatch(tinyCfg, 3, 5, 2)
	if err := m.Forward(big, 4, 8); err != nil {
		t.Fatal(err)
	}
	if err := m.Forward(small, 3, 5); err != nil {
		t.Fatal(err)
	}
	if err := fresh.Forward(small, 3, 5); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Logits(), fresh.Logits()) || !slices.Equal(m.Scalars(), fresh.Scalars()) {
		t.Error("outputs depend on an earlier, larger batch")
	}
	if b, T := m.Shape(); b != 3 || T != 5 || len(m.Logits()) != 3*5*tinyCfg.VocabSize {
		t.Errorf("shape %d×%d, logits %d", b, T, len(m.Logits()))
	}
	// Scalars only: the LM head can be turned off and on again.
	m.SetComputeLogits(false)
	if err := m.Forward(big, 4, 8); err != nil {
		t.Fatal(err)
	}
	if _, err := m.LMLoss(make([]int32, 32), nil); err == nil {
		t.Error("loss with logits off: want an error")
	}
	if m.Logits() != nil || m.DLogits() != nil || len(m.Scalars()) != 32 {
		t.Error("with logits off: want nil logits and the scalars")
	}
	copy(m.DScalars(), make([]float32, 32))
	m.DScalars()[3] = 1
	m.ZeroGrad()
	if err := m.Backward(); err != nil {
		t.Fatal(err)
	}
	if allZero(m.G.Headw) {
		t.Error("scalar-only backward left the head gradient zero")
	}
	m.SetComputeLogits(true)
	if err := m.Forward(small, 3, 5); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Logits(), fresh.Logits()) {
		t.Error("logits differ after turning the LM head off and on")
	}
}
