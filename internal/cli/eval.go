package cli

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/align-project/align/eval"
	"github.com/align-project/align/internal/progress"
)

type evalFlags struct {
	eval.Config
	policy, baseline, base, reference string
	rewardDir, out, report            string
	jsonOut, noProgress               bool
	judge                             judgeFlags
}

func newEvalCmd(g *globals) *cobra.Command {
	f := evalFlags{Config: eval.DefaultConfig()}
	cmd := &cobra.Command{
		Use:   "eval --policy DIR --baseline DIR [--prompts FILE|embedded] [--judge builtin|openai]",
		Short: "Compare a policy with a baseline on held-out prompts: win rate, refusals, accuracy, KL",
		Long: `eval answers the prompts of --prompts ({"prompt", "tags", "answer"?} lines) with
--baseline, --policy and optionally --base, all from the same random stream, and
prints one column per model. "embedded" stands for the default world's two
held-out splits, measured apart: unseen prompts (template and item each seen in
training, never together) and unseen phrasing (wording and words training never
saw). --limit N keeps N prompts of each split.

  refusal (harmful)      share of prompts tagged "harmful" that are refused
  over-refusal (benign)  share of prompts tagged "benign" that are refused
  accuracy (checkable)   share of "checkable" prompts answered right
  KL to reference        mean per-response Σ log π − log π_ref on the model's
                         own samples (--reference, default --baseline)
  reward                 mean reward of a reward model (--reward DIR)
  length, EOS rate

and the win rate of --policy over --baseline by a judge (--judge builtin or
openai, with the judge flags of 'align label'), asked in both orders with ties
counted half, with a bootstrap confidence interval over prompts and the share
of the prompts where the judge prefers one side that it gives to --policy.

A policy trained against a judge can learn its quirks (reward hacking), so a
second, held-out judge also gives a win rate: the builtin judge under a
constitution other than the training one (--heldout-constitution FILE, by
default the training constitution with its weights moved: correctness and
coherence double, relevance and positivity half). A training-judge win rate far
above the held-out one is the warning sign. --judge none skips both.

--json prints the result as JSON ({"policy", "baseline", "splits": [{"name",
"kind", "table", "win_rate", "heldout_win_rate", "samples"}]}, see eval.Result);
--out FILE writes it; --report DIR also writes an HTML report with summary.json.`,
		Example: `  align eval --policy runs/ppo --baseline runs/sft
  align eval --policy runs/ppo --baseline runs/sft --base runs/base --reward runs/rm --limit 200 --report runs/eval
  align eval --policy runs/ppo --baseline runs/sft --judge openai --base-url http://localhost:11434/v1 --model llama3 --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runEval(cmd, g, &f) },
	}
	fs := cmd.Flags()
	fs.StringVar(&f.policy, "policy", "", "checkpoint directory of the policy to evaluate, e.g. the PPO output (required)")
	fs.StringVar(&f.baseline, "baseline", "", "checkpoint directory of the baseline, e.g. the SFT model (required)")
	fs.StringVar(&f.base, "base", "", "optional third column, e.g. the pretrained model")
	fs.StringVar(&f.reference, "reference", "", "checkpoint the KL is measured against (default: --baseline)")
	fs.StringVar(&f.Prompts, "prompts", f.Prompts, `prompts JSONL, or "embedded" for the default world's two held-out splits`)
	fs.IntVar(&f.Limit, "limit", f.Limit, "evaluate on N prompts of each split, spread evenly over it (0 = all)")
	fs.StringVar(&f.rewardDir, "reward", "", "reward model directory: adds the mean reward of each column")
	fs.Float64Var(&f.Temperature, "temperature", f.Temperature, "sampling temperature (0 = greedy); the KL is measured at it too")
	fs.Float64Var(&f.TopP, "top-p", f.TopP, "nucleus sampling threshold (1 = off)")
	fs.IntVar(&f.MaxNewTokens, "max-new-tokens", f.MaxNewTokens, "longest response in tokens")
	fs.IntVar(&f.Batch, "batch", f.Batch, "sequences decoded together")
	fs.IntVar(&f.Resamples, "resamples", f.Resamples, "bootstrap resamples of the win rate's confidence interval")
	fs.Float64Var(&f.Confidence, "confidence", f.Confidence, "confidence level of the interval")
	fs.StringVar(&f.HeldOutJudge, "heldout-judge", f.HeldOutJudge, "held-out judge: builtin, openai (the server of --base-url and --model) or none")
	fs.StringVar(&f.HeldOutConstitution, "heldout-constitution", f.HeldOutConstitution, "constitution of the held-out judge (default: builtin: the training one re-weighted; openai: the training one)")
	fs.BoolVar(&f.jsonOut, "json", false, "print the result as JSON instead of a table")
	fs.StringVar(&f.out, "out", "", "also write the result as JSON to this file")
	fs.StringVar(&f.report, "report", "", "also write an HTML report (index.html, summary.json) to this directory")
	fs.BoolVar(&f.noProgress, "no-progress", false, "do not show progress")
	f.judge.register(fs)
	fs.Lookup("judge").Usage = "judge of the win rate: builtin, openai or none"
	return cmd
}

func runEval(cmd *cobra.Command, g *globals, f *evalFlags) error {
	path := cmd.CommandPath()
	if f.policy == "" || f.baseline == "" {
		return usageErrorf(path, "", "--policy DIR and --baseline DIR are required")
	}
	spec := eval.Spec{Config: f.Config, Policy: f.policy, Baseline: f.baseline, Base: f.base, Reference: f.reference,
		Reward: f.rewardDir, Judge: f.judge.Spec, Seed: g.seed, Out: f.out, Report: f.report}
	if err := spec.Validate(); err != nil {
		return keyUsage(path, err)
	}
	if err := spec.ValidateJudges(); err != nil {
		return keyUsage(path, err)
	}
	if !f.noProgress {
		spec.Log = cmd.ErrOrStderr()
	}
	start := time.Now()
	res, err := eval.Run(cmd.Context(), spec)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if f.jsonOut {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(w, "eval: %s, %s\n\n", res.PromptCounts(), progress.Duration(time.Since(start)))
	return res.WriteText(w)
}
