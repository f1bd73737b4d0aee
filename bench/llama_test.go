package bench

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
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
// measurements come back under one of the two wait policies, with OpenBLAS
// named.
func TestLlamaPyTorch(t *testing.T) {
	const python = "/usr/bin/python3"
	if testing.Short() {
		t.Skip("starts PyTorch four times")
	}
	if err := exec.Command(python, "-c", "import torch").Run(); err != nil {
		t.Skipf("no PyTorch at %s: %v", python, err)
	}
	res, err := Llama(context.Background(), tinyLlamaSpec())
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
	for _, tried := range []map[string]float64{p.Generate.Tried, p.Train.Tried} {
		if len(tried) != 2 {
			t.Errorf("tried %v, want both wait policies", tried)
		}
	}
	if !(res.TrainRatio > 0 && res.GenerateRatio > 0) {
		t.Errorf("ratios %v %v", res.TrainRatio, res.GenerateRatio)
	}
	if p.Params != res.Align.Params {
		t.Errorf("PyTorch's model has %d parameters, align's %d", p.Params, res.Align.Params)
	}
	t.Logf("BLAS %v", p.BLAS)
}
