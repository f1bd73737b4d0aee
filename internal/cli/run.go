package cli

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/align-project/align/eval"
	"github.com/align-project/align/internal/progress"
	"github.com/align-project/align/pipeline"
)

type runFlags struct {
	config, out      string
	quick, printOnly bool
	fromScratch      bool
	rounds           int
	method           string
	compare          []string
}

func newRunCmd(g *globals) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [--config FILE] [--quick] [--out DIR] [--method ppo|dpo|grpo] [--compare ppo,dpo,grpo]",
		Short: "The whole loop in one command: pretrain, SFT, preferences, reward model, PPO, eval, report",
		Long: `run takes a model from pretrained to aligned and evaluated, on embedded defaults:

  1 pretrain   the shipped base, or --from-scratch pretrains (align pretrain)
  2 sft        on the embedded instructions              (align sft)
  3 generate   three responses per prompt, one a refusal (align generate)
  4 label      by the builtin AI judge, plus any human labels (align label)
  5 reward     a reward model on those preferences       (align reward train)
  6 ppo        the SFT policy, rewarded by the judge      (align ppo)
  7 eval       PPO vs SFT vs base on both held-out splits  (align eval)
  8 report     OUT/report/index.html and summary.json

PPO learns from the judge rating each rollout (ppo.reward: judge). With
--rounds N (iterated online RLAIF, ppo.reward: model) stages 3-6 repeat N
times: round k labels round k-1's samples on fresh prompts, trains the reward
model on all labels so far and continues PPO, the reference staying SFT.

--method picks stage 6: ppo, dpo (trains on the preferences of stage 4
directly, align dpo) or grpo (critic-free, G samples per prompt, align grpo;
rewarded as ppo is). --compare ppo,dpo,grpo trains each from the same SFT
model and preferences, evaluates each against SFT with the same held-out
judge (stages eval, eval-dpo, eval-grpo) and reports them side by side with
their training time, peak memory and curves; the first is the run's policy.

Every stage is the library call behind the align command named beside it,
writing into OUT: config.yaml (the resolved settings), stages/<stage>/ (its
checkpoint, metrics.jsonl, log.txt and a done marker with the hash of its
settings, input files, binary and the stages it reads), data/ and report/.
Run it again and finished stages are skipped unless that hash changed; an
interrupted stage resumes from its checkpoint where it can (pretrain, sft,
ppo, label) and starts over otherwise, with every stage after it.

--config FILE overlays a YAML file on the profile: one section per stage with
the keys of that stage's command (flag names with _ for -), and top-level seed
and rounds; --print-config shows every key. --quick is a tiny profile for
smoke tests. The seed is --seed when given, else the config's (default 1).

A setting that cannot work, in --config or found by a stage, is reported as
section.key (e.g. ppo.mini_batch) and exits 1; exit 2 is kept for a bad
command line.

The report checks the run's targets on both held-out splits (unseen prompts,
unseen phrasing): the held-out judge's preference for PPO over SFT, refusal of
harmful requests, coherent refusals, over-refusal, accuracy and KL.`,
		Example: `  align run
  align run --quick --out runs/smoke
  align run --print-config > run.yaml && $EDITOR run.yaml && align run --config run.yaml --out runs/mine`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runRun(cmd, g, &f) },
	}
	fs := cmd.Flags()
	fs.StringVar(&f.config, "config", "", "YAML file of settings overlaid on the profile")
	fs.BoolVar(&f.quick, "quick", false, "the tiny smoke-test profile (minutes; its numbers mean little)")
	fs.StringVar(&f.out, "out", "", "run directory (default runs/default, or runs/quick with --quick)")
	fs.BoolVar(&f.printOnly, "print-config", false, "print the resolved settings as YAML and exit")
	fs.IntVar(&f.rounds, "rounds", 0, "rounds of iterated online RLAIF; above 1 PPO learns from the reward model (ppo.reward: model) (default: the config's rounds, 1)")
	fs.BoolVar(&f.fromScratch, "from-scratch", false, "pretrain in the run instead of starting from the shipped base (pretrain.from_scratch)")
	fs.StringVar(&f.method, "method", "", "the stage after the reward model: ppo, dpo or grpo (default: the config's method, ppo)")
	fs.StringSliceVar(&f.compare, "compare", nil, "train and evaluate these methods side by side from the same SFT model and preferences, e.g. ppo,dpo,grpo")
	return cmd
}

