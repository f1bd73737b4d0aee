package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/align-project/align/internal/atomicfile"
	"github.com/align-project/align/internal/outguard"
	"github.com/align-project/align/reward"
)

func newRewardCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reward train|score|eval",
		Short: "Train, run and evaluate reward models",
		Long: `reward trains a reward model on preferences, scores responses with it and
evaluates it:

  train   initialise from an SFT checkpoint and train on {prompt, chosen,
          rejected} preferences (Bradley–Terry, margins, soft labels,
          InstructGPT grouping, rating heads), then normalise the scores
  score   add normalised scores to a JSONL file of {prompt, response}
  eval    pairwise accuracy, by source and tag, calibration, histogram

A response is scored at the end-of-turn token appended after it, exactly as
PPO scores its samples.`,
		Args: subcommandArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErrorf(cmd.CommandPath(), "choose one: 'align reward train', 'align reward score' or 'align reward eval'",
				"reward needs a subcommand")
		},
	}
	cmd.AddCommand(newRewardTrainCmd(g), newRewardScoreCmd(g), newRewardEvalCmd(g))
	return cmd
}

// rewardConfigHelp describes each reward.Config key; the flag of key
// "max_len" is --max-len.
var rewardConfigHelp = map[string]string{
	"steps":            "optimizer steps",
	"batch":            "batch elements (a prompt's group of comparisons, or one pair) per step",
	"max_seqs":         "sequences per forward pass at most; bigger batches accumulate",
	"lr":               "peak learning rate",
	"min_lr":           "learning rate at the end of the cosine decay",
	"warmup":           "steps of linear learning-rate warm-up",
	"weight_decay":     "AdamW weight decay on matrices and embeddings",
	"clip":             "clip the global gradient norm to this (0 = off)",
	"max_len":          "tokens per scored sequence at most, prompt + response + EOS (0 = the context)",
	"head_lr_mult":     "learning rate of the scalar heads as a multiple of --lr, the body keeping --lr (0 or 1 = one rate for all)",
	"flip_rate":        "assume this share ε of the labels flipped: train on the flip-robust loss -log(ε + (1-2ε)σ(Δr)), which bounds a wrong label's pull (0 = plain Bradley–Terry)",
	"group":            "group the comparisons of one ranking (records sharing an id, as label and annotate export write them) into one batch element, loss divided by their number (InstructGPT)",
	"max_group_pairs":  "comparisons per group at most (0 = no limit)",
	"margin_scale":     "margin from the ratings: a gap of g (0-9) in mean rating requires Δr ≥ scale·g/9 (0 = off)",
	"use_margin":       "use the records' \"margin\" field",
	"center":           "weight λ of the centring term λ·(mean reward)² (0 = off)",
	"rating_weight":    "weight of the coherence/relevance/safety heads' squared error on the ratings",
	"eval_every":       "steps between held-out evaluations (0 = only at the end)",
	"patience":         "stop early after this many evaluations without a better held-out accuracy (0 = never)",
	"min_delta":        "held-out accuracy improvement a new best needs",
	"gap_evals":        "warn of overfitting when the train minus held-out accuracy gap grows this many evaluations running (0 = never)",
	"train_eval_pairs": "training pairs the train accuracy (and the overfitting gap) is measured on (0 = all)",
	"log_every":        "steps between lines of metrics.jsonl",
	"norm_samples":     "SFT samples on the training prompts that set the normalisation (0 = none)",
	"norm_max_new":     "longest of those samples, in tokens",
	"norm_temperature": "sampling temperature of those samples",
}

// rewardConfigFlags binds reward.Config's keys to flags (see
// settingsFlags), with --weights for its map of head weights.
type rewardConfigFlags struct {
	settingsFlags[reward.Config]
	weights string
}

func (f *rewardConfigFlags) register(fs *pflag.FlagSet) {
	f.settingsFlags.register(fs, reward.DefaultConfig(), rewardConfigHelp, false)
	fs.StringVar(&f.weights, "weights", "preference=1", "the reward as a weighted sum of the normalised heads: preference, coherence, relevance, safety")
	f.adjust = func(fs *pflag.FlagSet, cfg *reward.Config) error {
		if !fs.Changed("weights") && cfg.Weights != nil {
			return nil // from --config
		}
		w, err := parseWeights(f.weights)
		if err != nil {
			return usageErrorf("align reward train", "e.g. --weights preference=1,safety=0.5", "--weights: %v", err)
		}
		cfg.Weights = w
		return nil
	}
}

