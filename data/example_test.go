package data_test

import (
	"fmt"
	"strings"

	"github.com/align-project/align/data"
)

func ExampleRead() {
	src := `{"prompt":"Hi","chosen":"Hello!","rejected":"Go away."}
{"prompt":"Hi","chosen":"Hello!","rejected":"Hey","p_chosen":1.3}
{"prompt":"2+2?","chosen":"4","rejected":"5","source":"human:ann-1"}
`
	rep, err := data.Read(strings.NewReader(src), "prefs.jsonl", data.ReadOptions{},
		func(p data.Preference) error {
			fmt.Printf("%s -> %s\n", p.Prompt, p.Chosen)
			return nil
		})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println(rep)
	for _, p := range rep.Problems {
		fmt.Println(p)
	}
	// Output:
	// Hi -> Hello!
	// 2+2? -> 4
	// prefs.jsonl: 2 records, 1 bad lines skipped
	// prefs.jsonl:2: field "p_chosen": 1.3 is outside [0, 1]
}

func ExampleSplitHH() {
	p, _ := data.SplitHH(
		"\n\nHuman: What is the capital of France?\n\nAssistant: Paris.",
		"\n\nHuman: What is the capital of France?\n\nAssistant: Probably Lyon.")
	fmt.Printf("%q\n%q\n%q\n", p.Prompt, p.Chosen, p.Rejected)
	// Output:
	// "\n\nHuman: What is the capital of France?\n\nAssistant:"
	// "Paris."
	// "Probably Lyon."
}

func ExampleInstructions() {
	set := data.Instructions(1)
	for _, e := range set.HeldOut {
		if e.Category == "capital" {
			fmt.Println(e.Prompt, e.Tags())
			fmt.Println(data.Check(e, e.Ideal), data.Check(e, "I think it is Paris."))
			break
		}
	}
	// Output:
	// Vietnam is governed from which city? [benign capital checkable]
	// true false
}
