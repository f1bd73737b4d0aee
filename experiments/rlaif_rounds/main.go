// Command rlaif_rounds compares the runs of run.sh beside it: one SFT
// model aligned by one round of RLAIF, by several rounds of iterated online
// RLAIF ('align run' with rounds: N), and by PPO with the judge rating
// every rollout (ppo.reward: judge).
//
//	rlaif_rounds compare --profile quick|default --out DIR NAME=RUN...
//
// reads each run directory RUN (its config.yaml, the evaluation of its
// eval stage, its round numbers and the done markers' times) and writes
// DIR/comparison.json (eval.Comparison), DIR/comparison.md (the table) and
// DIR/comparison.png (the plot), and a copy of comparison.json into every
// RUN, where the report of the next 'align run' on it shows the
// comparison. A variant's time is that of its own stages after SFT,
// evaluation included; the judge-as-reward variant counts PPO and the
// evaluation only, since its generate, label and reward stages are the
// one-round run's, kept so that every evaluation scores with a reward
// model that learned from the same labels.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/align-project/align/eval"
	"github.com/align-project/align/internal/atomicfile"
	"github.com/align-project/align/pipeline"
	"github.com/align-project/align/rundir"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "compare" {
		fmt.Fprintln(os.Stderr, "usage: rlaif_rounds compare --profile quick|default --out DIR NAME=RUN... (see the package comment)")
		os.Exit(2)
	}
	if err := cmdCompare(os.Args[2:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "rlaif_rounds: error:", err)
		os.Exit(1)
	}
}

func cmdCompare(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	profile := fs.String("profile", "default", "the profile the runs used: quick or default")
	out := fs.String("out", "", "directory of comparison.json, comparison.md and comparison.png")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() == 0 {
		return errors.New("compare: --out and at least one NAME=RUN are required")
	}
	c := &eval.Comparison{Profile: *profile}
	var runs []string
	for _, arg := range fs.Args() {
		name, run, ok := strings.Cut(arg, "=")
		if !ok || name == "" || run == "" {
			return fmt.Errorf("compare: %q: want NAME=RUN", arg)
		}
		vs, shared, err := readVariant(name, run)
		if err != nil {
			return err
		}
		if len(c.Variants) == 0 {
			c.SharedSeconds = shared
		}
		c.Variants = append(c.Variants, vs...)
		runs = append(runs, run)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	md := c.Markdown()
	if err := atomicfile.WriteJSON(filepath.Join(*out, rundir.ComparisonFile), c); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(*out, "comparison.md"), func(w io.Writer) error {
		_, err := io.WriteString(w, md)
		return err
	}); err != nil {
		return err
	}
	if err := eval.WriteComparisonPlot(filepath.Join(*out, eval.ComparisonPlot), eval.RoundsComparisonTitle, c); err != nil {
		return err
	}
	for _, run := range runs {
		if err := atomicfile.WriteJSON(filepath.Join(run, rundir.ComparisonFile), c); err != nil {
			return err
		}
	}
	_, err := io.WriteString(stdout, md)
	return err
}

// readVariant reads a variant's numbers from its run directory, one row per
// evaluation split, and the seconds of the stages it shares with the others
// (pretraining and SFT).
func readVariant(name, run string) ([]eval.ComparisonVariant, float64, error) {
	cfg := pipeline.Default()
	if err := cfg.Load(filepath.Join(run, rundir.ConfigFile)); err != nil {
		return nil, 0, fmt.Errorf("variant %s: %w", name, err)
	}
	b, err := os.ReadFile(filepath.Join(rundir.Stage(run, rundir.Eval), rundir.EvalFile))
	if err != nil {
		return nil, 0, fmt.Errorf("variant %s: %w (has its run finished?)", name, err)
	}
	var res eval.Result
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, 0, fmt.Errorf("variant %s: %s: %w", name, rundir.EvalFile, err)
	}
	v := eval.ComparisonVariant{Name: name, Run: run, Rounds: cfg.Rounds, Reward: cfg.PPO.Reward}
	rounds, err := eval.ReadRounds(run, cfg.Rounds)
	if err != nil {
		return nil, 0, fmt.Errorf("variant %s: %w", name, err)
	}
	if v.Reward == pipeline.RewardModel && len(rounds) > 0 {
		v.Preferences = rounds[len(rounds)-1].AllPreferences
	}
	// The stages a variant trains its policy with: all of its own after
	// SFT, or PPO alone when the judge is the reward.
	own := func(stage string) bool {
		base, _, _ := strings.Cut(stage, "-")
		if v.Reward == pipeline.RewardJudge {
			return base == rundir.PPO || base == rundir.Eval
		}
		return !slices.Contains([]string{rundir.Pretrain, rundir.SFT, rundir.Report}, base)
	}
	var shared float64
	names, secs := pipeline.Timings(run, rundir.RunStages(cfg.Rounds))
	for i, n := range names {
		switch base, _, _ := strings.Cut(n, "-"); {
		case base == rundir.Pretrain || base == rundir.SFT:
			shared += secs[i]
		case own(n):
			v.Seconds += secs[i]
			if base == rundir.PPO {
				v.TrainSeconds += secs[i]
			}
		}
	}
	return eval.NewComparisonVariants(v, &res), shared, nil
}