// parseWeights reads "preference=1,safety=0.5".
func parseWeights(s string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("%q is not head=weight", part)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			return nil, fmt.Errorf("%q: %v", part, err)
		}
		out[strings.TrimSpace(name)] = v
	}
	return out, nil
}

type rewardTrainFlags struct {
	cfg         rewardConfigFlags
	base        string
	data        string
	heldout     string
	heldoutFrac float64
	out         string
}

func newRewardTrainCmd(g *globals) *cobra.Command {
	var f rewardTrainFlags
	cmd := &cobra.Command{
		Use:   "train --base DIR --data prefs.jsonl --out DIR",
		Short: "Train a reward model on preferences",
		Long: `train makes a reward model of the SFT checkpoint --base: its body plus four
scalar heads (preference, coherence, relevance, safety), read at the
end-of-turn token appended after each response.

--data is a JSONL file of preferences {"prompt", "chosen", "rejected"} with
optional "ratings" (1-10 coherence, relevance, safety of each response),
"p_chosen" (a soft label from an AI labeller, trained with cross-entropy),
"margin", "source" and "tags". A bad line is an error naming its line.

The preference head is trained with the Bradley–Terry loss -log σ(Δr),
Δr = r(chosen) - r(rejected), with a margin from "margin" or from the rating
gap (--margin-scale), the soft labels' cross-entropy, and an optional centring
term (--center). With --group the comparisons of one prompt (K ranked
responses give K-choose-2) form one batch element whose loss is their mean.
The other heads learn the ratings where the data has them; --weights sets how
the heads combine into the reward, and the safety head is PPO's cost.

Held-out data is --heldout FILE, else --heldout-frac of --data chosen by a
hash of the prompt. Every --eval-every steps the held-out and train pairwise
accuracies go to OUT/metrics.jsonl; --patience evaluations without a better
held-out accuracy stop the run, and the best parameters are kept.

Before training, the SFT model samples --norm-samples responses to the
training prompts; after training their scores set a gain and bias per head
(and for the combined reward) giving mean 0 and std 1, stored in
OUT/config.json and OUT/reward.json and applied by 'align reward score' and
PPO. OUT/eval.json holds the final train and held-out evaluations.

` + seedRule,
		Example: `  align reward train --base runs/sft --data prefs.jsonl --out runs/rm
  align reward train --base runs/sft --data prefs.jsonl --heldout test.jsonl --out runs/rm --steps 800
  align reward train --base runs/sft --data prefs.jsonl --out runs/rm --weights preference=1,safety=0.5 --margin-scale 1`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runRewardTrain(cmd, g, &f) },
	}
	fs := cmd.Flags()
	fs.StringVar(&f.base, "base", "", "SFT checkpoint directory to start from (required)")
	fs.StringVar(&f.data, "data", "", "preferences JSONL (required)")
	fs.StringVar(&f.heldout, "heldout", "", "held-out preferences JSONL (default: --heldout-frac of --data)")
	fs.Float64Var(&f.heldoutFrac, "heldout-frac", reward.DefaultHeldOutFrac, "fraction of --data held out by prompt when --heldout is not given")
	fs.StringVar(&f.out, "out", "", "output directory (required)")
	f.cfg.register(fs)
	return cmd
}

func runRewardTrain(cmd *cobra.Command, g *globals, f *rewardTrainFlags) error {
	path := cmd.CommandPath()
	cfg, err := f.cfg.resolve(cmd, g, reward.DefaultConfig(), "")
	if err != nil {
		return err
	}
	if done, err := f.cfg.printed(cmd.OutOrStdout(), cfg); done {
		return err
	}
	for _, r := range []struct{ name, v string }{{"--base", f.base}, {"--data", f.data}, {"--out", f.out}} {
		if r.v == "" {
			return usageErrorf(path, "", "%s is required", r.name)
		}
	}
	spec := reward.TrainSpec{Config: cfg, Base: f.base, Data: f.data, HeldOut: f.heldout, HeldOutFrac: f.heldoutFrac,
		Out: f.out, Overwrite: f.cfg.overwrite, Log: cmd.ErrOrStderr()}
	if err := spec.Validate(); err != nil {
		return keyUsage(path, err)
	}
	res, err := reward.Train(cmd.Context(), spec)
	if err != nil {
		return err
	}
	res.WriteText(cmd.OutOrStdout())
	return nil
}

type rewardScoreFlags struct {
	model, in, out string
	batch          int
}

