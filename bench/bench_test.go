package bench

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
)

// tiny is a model small enough to train in milliseconds.
var tiny = ModelShape{Layers: 1, Dim: 32, Heads: 2, Ctx: 16, Vocab: 64}

// checkFloats fails for every float field of res that is not positive and
// finite: throughputs, times and memory all are.
func checkFloats(t *testing.T, res any) {
	t.Helper()
	v := reflect.ValueOf(res)
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Float64 && !(f.Float() > 0 && !math.IsInf(f.Float(), 0)) {
			t.Errorf("%s = %v, want positive and finite", v.Type().Field(i).Name, f.Float())
		}
	}
}

// checkJSON fails unless res encodes to exactly the keys given (the ones
// bench/compare.sh and the PyTorch peers use), with the model shape under
// "config" when there is one.
func checkJSON(t *testing.T, res any, shape ModelShape, keys ...string) {
	t.Helper()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(maps.Keys(m))
	slices.Sort(keys)
	if !slices.Equal(got, keys) {
		t.Errorf("JSON keys\n%v, want\n%v", got, keys)
	}
	if c, ok := m["config"]; ok {
		want := `{"layers":1,"dim":32,"heads":2,"ctx":` + jsonInt(shape.Ctx) + `,"vocab":64}`
		if string(c) != want {
			t.Errorf("config %s, want %s", c, want)
		}
	}
}

func jsonInt(n int) string { b, _ := json.Marshal(n); return string(b) }

// checkTable fails unless WriteText prints a title line starting with title
// and then one "  name  value" row per name, the values in one column.
func checkTable(t *testing.T, res interface{ WriteText(io.Writer) error }, title string, names ...string) {
	t.Helper()
	var b strings.Builder
	if err := res.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 1+len(names) || !strings.HasPrefix(lines[0], title) {
		t.Fatalf("want a title %q and %d rows:\n%s", title, len(names), b.String())
	}
	width := 0 // of the name column: the names, indented by 2 and padded by 2
	for _, name := range names {
		width = max(width, 2+len(name)+2)
	}
	for i, name := range names {
		row := lines[1+i]
		if !strings.HasPrefix(row, "  "+name+" ") || len(row) <= width || row[width-1] != ' ' || row[width] == ' ' {
			t.Errorf("row %d %q: want %q with its value at column %d", i+1, row, name, width)
		}
	}
}

