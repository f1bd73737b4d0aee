package cli

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/align-project/align/internal/progress"
	"github.com/align-project/align/train"
)

// configHelp describes each train.Config key; the flag of key "grad_accum"
// is --grad-accum.
var configHelp = map[string]string{
	"layers":         "transformer blocks (L)",
	"dim":            "channels of the residual stream (C)",
	"heads":          "attention heads per block (NH); must divide --dim",
	"ctx":            "context length (T): tokens per training row",
	"vocab":          "size of the BPE vocabulary trained on the corpus (V)",
	"steps":          "optimizer steps",
	"batch":          "rows of --ctx tokens per micro-batch (B)",
	"grad_accum":     "micro-batches whose gradients are summed into one step",
	"lr":             "peak learning rate, reached after the warm-up",
	"min_lr":         "learning rate at the end of the cosine decay",
	"warmup":         "steps of linear learning-rate warm-up",
	"weight_decay":   "AdamW weight decay on matrices and embeddings",
	"beta1":          "AdamW first-moment decay",
	"beta2":          "AdamW second-moment decay",
	"eps":            "AdamW epsilon",
	"clip":           "clip the global gradient norm to this (0 = off)",
	"heldout":        "fraction of the (training) data held out for validation: it picks the best model and stops early",
	"pack":           "pack examples into full rows (false: one padded example per row)",
	"eval_every":     "steps between held-out evaluations (0 = only at the end)",
	"eval_batches":   "held-out micro-batches per evaluation (0 = all)",
	"patience":       "stop early after this many evaluations without a new best held-out loss (0 = never)",
	"min_delta":      "held-out improvement a new best needs",
	"gap_evals":      "warn of overfitting when the held-out minus train loss gap grows this many evaluations running (0 = never)",
	"save_every":     "steps between resumable checkpoints in OUT/last (0 = only at the end and on Ctrl-C)",
	"log_every":      "steps between lines of metrics.jsonl",
	"eval_samples":   "held-out prompts answered and scored after training (0 = none)",
	"max_new_tokens": "longest answer sampled in that evaluation, in tokens",
	"temperature":    "sampling temperature of that evaluation (0 = greedy)",
}

// flagName is the command-line name of a config key.
func flagName(key string) string { return strings.ReplaceAll(key, "_", "-") }

// configFlags binds the train.Config keys to flags. Flags write into a shadow
// config; resolve copies only the flags given on the command line, so they
// win over a --config file, which wins over the defaults.
type configFlags struct {
	shadow     train.Config
	keys       []string // bound keys
	configFile string
	resume     bool
}

// register adds a flag for every config key except those in skip (and
// seed, which is the global --seed).
func (f *configFlags) register(fs *pflag.FlagSet, defaults train.Config, skip ...string) {
	f.shadow = defaults
	f.keys = bindConfig(fs, &f.shadow, configHelp, skip...)
	fs.StringVar(&f.configFile, "config", "", "YAML file of settings (keys as the flags, with _ for -); flags given win")
	fs.BoolVar(&f.resume, "resume", false, "continue the interrupted run in --out from OUT/last")
}

// resolve returns the effective config: defaults, then on --resume the
// run's saved config.yaml, then --config, then the flags given, then the
// global --seed if given.
func (f *configFlags) resolve(cmd *cobra.Command, g *globals, defaults train.Config, out string) (train.Config, error) {
	path := cmd.CommandPath()
	cfg := defaults
	if f.resume {
		saved := filepath.Join(out, train.ConfigFile)
		if err := cfg.LoadYAML(saved); err != nil {
			return cfg, fmt.Errorf("resume: %w", err)
		}
	}
	if f.configFile != "" {
		if err := cfg.LoadYAML(f.configFile); err != nil {
			return cfg, usageErrorf(path, "keys are the flag names with _ for -, e.g. grad_accum: 2", "%v", err)
		}
	}
	fs := cmd.Flags()
	copyChangedFlags(fs, f.keys, &cfg, f.shadow)
	if fs.Changed("seed") {
		cfg.Seed = g.seed
	}
	if err := cfg.Validate(); err != nil {
		msg := strings.TrimPrefix(err.Error(), "config: ")
		return cfg, usageErrorf(path, "", "--%s", flagName(msg))
	}
	return cfg, nil
}

// needOut checks --out.
func needOut(cmd *cobra.Command, out string) error {
	if out == "" {
		return usageErrorf(cmd.CommandPath(), "", "--out DIR is required")
	}
	return nil
}

// trainHooks connects a trainer to a progress bar on stderr (redrawn on a
// terminal, a line every 10 s and at each evaluation otherwise) and prints
// warnings above it.
func trainHooks(cmd *cobra.Command, tr *train.Trainer, label string) *progress.Bar {
	errw := cmd.ErrOrStderr()
	bar := progress.New(errw, progress.IsTerminal(errw), label, tr.Config.Steps, "tok", 10*time.Second)
	tr.Progress = func(s train.Status) {
		fields := fmt.Sprintf("loss %.3f", s.Loss)
		if !math.IsNaN(s.HeldOutLoss) {
			fields += fmt.Sprintf(" held-out %.3f (best %.3f)", s.HeldOutLoss, s.BestLoss)
		}
		fields += fmt.Sprintf(" lr %.2e ep %.2f", s.LR, s.Epoch)
		bar.Update(s.Step, s.TokensPerSec, s.ETA, fields, s.Evaluated)
	}
	tr.Warn = func(msg string) { bar.Log("align: warning: " + msg) }
	return bar
}

// runTrainer runs tr, ending the progress bar, and turns an interruption into
// an error with a hint to resume.
func runTrainer(cmd *cobra.Command, tr *train.Trainer, label string) (train.Result, error) {
	bar := trainHooks(cmd, tr, label)
	res, err := tr.Run(cmd.Context())
	bar.Done()
	if errors.Is(err, train.ErrInterrupted) {
		return res, &hintError{err: err, hint: fmt.Sprintf("run the same command with --resume to continue from step %d", res.Steps)}
	}
	return res, err
}

// hintError is a failure with a suggested fix.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }
func (e *hintError) Hint() string  { return e.hint }

// printTrainSummary prints what a training run achieved.
func printTrainSummary(w io.Writer, stage, out string, res train.Result) {
	fmt.Fprintf(w, "%s: %d steps, %d tokens in %s", stage, res.Steps, res.Tokens, progress.Duration(res.Elapsed))
	if res.TokensPerSec > 0 {
		fmt.Fprintf(w, " (%.0f tokens/s while training)", res.TokensPerSec)
	}
	fmt.Fprintln(w)
	if !math.IsNaN(res.BestHeldOut) {
		fmt.Fprintf(w, "  held-out loss %.4f before training, best %.4f at step %d; train loss %.4f at the end\n",
			res.FirstHeldOut, res.BestHeldOut, res.BestStep, res.FinalTrainLoss)
	}
	if res.EarlyStopped {
		fmt.Fprintf(w, "  stopped early: the held-out loss stopped improving; the best model (step %d) is kept\n", res.BestStep)
	}
	if res.OverfitWarnings > 0 {
		fmt.Fprintf(w, "  %d overfitting warnings (see metrics.jsonl)\n", res.OverfitWarnings)
	}
	fmt.Fprintf(w, "  model: %s  metrics: %s  checkpoint: %s\n", out,
		filepath.Join(out, train.MetricsFile), filepath.Join(out, train.LastDir))
}

// exists reports whether path exists.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
