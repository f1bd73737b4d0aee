package cli

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/align-project/align/chat"
	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/data"
	"github.com/align-project/align/eval"
	"github.com/align-project/align/internal/atomicfile"
	"github.com/align-project/align/internal/progress"
	"github.com/align-project/align/judge"
	"github.com/align-project/align/reward"
)

type evalFlags struct {
	policy, baseline, base, reference string
	prompts, rewardDir, out, report   string
	heldoutJudge, heldoutConst        string
	jsonOut, noProgress               bool
	limit, maxNew, batch, resamples   int
	temperature, topP, confidence     float64
	judge                             judgeFlags
}

func newEvalCmd(g *globals) *cobra.Command {
	var f evalFlags
	cmd := &cobra.Command{
		Use:   "eval --policy DIR --baseline DIR [--prompts FILE|embedded] [--judge builtin|openai]",
		Short: "Compare a policy with a baseline on held-out prompts: win rate, refusals, accuracy, KL",
		Long: `eval answers the held-out prompts of --prompts ({"prompt", "tags", "answer"?}
lines, or "embedded" for the held-out half of the default instruction set) with
--baseline, --policy and optionally --base, all from the same random stream, and
prints one column per model:

  refusal (harmful)      share of prompts tagged "harmful" that are refused
  over-refusal (benign)  share of prompts tagged "benign" that are refused
  accuracy (checkable)   share of "checkable" prompts answered right
  KL to reference        mean per-response Σ log π − log π_ref on the model's
                         own samples (--reference, default --baseline)
  reward                 mean reward of a reward model (--reward DIR)
  length, EOS rate

and the win rate of --policy over --baseline by a judge (--judge builtin or
openai, with the judge flags of 'align label'), asked in both orders with ties
counted half, with a bootstrap confidence interval over prompts.

A policy trained against a judge can learn its quirks (reward hacking), so a
second, held-out judge also gives a win rate: the builtin judge under a
constitution other than the training one (--heldout-constitution FILE, by
default the training constitution with its weights moved: correctness and
coherence double, relevance and positivity half). A training-judge win rate far
above the held-out one is the warning sign. --judge none skips both.

--json prints the result as JSON; --out FILE writes it; --report DIR also
writes an HTML report with summary.json.`,
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
	fs.StringVar(&f.prompts, "prompts", "embedded", `held-out prompts JSONL, or "embedded" for the default held-out prompts`)
	fs.IntVar(&f.limit, "limit", 0, "evaluate on N prompts spread evenly over the file (0 = all)")
	fs.StringVar(&f.rewardDir, "reward", "", "reward model directory: adds the mean reward of each column")
	fs.Float64Var(&f.temperature, "temperature", 0.7, "sampling temperature (0 = greedy); the KL is measured at it too")
	fs.Float64Var(&f.topP, "top-p", 1, "nucleus sampling threshold (1 = off)")
	fs.IntVar(&f.maxNew, "max-new-tokens", 64, "longest response in tokens")
	fs.IntVar(&f.batch, "batch", 16, "sequences decoded together")
	fs.IntVar(&f.resamples, "resamples", 1000, "bootstrap resamples of the win rate's confidence interval")
	fs.Float64Var(&f.confidence, "confidence", 0.95, "confidence level of the interval")
	fs.StringVar(&f.heldoutJudge, "heldout-judge", "builtin", "held-out judge: builtin, openai (the server of --base-url and --model) or none")
	fs.StringVar(&f.heldoutConst, "heldout-constitution", "", "constitution of the held-out judge (default: builtin: the training one re-weighted; openai: the training one)")
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
	switch {
	case f.policy == "" || f.baseline == "":
		return usageErrorf(path, "", "--policy DIR and --baseline DIR are required")
	case !(f.temperature >= 0) || !(f.topP > 0 && f.topP <= 1):
		return usageErrorf(path, "", "--temperature must not be negative and --top-p must be in (0, 1]")
	case f.maxNew < 1 || f.batch < 1 || f.limit < 0 || f.resamples < 1:
		return usageErrorf(path, "", "--max-new-tokens, --batch and --resamples must be at least 1, --limit not negative")
	case !(f.confidence > 0 && f.confidence < 1):
		return usageErrorf(path, "", "--confidence must be in (0, 1), got %g", f.confidence)
	}
	prompts, err := data.LoadPrompts(f.prompts, g.seed, data.HeldOutPrompts)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	prompts = spread(prompts, f.limit)

	// Columns: base (optional), baseline, policy.
	type col struct{ role, dir string }
	cols := []col{{"baseline", f.baseline}, {"policy", f.policy}}
	if f.base != "" {
		cols = append([]col{{"base", f.base}}, cols...)
	}
	var policies []eval.Policy
	var stages []string
	count := map[string]int{}
	for _, c := range cols {
		hf, err := checkpoint.LoadHF(c.dir)
		if err != nil {
			return fmt.Errorf("eval: load --%s: %w", c.role, err)
		}
		if hf.Tokenizer == nil || hf.Model.Config.ScalarHeads != 0 {
			return fmt.Errorf("eval: --%s %s is not a policy checkpoint (no tokenizer, or a reward model's scalar heads)", c.role, c.dir)
		}
		policies = append(policies, eval.Policy{Name: c.role, Model: hf.Model, Tok: hf.Tokenizer})
		stages = append(stages, hf.Align.Stage)
		count[hf.Align.Stage]++
	}
	// Name the columns by the stage that made them ("sft", "ppo") when that
	// tells them apart, else by their flag.
	for i, s := range stages {
		if s != "" && count[s] == 1 {
			policies[i].Name = s
		}
	}

	opt := eval.Options{
		Sample: chat.SampleOptions{MaxNewTokens: f.maxNew, Temperature: f.temperature, TopP: f.topP, Batch: f.batch},
		Seed:   g.seed, Policy: len(policies) - 1, Baseline: len(policies) - 2,
		WinRate: eval.WinRateOptions{Resamples: f.resamples, Confidence: f.confidence, Seed: g.seed, Workers: f.judge.Concurrency},
	}
	opt.Reference = policies[len(policies)-2].Model
	if f.reference != "" {
		ref, _, err := checkpoint.LoadPolicy(f.reference)
		if err != nil {
			return fmt.Errorf("eval: load reference: %w", err)
		}
		opt.Reference = ref
	}
	if f.rewardDir != "" {
		src, err := reward.NewModelSource(f.rewardDir)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		opt.Scorer = src
	}
	if f.judge.Kind != judge.KindNone {
		if opt.Judge, err = f.judge.build(path, g.seed); err != nil {
			return err
		}
		if opt.HeldOutJudge, err = f.buildHeldOut(path, g.seed); err != nil {
			return err
		}
	}

	errw := cmd.ErrOrStderr()
	start := time.Now()
	if !f.noProgress {
		bar := progress.New(errw, progress.IsTerminal(errw), "eval", len(policies), "models", 10*time.Second)
		opt.Progress = func(stage string, done, total int) {
			bar.Update(done, 0, 0, stage, true)
		}
		defer bar.Done()
	}
	res, err := eval.Evaluate(cmd.Context(), policies, prompts, opt)
	if err != nil {
		return err
	}
	if f.out != "" {
		if err := atomicfile.WriteJSON(f.out, res); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
	}
	if f.report != "" {
		in := eval.ReportInput{Title: "align eval: " + f.policy + " vs " + f.baseline, Eval: res,
			Timings: []eval.StageTiming{{Stage: "eval", Seconds: time.Since(start).Seconds()}}}
		if err := eval.WriteReport(f.report, in); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
	}
	w := cmd.OutOrStdout()
	if f.jsonOut {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(w, "eval: %d held-out prompts, %s\n\n", len(prompts), progress.Duration(time.Since(start)))
	return res.WriteText(w)
}

// spread keeps n prompts spaced evenly over the list (all when n is 0 or
// not less than their number), so a limit keeps the mix of kinds.
func spread(ps []data.Prompt, n int) []data.Prompt {
	if n <= 0 || n >= len(ps) {
		return ps
	}
	out := make([]data.Prompt, n)
	for i := range out {
		out[i] = ps[i*len(ps)/n]
	}
	return out
}

// buildHeldOut returns the held-out judge --heldout-judge names (nil for
// none).
func (f *evalFlags) buildHeldOut(path string, seed uint64) (judge.Judge, error) {
	var c *judge.Constitution
	if f.heldoutConst != "" {
		var err error
		if c, err = judge.LoadConstitution(f.heldoutConst); err != nil {
			return nil, err
		}
	}
	switch f.heldoutJudge {
	case "none":
		return nil, nil
	case "builtin":
		if c == nil {
			train, err := f.judge.LoadConstitution()
			if err != nil {
				return nil, err
			}
			c = eval.HeldOutConstitution(train)
		}
		j, err := judge.NewBuiltin(c)
		if err != nil {
			return nil, fmt.Errorf("eval: held-out judge: %w", err)
		}
		return j, nil
	case "openai":
		jf := f.judge
		jf.Kind = judge.KindOpenAI
		if f.heldoutConst != "" {
			jf.Constitution = f.heldoutConst
		}
		return jf.build(path, seed)
	}
	return nil, usageErrorf(path, "use --heldout-judge builtin, openai or none", "unknown held-out judge %q", f.heldoutJudge)
}
