package train_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/align-project/align/model"
	"github.com/align-project/align/train"
)

// Documents are joined with an EOS id after each and cut into rows of T+1
// tokens that overlap by one: T inputs and the T targets shifted by one.
func ExamplePackDocuments() {
	docs := [][]int32{{1, 2, 3}, {4, 5}, {6, 7, 8, 9}}
	const eos = 0
	rows := train.PackDocuments(docs, eos, 4)
	for i := range rows.Len() {
		fmt.Println(rows.Tokens[i*5 : (i+1)*5])
	}
	// Output:
	// [1 2 3 0 4]
	// [4 5 0 6 7]
}

// A config file overlays the defaults; unknown keys are errors.
func ExampleConfig_DecodeYAML() {
	c := train.DefaultPretrain()
	err := c.DecodeYAML(strings.NewReader("steps: 500\nlr: 3.0e-4\n"), "run.yaml")
	fmt.Println(c.Steps, c.LR, c.Batch, err)
	err = c.DecodeYAML(strings.NewReader("step: 500\n"), "run.yaml")
	fmt.Println(err)
	// Output:
	// 500 0.0003 8 <nil>
	// read config run.yaml: yaml: unmarshal errors:
	//   line 1: field step not found in type train.Config
}

// Pretrain a tiny model on documents that count modulo 8 (token ids, no
// tokenizer), then let it continue a count.
func ExampleTrainer() {
	const eos = 8
	var docs [][]int32
	for start := range 64 {
		doc := make([]int32, 10)
		for i := range doc {
			doc[i] = int32((start + i) % 8)
		}
		docs = append(docs, doc)
	}
	c := train.DefaultPretrain()
	c.Layers, c.Dim, c.Heads, c.Ctx = 1, 32, 2, 16
	c.Steps, c.Batch, c.Warmup, c.LR, c.MinLR = 60, 8, 5, 1e-2, 1e-3
	c.EvalEvery, c.EvalBatches, c.SaveEvery = 20, 0, 0
	rows := train.PackDocuments(docs, eos, c.Ctx)
	trainRows, heldOut := rows.SplitTail(0.1)
	m, err := model.New(c.ModelConfig(eos+1), c.Seed)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := os.MkdirTemp("", "example-trainer")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(out)
	tr := &train.Trainer{Config: c, Model: m, Train: trainRows, HeldOut: heldOut, Out: out, Stage: "pretrain"}
	res, err := tr.Run(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d steps; held-out loss %.1f → %.1f nats per token\n", res.Steps, res.FirstHeldOut, res.BestHeldOut)
	s, err := m.Generate([][]int32{{5, 6, 7}}, model.SampleOptions{MaxNewTokens: 4}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("5 6 7 →", s[0].Tokens)
	// Output:
	// 60 steps; held-out loss 2.3 → 0.3 nats per token
	// 5 6 7 → [0 1 2 3]
}
