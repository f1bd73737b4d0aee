package data

import "fmt"

// Embedded names the built-in default world wherever a data file can be
// given: the generated instruction set of the run's seed.
const Embedded = "embedded"

// Split of the embedded instruction set that LoadPrompts reads.
type PromptSplit int

const (
	TrainPrompts   PromptSplit = iota // the training prompts
	HeldOutPrompts                    // unseen phrasing and vocabulary: held-out templates, items and wrappers
	TestPrompts                       // unseen prompts: training templates and items, never together in training
)

// LoadPrompts returns the prompts of src: a prompts JSONL file read
// strictly, or for "embedded" the chosen split of the default instruction
// set generated from seed. A file without prompts is an error.
func LoadPrompts(src string, seed uint64, split PromptSplit) ([]Prompt, error) {
	if src == Embedded {
		set := Instructions(seed)
		switch split {
		case HeldOutPrompts:
			return PromptRecords(set.HeldOut), nil
		case TestPrompts:
			return PromptRecords(set.Test), nil
		}
		return PromptRecords(set.Train), nil
	}
	recs, _, err := ReadAll[Prompt](src, ReadOptions{Strict: true})
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("no prompts in %s", src)
	}
	return recs, nil
}
