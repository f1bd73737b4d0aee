package train_test

import (
	"fmt"
	"strings"

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
