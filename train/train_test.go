package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// corpus is a small synthetic pretraining set with some structure to learn.
func corpus(n int) []string {
	animals := []string{"cat", "dog", "cow", "owl", "fox", "hen"}
	sounds := []string{"meows", "barks", "moos", "hoots", "yelps", "clucks"}
	docs := make([]string, n)
	for i := range docs {
		a := i % len(animals)
		docs[i] = fmt.Sprintf("The %s %s. Number %d is after %d. The %s %s again.",
			animals[a], sounds[a], i%10+1, i%10, animals[(a+1)%6], sounds[(a+1)%6])
	}
	return docs
}

func tinyTokenizer(t testing.TB) *tokenizer.Tokenizer {
	t.Helper()
	tok, err := tokenizer.Train(tokenizer.TrainConfig{VocabSize: 300}, corpus(60)...)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func encodeDocs(tok *tokenizer.Tokenizer, docs []string) [][]int32 {
	out := make([][]int32, len(docs))
	for i, d := range docs {
		out[i] = tokenizer.Int32s(tok.Encode(d))
	}
	return out
}

// tinyConfig is a training config for a model small enough to train in
// milliseconds.
func tinyConfig() Config {
	c := DefaultPretrain()
	c.Layers, c.Dim, c.Heads, c.Ctx, c.Vocab = 1, 32, 2, 16, 300
	c.Steps, c.Batch, c.Warmup, c.LR, c.MinLR = 40, 4, 5, 3e-3, 3e-4
	c.EvalEvery, c.EvalBatches, c.SaveEvery, c.LogEvery = 10, 0, 0, 5
	c.Patience, c.GapEvals = 0, 0
	return c
}

// tinyTrainer builds a pretraining run on the synthetic corpus.
func tinyTrainer(t testing.TB, c Config, out string) *Trainer {
	t.Helper()
	tok := tinyTokenizer(t)
	eos, _ := tok.TokenID("<|endoftext|>")
	rows := PackDocuments(encodeDocs(tok, corpus(120)), int32(eos), c.Ctx)
	tr, held := rows.SplitTail(0.1)
	m, err := model.New(c.ModelConfig(tok.VocabSize()), c.Seed)
	if err != nil {
		t.Fatal(err)
	}
	return &Trainer{Config: c, Model: m, Tokenizer: tok, Train: tr, HeldOut: held, Out: out, Stage: "pretrain"}
}

func TestLRSchedule(t *testing.T) {
	c := Config{LR: 1, MinLR: 0.1, Warmup: 10, Steps: 110}
	if got := c.LRAt(0); math.Abs(got-0.1) > 1e-12 {
		t.Errorf("LRAt(0) = %v, want 0.1", got)
	}
	if got := c.LRAt(9); got != 1 {
		t.Errorf("LRAt(9) = %v, want 1 (end of warm-up)", got)
	}
	if got := c.LRAt(109); math.Abs(got-0.1) > 1e-12 {
		t.Errorf("LRAt(last) = %v, want min_lr 0.1", got)
	}
	mid := c.LRAt(10 + 99/2)
	if math.Abs(mid-0.55) > 0.01 {
		t.Errorf("LR half-way through the decay = %v, want about 0.55", mid)
	}
	for s := 10; s < 109; s++ {
		if c.LRAt(s+1) > c.LRAt(s) {
			t.Fatalf("LR rises after warm-up at step %d", s)
		}
	}
}

func TestPackStream(t *testing.T) {
	stream := []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	w := []float32{0, 1, 0, 1, 1, 0, 0, 1, 1, 1}
	r := PackStream(stream, w, 4)
	if r.Len() != 2 {
		t.Fatalf("%d rows, want 2", r.Len())
	}
	if !slices.Equal(r.Tokens, []int32{0, 1, 2, 3, 4, 4, 5, 6, 7, 8}) {
		t.Errorf("tokens %v", r.Tokens)
	}
	// A row's weights belong to its targets: tokens 1..4, then 5..8.
	if !slices.Equal(r.Weights, []float32{1, 0, 1, 1, 0, 0, 1, 1}) {
		t.Errorf("weights %v", r.Weights)
	}
}

func TestPackExamplesPadded(t *testing.T) {
	exs := []Example{
		{IDs: []int32{10, 11, 12, 13}, Mask: []bool{false, false, true, true}},
		{IDs: []int32{20, 21}, Mask: []bool{false, false}}, // nothing to learn: dropped
		{IDs: []int32{30, 31, 32, 33, 34, 35, 36}, Mask: []bool{false, true, true, true, true, true, true}},
	}
	r := PackExamples(exs, 4, false, 99)
	if r.Len() != 2 {
		t.Fatalf("%d rows, want 2", r.Len())
	}
	// The long example keeps its end.
	if !slices.Equal(r.Tokens, []int32{10, 11, 12, 13, 99, 32, 33, 34, 35, 36}) {
		t.Errorf("tokens %v", r.Tokens)
	}
	if !slices.Equal(r.Weights, []float32{0, 1, 1, 0, 1, 1, 1, 1}) {
		t.Errorf("weights %v", r.Weights)
	}
}

func TestSamplerDeterministic(t *testing.T) {
	a, _ := newSampler(7, 3, 0)
	var seq []int
	for range 20 {
		seq = append(seq, a.next())
	}
	// Each epoch is a permutation.
	for e := range 2 {
		ep := slices.Clone(seq[e*7 : e*7+7])
		slices.Sort(ep)
		if !slices.Equal(ep, []int{0, 1, 2, 3, 4, 5, 6}) {
			t.Errorf("epoch %d is not a permutation: %v", e, seq[e*7:e*7+7])
		}
	}
	// Starting from a position continues the same sequence.
	b, _ := newSampler(7, 3, 11)
	for i := 11; i < 20; i++ {
		if got := b.next(); got != seq[i] {
			t.Fatalf("resumed sampler at %d gives %d, want %d", i, got, seq[i])
		}
	}
}

// TestLossMasking checks that SFT prompt tokens get no gradient: their
// logits' gradients are zero, and changing the prompt's target tokens
// leaves every parameter gradient bit-identical.
func TestLossMasking(t *testing.T) {
	tok := tinyTokenizer(t)
	msgs := []tokenizer.Message{{Role: "user", Content: "What does the cat say?"}, {Role: "assistant", Content: "The cat meows."}}
	ids, mask, err := tok.RenderChat(msgs, false)
	if err != nil {
		t.Fatal(err)
	}
	T := len(ids) - 1
	rows := PackExamples([]Example{{IDs: tokenizer.Int32s(ids), Mask: mask}}, T, false, 0)
	if rows.Len() != 1 {
		t.Fatalf("%d rows", rows.Len())
	}
	nPrompt := 0
	for i, w := range rows.Weights {
		if w != 0 && w != 1 {
			t.Fatalf("weight %v", w)
		}
		if (w == 1) != mask[i+1] {
			t.Fatalf("target %d has weight %v but mask %v", i, w, mask[i+1])
		}
		if w == 0 {
			nPrompt++
		}
	}
	if nPrompt == 0 || nPrompt == T {
		t.Fatalf("%d of %d targets masked; want some but not all", nPrompt, T)
	}
	m, err := model.New(model.Config{VocabSize: tok.VocabSize(), Context: 64, Layers: 1, Heads: 2, Channels: 32}, 1)
	if err != nil {
		t.Fatal(err)
	}
	V := m.Config.VocabSize
	grads := func(targets []int32) []float32 {
		inputs := rows.Tokens[:T]
		if err := m.Forward(inputs, 1, T); err != nil {
			t.Fatal(err)
		}
		if _, err := m.LMLoss(targets, rows.Weights); err != nil {
			t.Fatal(err)
		}
		dl := m.DLogits()
		for i, w := range rows.Weights {
			if w != 0 {
				continue
			}
			for _, g := range dl[i*V : (i+1)*V] {
				if g != 0 {
					t.Fatalf("prompt target %d has a non-zero logit gradient %v", i, g)
				}
			}
		}
		m.ZeroGrad()
		if err := m.Backward(); err != nil {
			t.Fatal(err)
		}
		return slices.Clone(m.Grads())
	}
	targets := slices.Clone(rows.Tokens[1:])
	g1 := grads(targets)
	for i, w := range rows.Weights {
		if w == 0 {
			targets[i] = int32((int(targets[i]) + 7) % V)
		}
	}
	g2 := grads(targets)
	if i := firstDiffF32(g1, g2); i >= 0 {
		t.Fatalf("changing prompt targets changed gradient %d: %v vs %v", i, g1[i], g2[i])
	}
	if tensorNorm(g1) == 0 {
		t.Fatal("the completion gives no gradient at all")
	}
}

func firstDiffF32(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

func tensorNorm(g []float32) float64 {
	var s float64
	for _, x := range g {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func TestTrainLossFalls(t *testing.T) {
	c := tinyConfig()
	c.Steps = 60
	tr := tinyTrainer(t, c, t.TempDir())
	var last Status
	tr.Progress = func(s Status) { last = s }
	res, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != c.Steps || last.Step != c.Steps {
		t.Errorf("ran %d steps (status %d), want %d", res.Steps, last.Step, c.Steps)
	}
	if !(res.BestHeldOut < res.FirstHeldOut-1) {
		t.Errorf("held-out loss %v → %v: did not fall by 1", res.FirstHeldOut, res.BestHeldOut)
	}
	ms, err := ReadMetrics(filepath.Join(tr.Out, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	evals := 0
	for _, m := range ms {
		if m.HeldOutLoss != nil {
			evals++
		}
		if m.TokensPerSec <= 0 || m.LR <= 0 {
			t.Errorf("metrics line %+v lacks rate or lr", m)
		}
	}
	if len(ms) != 12 || evals != 6 {
		t.Errorf("%d metrics lines with %d evaluations, want 12 with 6", len(ms), evals)
	}
	// The output directory is a loadable model with its tokenizer.
	hm, err := checkpoint.LoadHF(tr.Out)
	if err != nil {
		t.Fatal(err)
	}
	if hm.Tokenizer == nil || hm.Align.Stage != "pretrain" {
		t.Errorf("saved model: tokenizer %v, stage %q", hm.Tokenizer != nil, hm.Align.Stage)
	}
	if firstDiffF32(hm.Model.Params(), tr.Model.Params()) >= 0 {
		t.Error("the model in memory differs from the best model saved")
	}
}

func TestGradAccumMatchesBigBatch(t *testing.T) {
	run := func(batch, accum int) float64 {
		c := tinyConfig()
		c.Steps, c.Batch, c.GradAccum, c.EvalEvery = 1, batch, accum, 0
		tr := tinyTrainer(t, c, t.TempDir())
		tr.HeldOut = nil
		var loss float64
		tr.Progress = func(s Status) { loss = s.Loss }
		if _, err := tr.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return loss
	}
	big, acc := run(4, 1), run(2, 2)
	if math.Abs(big-acc) > 1e-5 {
		t.Errorf("loss of one batch of 4 %v, of two accumulated batches of 2 %v", big, acc)
	}
}

func TestOverfittingWarningAndEarlyStopping(t *testing.T) {
	c := tinyConfig()
	c.Layers, c.Dim = 2, 64
	c.Steps, c.Warmup, c.LR, c.MinLR, c.WeightDecay = 400, 5, 1e-2, 1e-2, 0
	c.EvalEvery, c.LogEvery, c.Patience, c.GapEvals = 10, 10, 4, 2
	tr := tinyTrainer(t, c, t.TempDir())
	// A deliberately tiny training set: three rows, memorised in a few dozen steps.
	tr.Train = tr.Train.slice(0, 3)
	var warnings []string
	tr.Warn = func(s string) { warnings = append(warnings, s) }
	res, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !res.EarlyStopped || res.Steps >= c.Steps {
		t.Fatalf("no early stopping: %d steps, result %+v", res.Steps, res)
	}
	if res.OverfitWarnings == 0 || !slices.ContainsFunc(warnings, func(s string) bool { return strings.Contains(s, "overfitting") }) {
		t.Errorf("no overfitting warning; warnings: %q", warnings)
	}
	if res.BestStep >= res.Steps {
		t.Errorf("best step %d is the last (%d)", res.BestStep, res.Steps)
	}
	// The model holds the best parameters again, and they are what OUT holds.
	hm, err := checkpoint.LoadHF(tr.Out)
	if err != nil {
		t.Fatal(err)
	}
	if i := firstDiffF32(hm.Model.Params(), tr.Model.Params()); i >= 0 {
		t.Fatalf("model after early stopping differs from the best checkpoint at %d", i)
	}
	got, err := Evaluate(tr.Model, tr.HeldOut, c.Batch, c.EvalBatches)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-res.BestHeldOut) > 1e-6 {
		t.Errorf("held-out loss of the restored model %v, best %v", got, res.BestHeldOut)
	}
	ms, err := ReadMetrics(filepath.Join(tr.Out, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	lastEval := ms[len(ms)-1]
	if lastEval.Gap == nil || *lastEval.Gap <= 0 || !strings.Contains(lastEval.Warning, "early stopping") {
		t.Errorf("last metrics line %+v: want a positive gap and the early-stopping note", lastEval)
	}
	t.Logf("stopped at step %d, best %d: held-out %.3f → best %.3f; %d warnings", res.Steps, res.BestStep, res.FirstHeldOut, res.BestHeldOut, res.OverfitWarnings)
}

func TestDivergenceIsAnError(t *testing.T) {
	c := tinyConfig()
	tr := tinyTrainer(t, c, t.TempDir())
	tr.Model.W.Lnfw[0] = float32(math.NaN()) // every logit becomes NaN
	tr.HeldOut = nil
	_, err := tr.Run(context.Background())
	if !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "learning rate") {
		t.Fatalf("err = %v, want ErrDiverged with advice", err)
	}
}

func TestMain(m *testing.M) {
	if os.Getenv(killChildEnv) != "" {
		killChild()
		return
	}
	os.Exit(m.Run())
}

// TestGeneralizationLossIsLoggedOnly checks that a second held-out set is
// evaluated and logged at every evaluation without touching model selection:
// the run is the same as without it.
func TestGeneralizationLossIsLoggedOnly(t *testing.T) {
	c := tinyConfig()
	c.Steps = 20
	plain := tinyTrainer(t, c, t.TempDir())
	resPlain, err := plain.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tr := tinyTrainer(t, c, t.TempDir())
	tr.Generalization = tr.Train.slice(0, 5)
	res, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.BestStep != resPlain.BestStep || res.BestHeldOut != resPlain.BestHeldOut {
		t.Errorf("with a generalization set: best %v at step %d; without: %v at step %d",
			res.BestHeldOut, res.BestStep, resPlain.BestHeldOut, resPlain.BestStep)
	}
	if i := firstDiffF32(plain.Model.Params(), tr.Model.Params()); i >= 0 {
		t.Fatalf("parameters differ at %d with a generalization set", i)
	}
	ms, err := ReadMetrics(filepath.Join(tr.Out, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	evals := 0
	for _, m := range ms {
		if (m.HeldOutLoss != nil) != (m.GeneralizationLoss != nil) {
			t.Fatalf("step %d: held-out loss %v but generalization loss %v", m.Step, m.HeldOutLoss, m.GeneralizationLoss)
		}
		if m.GeneralizationLoss != nil {
			evals++
			if !(*m.GeneralizationLoss > 0) {
				t.Errorf("step %d: generalization loss %v", m.Step, *m.GeneralizationLoss)
			}
		}
	}
	if evals != c.Steps/c.EvalEvery {
		t.Errorf("%d generalization losses logged, want %d", evals, c.Steps/c.EvalEvery)
	}
}
