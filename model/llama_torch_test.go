package model

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestLlamaTorch compares the Llama forward with a PyTorch implementation
// of the same architecture (testdata/llama_torch.py, float64) on weights the
// test writes out under their Hugging Face names, the fused qkv split into
// q_proj, k_proj and v_proj as its ParamSpec says. It needs Debian's
// python3-torch and is skipped without it.
func TestLlamaTorch(t *testing.T) {
	const python = "/usr/bin/python3"
	if testing.Short() {
		t.Skip("starts Python and PyTorch")
	}
	if err := exec.Command(python, "-c", "import torch, numpy").Run(); err != nil {
		t.Skipf("no PyTorch at %s: %v", python, err)
	}
	const B, T = 2, 11
	for _, tc := range llamaCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			m := roughLlama(t, cfg, 11)
			in := llamaInputs(cfg, B, T, 12)
			if err := m.Forward(in, B, T); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			writeTorchInputs(t, dir, m, in, B, T)
			out, err := exec.Command(python, filepath.Join("testdata", "llama_torch.py"), dir).CombinedOutput()
			if err != nil {
				t.Fatalf("llama_torch.py: %v\n%s", err, out)
			}
			e := maxRelDiff(m.Logits(), readFloat64s(t, filepath.Join(dir, "logits.bin")))
			if e > 1e-4 {
				t.Errorf("logits differ from PyTorch's by %.3g", e)
			}
			t.Logf("logits within %.2g of PyTorch's (relative to the largest)", e)
			if cfg.ScalarHeads > 0 {
				if e := maxRelDiff(m.Scalars(), readFloat64s(t, filepath.Join(dir, "scalars.bin"))); e > 1e-4 {
					t.Errorf("scalars differ from PyTorch's by %.3g", e)
				}
			}
		})
	}
}

// writeTorchInputs writes meta.json and weights.bin for llama_torch.py.
func writeTorchInputs(t *testing.T, dir string, m *Model, in []int32, b, tl int) {
	t.Helper()
	cfg := m.Config
	type entry struct {
		Name   string `json:"name"`
		Shape  []int  `json:"shape"`
		Offset int    `json:"offset"`
	}
	var entries []entry
	var buf []byte
	add := func(name string, shape []int, data []float32) {
		entries = append(entries, entry{name, shape, len(buf) / 4})
		for _, v := range data {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
	}
	for _, tn := range m.Tensors() {
		if tn.Parts == nil {
			add(tn.Name, tn.Shape, tn.Data)
			continue
		}
		width, row := len(tn.Data)/tn.Shape[0], 0
		for _, p := range tn.Parts {
			shape := append([]int{p.Rows}, tn.Shape[1:]...)
			add(p.Name, shape, tn.Data[row*width:(row+p.Rows)*width])
			row += p.Rows
		}
	}
	c := map[string]any{
		"heads": cfg.Heads, "kv_heads": cfg.kvHeads(), "head_dim": cfg.headDim(), "layers": cfg.Layers,
		"eps": float64(cfg.normEps()), "theta": cfg.ropeTheta(), "qk_norm": cfg.QKNorm, "tied": cfg.TiedEmbeddings,
	}
	if s := cfg.RopeScaling; s != nil {
		c["scaling"] = map[string]any{"factor": s.Factor, "low": s.LowFreqFactor, "high": s.HighFreqFactor, "old": s.OriginalMaxPositions}
	}
	meta, err := json.Marshal(map[string]any{"config": c, "tensors": entries, "inputs": in, "batch": b, "length": tl})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), meta, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "weights.bin"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFloat64s(t *testing.T, path string) []float64 {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(raw)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	return out
}