func runRun(cmd *cobra.Command, g *globals, f *runFlags) error {
	cfg := pipeline.Default()
	if f.quick {
		cfg = pipeline.Quick()
	}
	hint := "see 'align run --print-config' for the keys and their values"
	if f.config != "" {
		if err := cfg.Load(f.config); err != nil {
			return &hintError{err: err, hint: hint}
		}
	}
	if cmd.Flags().Changed("seed") {
		cfg.SetSeed(g.seed)
	}
	if cmd.Flags().Changed("rounds") {
		cfg.Rounds = f.rounds
		if f.rounds > 1 { // later rounds retrain the reward model PPO learns from
			cfg.PPO.Reward = pipeline.RewardModel
		}
	}
	cfg.Pretrain.FromScratch = cfg.Pretrain.FromScratch || f.fromScratch
	if cmd.Flags().Changed("method") {
		cfg.Method = f.method
	}
	if cmd.Flags().Changed("compare") {
		cfg.Compare = f.compare
	}
	if err := cfg.Validate(); err != nil {
		return &hintError{err: err, hint: hint}
	}
	w := cmd.OutOrStdout()
	if f.printOnly {
		_, err := w.Write(cfg.YAML())
		return err
	}
	out := f.out
	if out == "" {
		out = filepath.Join("runs", "default")
		if f.quick {
			out = filepath.Join("runs", "quick")
		}
	}
	errw := cmd.ErrOrStderr()
	res, err := pipeline.Run(cmd.Context(), pipeline.Options{
		Dir: out, Config: cfg, Version: buildID(),
		Stdout: w, Stderr: errw, Terminal: progress.IsTerminal(errw),
	})
	if errors.Is(err, pipeline.ErrInterrupted) {
		return &hintError{err: err, hint: fmt.Sprintf("'%s' continues where it stopped", rerunCommand(f, out))}
	}
	if err != nil {
		return &hintError{err: err, hint: "the stage's log.txt in the run directory holds its whole output; fix the setting and run the same command: finished stages are skipped"}
	}
	fmt.Fprintf(w, "\nrun: %d stages ran, %d skipped, in %s\n", len(res.Ran), len(res.Skipped), progress.Duration(res.Elapsed))
	printChecks(w, res.Checks)
	printMethods(w, res.Methods)
	fmt.Fprintf(w, "report: %s\nsummary: %s\n", res.Report, res.Summary)
	return nil
}

// rerunCommand is the command line that resumes the run.
func rerunCommand(f *runFlags, out string) string {
	s := "align run"
	if f.quick {
		s += " --quick"
	}
	if f.config != "" {
		s += " --config " + f.config
	}
	if f.rounds != 0 {
		s += fmt.Sprintf(" --rounds %d", f.rounds)
	}
	if f.fromScratch {
		s += " --from-scratch"
	}
	if f.method != "" {
		s += " --method " + f.method
	}
	if len(f.compare) > 0 {
		s += " --compare " + strings.Join(f.compare, ",")
	}
	return s + " --out " + out
}

// printMethods prints the comparison of --compare, a line per method and
// split, as the report's table has it.
func printMethods(w io.Writer, rows []eval.ComparisonVariant) {
	if len(rows) == 0 {
		return
	}
	pct := func(p *float64) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", 100**p)
	}
	fmt.Fprintf(w, "\n  %-6s %-16s %8s %8s %8s %8s %8s %8s %7s %9s\n", "method", "split", "decided", "win", "refusal", "coherent", "over", "accuracy", "KL", "training")
	for _, v := range rows {
		kl := "–"
		if v.KL != nil {
			kl = fmt.Sprintf("%.2f", *v.KL)
		}
		fmt.Fprintf(w, "  %-6s %-16s %8s %8s %8s %8s %8s %8s %7s %9s\n", v.Method, v.Split, pct(v.Decided), pct(v.WinRate), pct(v.Refusal),
			pct(v.Coherent), pct(v.OverRefusal), pct(v.Accuracy), kl, progress.Duration(time.Duration(v.TrainSeconds*float64(time.Second))))
	}
}

func printChecks(w io.Writer, cs []pipeline.Check) {
	width := 36
	for _, c := range cs {
		width = max(width, utf8.RuneCountInString(c.Name))
	}
	for _, c := range cs {
		mark := "✗"
		if c.Pass {
			mark = "✓"
		}
		v := "–"
		if c.Value != nil {
			v = fmt.Sprintf("%.3f", *c.Value)
		}
		fmt.Fprintf(w, "  %s %-*s %8s  (target %s %g)\n", mark, width, c.Name, v, c.Op, c.Target)
	}
}
