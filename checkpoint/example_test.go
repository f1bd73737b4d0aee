package checkpoint_test

import (
	"bytes"
	"fmt"

	"github.com/align-project/align/checkpoint"
)

func ExampleWriteSafetensors() {
	var buf bytes.Buffer
	tensors := []checkpoint.Tensor{
		{Name: "wpe.weight", Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}},
		{Name: "ln_f.bias", Shape: []int{3}, Data: []float32{0.5, 0, -0.5}, DType: checkpoint.F16},
	}
	if err := checkpoint.WriteSafetensors(&buf, tensors, map[string]string{"format": "pt"}); err != nil {
		panic(err)
	}
	f, err := checkpoint.ParseSafetensors(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "example.safetensors")
	if err != nil {
		panic(err)
	}
	for _, t := range f.Tensors {
		data, _ := f.ReadFloat32(t.Name)
		fmt.Println(t.Name, t.DType, t.Shape, data)
	}
	// Output:
	// wpe.weight F32 [2 3] [1 2 3 4 5 6]
	// ln_f.bias F16 [3] [0.5 0 -0.5]
}

func ExampleWriteGGUF() {
	var buf bytes.Buffer
	kvs := []checkpoint.KV{
		{Key: "general.architecture", Value: "gpt2"},
		{Key: "gpt2.block_count", Value: uint32(12)},
		{Key: "tokenizer.ggml.merges", Value: []string{"Ġ t", "h e"}},
	}
	// A [rows, cols] = [2, 3] matrix has ggml dims {3, 2}.
	tensors := []checkpoint.Tensor{{Name: "w", Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}}}
	if err := checkpoint.WriteGGUF(&buf, kvs, tensors); err != nil {
		panic(err)
	}
	g, err := checkpoint.ParseGGUF(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "example.gguf")
	if err != nil {
		panic(err)
	}
	n, _ := checkpoint.GGUFGet[uint32](g, "gpt2.block_count")
	w, _ := g.Tensor("w")
	fmt.Println(g.Version, n, w.Dims, w.Shape(), w.Type)
	// Output: 3 12 [3 2] [2 3] F32
}