func newRewardScoreCmd(g *globals) *cobra.Command {
	var f rewardScoreFlags
	cmd := &cobra.Command{
		Use:   "score --model DIR --in FILE --out FILE",
		Short: "Add reward-model scores to a JSONL file of prompts and responses",
		Long: `score reads JSONL lines with "prompt" and "response" (other fields are kept)
and writes each with the reward model's scores added:

  "score"   the normalised reward (mean 0, std 1 on the SFT model's samples)
  "scores"  each head normalised: preference, coherence, relevance, safety
  "cost"    the negated safety score, PPO's constraint cost

A line without a prompt or response is an error naming the line.`,
		Example: `  align reward score --model runs/rm --in samples.jsonl --out scored.jsonl`,
		Args:    noArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return runRewardScore(cmd, &f) },
	}
	fs := cmd.Flags()
	fs.StringVar(&f.model, "model", "", "reward model directory (required)")
	fs.StringVar(&f.in, "in", "", "input JSONL of {prompt, response} (required)")
	fs.StringVar(&f.out, "out", "", "output JSONL (required)")
	fs.IntVar(&f.batch, "batch", 32, "sequences per forward pass")
	return cmd
}

func runRewardScore(cmd *cobra.Command, f *rewardScoreFlags) error {
	path := cmd.CommandPath()
	for _, r := range []struct{ name, v string }{{"--model", f.model}, {"--in", f.in}, {"--out", f.out}} {
		if r.v == "" {
			return usageErrorf(path, "", "%s is required", r.name)
		}
	}
	if f.batch < 1 {
		return usageErrorf(path, "", "--batch must be at least 1, got %d", f.batch)
	}
	m, err := reward.Load(f.model)
	if err != nil {
		return fmt.Errorf("reward score: %w", err)
	}
	res, err := reward.ScoreFile(cmd.Context(), m, f.in, f.out, f.batch)
	if err != nil {
		return err
	}
	res.WriteText(cmd.OutOrStdout())
	return nil
}

type rewardEvalFlags struct {
	model, data, out string
	batch            int
	json             bool
}

func newRewardEvalCmd(g *globals) *cobra.Command {
	var f rewardEvalFlags
	cmd := &cobra.Command{
		Use:   "eval --model DIR --data prefs.jsonl",
		Short: "Evaluate a reward model on preferences",
		Long: `eval scores both responses of every preference and reports the pairwise
accuracy (ties count half), the accuracy by label source (human, ai) and by
tag, the cross-entropy loss, the expected calibration error of σ(Δr) of the
raw preference head against the labels (p_chosen where given, else 1), and a
histogram of the rewards. --json prints the evaluation as JSON; --out also
writes it to a file.`,
		Example: `  align reward eval --model runs/rm --data heldout.jsonl
  align reward eval --model runs/rm --data heldout.jsonl --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runRewardEval(cmd, &f) },
	}
	fs := cmd.Flags()
	fs.StringVar(&f.model, "model", "", "reward model directory (required)")
	fs.StringVar(&f.data, "data", "", "preferences JSONL (required)")
	fs.StringVar(&f.out, "out", "", "also write the evaluation as JSON to this file")
	fs.IntVar(&f.batch, "batch", 32, "sequences per forward pass")
	fs.BoolVar(&f.json, "json", false, "print JSON instead of a report")
	return cmd
}

func runRewardEval(cmd *cobra.Command, f *rewardEvalFlags) error {
	path := cmd.CommandPath()
	for _, r := range []struct{ name, v string }{{"--model", f.model}, {"--data", f.data}} {
		if r.v == "" {
			return usageErrorf(path, "", "%s is required", r.name)
		}
	}
	if f.batch < 1 {
		return usageErrorf(path, "", "--batch must be at least 1, got %d", f.batch)
	}
	if err := outguard.NotOnInputs("out", f.out, outguard.In("model", f.model), outguard.In("data", f.data)); err != nil {
		return err
	}
	m, err := reward.Load(f.model)
	if err != nil {
		return fmt.Errorf("reward eval: %w", err)
	}
	ev, err := reward.EvaluateFile(m, f.data, f.batch, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	if f.out != "" {
		if err := atomicfile.WriteJSON(f.out, ev); err != nil {
			return fmt.Errorf("reward eval: %w", err)
		}
	}
	w := cmd.OutOrStdout()
	if f.json {
		return writeJSON(w, ev)
	}
	fmt.Fprintf(w, "reward eval: %s on %s\n", f.model, f.data)
	return ev.WriteText(w)
}
