// Command rlvr_arithmetic writes the prompts of the RLVR experiment (run.sh
// beside it): the default world's checkable arithmetic prompts (addition,
// subtraction, multiplication) of the training split, which GRPO trains on
// with the answer checker, and of the two held-out splits, on which 'align
// eval' measures accuracy. Each line carries its tags and answer, so the
// checker and the evaluation check answers the way data.Check does.
//
// Usage: rlvr_arithmetic [-seed N] OUTDIR   (writes train.jsonl and heldout.jsonl)
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/align-project/align/data"
)

var arithmetic = []string{"addition", "subtraction", "multiplication"}

func main() {
	seed := flag.Uint64("seed", 1, "seed of the default world")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: rlvr_arithmetic [-seed N] OUTDIR")
		os.Exit(2)
	}
	set := data.Instructions(*seed)
	out := flag.Arg(0)
	for _, f := range []struct {
		name string
		exs  []data.Example
	}{{"train.jsonl", set.Train}, {"heldout.jsonl", slices.Concat(set.HeldOut, set.Test)}} {
		n, err := write(filepath.Join(out, f.name), f.exs)
		if err != nil {
			fmt.Fprintln(os.Stderr, "rlvr_arithmetic:", err)
			os.Exit(1)
		}
		fmt.Printf("%s: %d arithmetic prompts\n", f.name, n)
	}
}

// write saves the checkable arithmetic examples of exs as prompt records.
func write(path string, exs []data.Example) (int, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	enc := json.NewEncoder(f)
	n := 0
	for _, e := range exs {
		if e.Checkable && slices.Contains(arithmetic, e.Category) {
			if err := enc.Encode(e.PromptRecord()); err != nil {
				f.Close()
				return n, err
			}
			n++
		}
	}
	return n, f.Close()
}
