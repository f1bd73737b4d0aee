package bench

import (
	"bytes"
	"context"
	"maps"
	"os/exec"
	"strings"
	"testing"

	"github.com/align-project/align/tensor"
)

// tinyLlama is a Llama shape small enough to train in milliseconds.
func tinyLlamaSpec() LlamaSpec {
	s := DefaultLlamaSpec()
	s.Shape = LlamaShape{Layers: 1, Dim: 32, Heads: 4, KVHeads: 2, Hidden: 48, Vocab: 64, RopeTheta: 10000, NormEps: 1e-5}
	s.Batch, s.Ctx, s.Steps, s.Warmup, s.Prompt, s.NewTokens, s.Runs = 2, 16, 2, 1, 4, 8, 1
	return s
}

func TestLlamaAlignOnly(t *testing.T) {
	s := tinyLlamaSpec()
	s.Python = ""
	res, err := Llama(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if res.PyTorch != nil || res.TrainRatio != 0 || res.GenerateRatio != 0 {
		t.Errorf("without Python: PyTorch %+v, ratios %v %v", res.PyTorch, res.TrainRatio, res.GenerateRatio)
	}
	if g := res.Align.Generate; g == nil || !(g.TokensPerSec > 0) {
		t.Errorf("generate %+v", g)
	} else if want := map[bool]string{true: "bfloat16", false: "float32"}[tensor.FastBF16(1, 16)]; g.DType != want {
		t.Errorf("generation read %s weights, want %s (weights as a bf16 checkpoint gives them)", g.DType, want)
	}
	if tr := res.Align.Train; tr == nil || !(tr.TokensPerSec > 0) || !(tr.LossLast < tr.LossFirst) {
		t.Errorf("train %+v", tr)
	}
	var buf bytes.Buffer
	if err := res.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "tokens/s") {
		t.Errorf("text output:\n%s", buf.String())
	}
}

// TestLlamaPyTorch runs the embedded PyTorch peer on a tiny shape: both
// measurements come back under one of the two wait policies (generation in
// float32 and in bfloat16 too), the fastest of two rounds kept, with
// OpenBLAS named.
func TestLlamaPyTorch(t *testing.T) {
	const python = "/usr/bin/python3"
	if testing.Short() {
		t.Skip("starts PyTorch twelve times")
	}
	if err := exec.Command(python, "-c", "import torch").Run(); err != nil {
		t.Skipf("no PyTorch at %s: %v", python, err)
	}
	spec := tinyLlamaSpec()
	spec.Rounds = 2
	res, err := Llama(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if res.PyTorchError != "" {
		t.Fatal(res.PyTorchError)
	}
	p := res.PyTorch
	if p == nil || p.Generate == nil || p.Train == nil {
		t.Fatalf("PyTorch result %+v", p)
	}
	if len(p.Generate.Tried) != 4 || len(p.Train.Tried) != 2 {
		t.Errorf("generation tried %v, training %v: want both wait policies, and both dtypes generating", p.Generate.Tried, p.Train.Tried)
	}
	for k, v := range p.Generate.Tried {
		if v > p.Generate.TokensPerSec {
			t.Errorf("PyTorch's %s generation (%.1f tokens/s) beat the one kept (%.1f)", k, v, p.Generate.TokensPerSec)
		}
	}
	if g, f := res.Align.Generate, res.Align.GenerateF32; g == nil || f == nil || f.DType != "float32" || !(f.TokensPerSec > 0) {
		t.Errorf("align generation %+v, from float32 weights %+v", g, f)
	}
	if !(res.TrainRatio > 0 && res.GenerateRatio > 0) {
		t.Errorf("ratios %v %v", res.TrainRatio, res.GenerateRatio)
	}
	if p.Params != res.Align.Params {
		t.Errorf("PyTorch's model has %d parameters, align's %d", p.Params, res.Align.Params)
	}
	t.Logf("BLAS %v", p.BLAS)
}

// faster keeps the measurement with more tokens/s and the best of each key.
func TestFasterKeepsEachBest(t *testing.T) {
	var best *LlamaGenerateResult
	for _, m := range []struct {
		key  string
		rate float64
	}{{"default float32", 5}, {"PASSIVE float32", 9}, {"default float32", 7}, {"PASSIVE float32", 3}} {
		best = faster(best, &LlamaGenerateResult{TokensPerSec: m.rate, OMPWaitPolicy: m.key}, m.key)
	}
	if best.TokensPerSec != 9 || best.OMPWaitPolicy != "PASSIVE float32" {
		t.Errorf("kept %+v, want the 9 tokens/s measurement", best)
	}
	if want := map[string]float64{"default float32": 7, "PASSIVE float32": 9}; !maps.Equal(best.Tried, want) {
		t.Errorf("tried %v, want %v", best.Tried, want)
	}
	tr := faster(nil, &LlamaTrainResult{TokensPerSec: 2}, "")
	if tr = faster(tr, &LlamaTrainResult{TokensPerSec: 1}, ""); tr.TokensPerSec != 2 || tr.Tried != nil {
		t.Errorf("align's training kept %+v", tr)
	}
}