func TestMatmul(t *testing.T) {
	for _, layout := range []string{"nn", "nt", "tn"} {
		res, err := Matmul(context.Background(), MatmulSpec{M: 33, N: 17, K: 9, Layout: layout, Iters: 2, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		checkFloats(t, res)
		if res.Layout != layout || res.M != 33 || res.N != 17 || res.K != 9 || res.Iters != 2 || res.GFLOPS < res.GFLOPSMedian || res.MsBest > res.MsMedian {
			t.Errorf("%s: %+v", layout, res)
		}
		// GFLOP/s is 2·m·n·k per call over the time of the call.
		if want := 2 * 33 * 17 * 9 / (res.MsBest / 1e3) / 1e9; math.Abs(res.GFLOPS-want) > 1e-9*want {
			t.Errorf("%s: GFLOP/s %v, want %v from %v ms", layout, res.GFLOPS, want, res.MsBest)
		}
		checkJSON(t, res, tiny, "benchmark", "implementation", "threads", "layout", "m", "n", "k", "iters",
			"ms_best", "ms_median", "gflops", "gflops_median", "peak_rss_mb")
		checkTable(t, res, "bench matmul: "+layout+" 33×17×9, 2 calls, ", "GFLOP/s", "time", "peak RSS")
	}
	// Without Iters the calls repeat until MinTime, at least 3 times.
	spec := DefaultMatmulSpec()
	spec.M, spec.N, spec.K, spec.MinTime = 8, 8, 8, 0
	if res, err := Matmul(context.Background(), spec); err != nil || res.Iters != 3 {
		t.Errorf("MinTime 0: %d calls, %v; want 3", res.Iters, err)
	}
}

func TestTrain(t *testing.T) {
	spec := TrainSpec{Shape: tiny, Batch: 2, Steps: 2, Warmup: 1, Seed: 7}
	res, err := Train(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	checkFloats(t, res)
	if res.TokensPerStep != 2*16 || res.Steps != 2 || res.Warmup != 1 || res.Config != tiny || res.Params != tiny.Config().NumParams() {
		t.Errorf("echoed settings wrong: %+v", res)
	}
	if want := res.TokensPerSec * res.FLOPsPerToken / 1e9; math.Abs(res.GFLOPS-want) > 1e-9*want {
		t.Errorf("GFLOP/s %v, want tokens/s × FLOPs/token = %v", res.GFLOPS, want)
	}
	// A fresh model predicts nearly uniformly over the vocabulary.
	if math.Abs(res.LossFirst-math.Log(64)) > 0.3 {
		t.Errorf("first loss %.3f, want about ln 64 = %.3f", res.LossFirst, math.Log(64))
	}
	checkJSON(t, res, tiny, "benchmark", "implementation", "threads", "config", "batch", "params", "steps", "warmup",
		"tokens_per_step", "tokens_per_sec", "ms_per_step", "flops_per_token", "gflops", "loss_first", "loss_last", "peak_rss_mb")
	checkTable(t, res, "bench train: L1 C32 NH2 T16 B2 V64 (0.", "tokens/s", "ms/step", "GFLOP/s", "loss", "peak RSS")

	// The same seed gives the same losses.
	again, err := Train(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if again.LossFirst != res.LossFirst || again.LossLast != res.LossLast {
		t.Errorf("losses differ between identical runs: %v/%v vs %v/%v", res.LossFirst, res.LossLast, again.LossFirst, again.LossLast)
	}
}

func TestTrainLearns(t *testing.T) {
	res, err := Train(context.Background(), TrainSpec{Shape: tiny, Batch: 2, Steps: 15, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !(res.LossLast < res.LossFirst-0.05) {
		t.Errorf("loss did not fall on a fixed batch: %.4f → %.4f", res.LossFirst, res.LossLast)
	}
}

func TestTrainCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, TrainSpec{Shape: tiny, Batch: 1, Steps: 1}); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}

func TestGenerate(t *testing.T) {
	res, err := Generate(context.Background(), GenerateSpec{Shape: tiny, Batch: 2, NewTokens: 15, Runs: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkFloats(t, res)
	// No stop token: every sequence gets all its tokens in every timed run.
	if res.NewTokens != 15 || res.Batch != 2 || res.Runs != 2 || res.Generated != 2*2*15 {
		t.Errorf("unexpected result %+v", res)
	}
	checkJSON(t, res, tiny, "benchmark", "implementation", "threads", "config", "batch", "new_tokens", "runs",
		"generated_tokens", "tokens_per_sec", "ms_per_token", "peak_rss_mb")
	checkTable(t, res, "bench generate: L1 C32 NH2 T16 V64, 2 sequences × 15 new tokens, 2 runs, ", "tokens/s", "ms/step", "peak RSS")
}

func TestPPO(t *testing.T) {
	shape := tiny
	shape.Ctx = 32
	res, err := PPO(context.Background(), PPOSpec{Shape: shape, Prompts: 8, PromptLen: 4, NewTokens: 8, MiniBatch: 4, Epochs: 1, Iterations: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkFloats(t, res)
	if sum := res.Generate + res.Score + res.Ref + res.Update; sum > res.SecPerIter*1.01 {
		t.Errorf("the split sums to %v, more than the %v s of an iteration", sum, res.SecPerIter)
	}
	if res.Prompts != 8 || res.PromptLen != 4 || res.NewTokens != 8 || res.MiniBatch != 4 || res.Epochs != 1 || res.Iterations != 2 {
		t.Errorf("echoed settings wrong: %+v", res)
	}
	checkJSON(t, res, shape, "benchmark", "implementation", "threads", "config", "prompts", "prompt_len", "new_tokens",
		"mini_batch", "epochs", "iterations", "sec_per_iteration", "generate", "score", "ref", "update",
		"generate_tokens_per_sec", "update_tokens_per_sec", "peak_rss_mb")
	checkTable(t, res, "bench ppo: L1 C32 NH2 T32 V64, 8 prompts × 8 new tokens, 1 epochs of minibatches of 4, 2 timed iterations, ",
		"s/iteration", "generate", "score", "reference", "update", "peak RSS")
}

func TestGRPO(t *testing.T) {
	shape := tiny
	shape.Ctx = 32
	res, err := GRPO(context.Background(), GRPOSpec{Shape: shape, Prompts: 2, Group: 4, PromptLen: 4, NewTokens: 8, MiniBatch: 4, Epochs: 1, PPOEpochs: 2, Iterations: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkFloats(t, res)
	for _, m := range []IterationTimes{res.GRPO, res.PPO} {
		if sum := m.Generate + m.Score + m.Ref + m.Update; m.SecPerIter <= 0 || sum > m.SecPerIter*1.01 {
			t.Errorf("the split sums to %v, more than the %v s of an iteration", sum, m.SecPerIter)
		}
	}
	if res.Responses != 8 || res.GRPO.Epochs != 1 || res.PPO.Epochs != 2 || res.Ratio != res.GRPO.SecPerIter/res.PPO.SecPerIter {
		t.Errorf("echoed settings wrong: %+v", res)
	}
	checkJSON(t, res, shape, "benchmark", "implementation", "threads", "config", "prompts", "group", "responses", "prompt_len", "new_tokens",
		"mini_batch", "iterations", "grpo", "ppo", "ratio", "peak_rss_mb")
	checkTable(t, res, "bench grpo: L1 C32 NH2 T32 V64, 8 responses × 8 new tokens per iteration (GRPO 2 prompts × 4, PPO 8 prompts), minibatches of 4, 1 timed iterations each, ",
		"grpo s/iteration", "  generate", "  score", "  reference", "  update",
		"ppo s/iteration", "  generate", "  score", "  reference", "  update", "grpo / ppo", "peak RSS")
	g := DefaultGRPOSpec()
	if err := g.Validate(); err != nil || g.Epochs != 1 || g.PPOEpochs != 4 {
		t.Errorf("default spec %+v: %v", g, err)
	}
	g.MiniBatch = 5
	if ke, ok := errors.AsType[*yamlconf.KeyError](g.Validate()); !ok || ke.Key != "mini_batch" {
		t.Errorf("mini_batch 5: %v", g.Validate())
	}
}

// Every spec names the setting it rejects, before any work starts.
func TestValidateNamesTheSetting(t *testing.T) {
	train := func(f func(*TrainSpec)) error { s := DefaultTrainSpec(); f(&s); return s.Validate() }
	gen := func(f func(*GenerateSpec)) error { s := DefaultGenerateSpec(); f(&s); return s.Validate() }
	ppoSpec := func(f func(*PPOSpec)) error { s := DefaultPPOSpec(); f(&s); return s.Validate() }
	mat := func(f func(*MatmulSpec)) error { s := DefaultMatmulSpec(); f(&s); return s.Validate() }
	for _, tc := range []struct {
		err error
		key string
	}{
		{mat(func(s *MatmulSpec) { s.N = 0 }), "n"},
		{mat(func(s *MatmulSpec) { s.M, s.N, s.K = 1<<16, 1<<16, 1<<16 }), "m"},
		{mat(func(s *MatmulSpec) { s.Iters = -1 }), "iters"},
		{mat(func(s *MatmulSpec) { s.Layout = "tt" }), "layout"},
		{train(func(s *TrainSpec) { s.Shape.Heads = 3 }), "heads"},
		{train(func(s *TrainSpec) { s.Batch = 0 }), "batch"},
		{train(func(s *TrainSpec) { s.Steps = 0 }), "steps"},
		{train(func(s *TrainSpec) { s.Warmup = -1 }), "warmup"},
		{gen(func(s *GenerateSpec) { s.NewTokens = s.Shape.Ctx }), "new_tokens"},
		{gen(func(s *GenerateSpec) { s.Runs = 0 }), "runs"},
		{ppoSpec(func(s *PPOSpec) { s.Epochs = 0 }), "epochs"},
		{ppoSpec(func(s *PPOSpec) { s.PromptLen = s.Shape.Ctx }), "new_tokens"},
		{ppoSpec(func(s *PPOSpec) { s.MiniBatch = 5 }), "mini_batch"},
	} {
		ke, ok := errors.AsType[*yamlconf.KeyError](tc.err)
		if !ok || ke.Key != tc.key {
			t.Errorf("error %v, want one about %s", tc.err, tc.key)
		}
	}
	for _, spec := range []interface{ Validate() error }{DefaultMatmulSpec(), DefaultTrainSpec(), DefaultGenerateSpec(), DefaultPPOSpec()} {
		if err := spec.Validate(); err != nil {
			t.Errorf("%T: the default fails: %v", spec, err)
		}
	}
	// A shape model.Config rejects fails before anything is built.
	if _, err := Generate(context.Background(), GenerateSpec{Shape: ModelShape{Dim: 32, Heads: 2, Ctx: 16, Vocab: 64}, Batch: 1, NewTokens: 1, Runs: 1}); err == nil || !strings.Contains(err.Error(), "layers must be positive") {
		t.Errorf("0 layers: %v", err)
	}
}

func TestTrainFLOPsPerToken(t *testing.T) {
	// The reference configuration counted by hand: per layer 12·C² weights
	// and 13·C biases and norms, the final norm 2·C, the tied head V·C.
	cfg := model.Config{VocabSize: 256, Context: 128, Layers: 4, Heads: 4, Channels: 256}
	L, C, V, T := 4.0, 256.0, 256.0, 128.0
	n := L*(12*C*C+13*C) + 2*C + V*C
	want := 6*n + 12*L*T*C
	if got := trainFLOPsPerToken(cfg, 128); got != want {
		t.Errorf("trainFLOPsPerToken = %.0f, want %.0f", got, want)
	}
	if ReferenceShape().Config() != cfg {
		t.Errorf("the reference shape is %+v, want %+v (bench/compare.sh's)", ReferenceShape().Config(), cfg)
	}
}
