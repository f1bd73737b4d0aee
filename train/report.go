package train

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"time"

	"github.com/align-project/align/internal/progress"
)

// logWriter is where a stage's progress goes: w, or nowhere when nil.
func logWriter(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// runWithProgress runs tr with a progress bar on log (redrawn on a
// terminal, a line every 10 s and at each evaluation otherwise), printing
// warnings above it as "align: warning: …".
func runWithProgress(ctx context.Context, tr *Trainer, log io.Writer) (Result, error) {
	bar := progress.New(log, progress.IsTerminal(log), tr.Stage, tr.Config.Steps, "tok", 10*time.Second)
	tr.Progress = func(s Status) {
		fields := fmt.Sprintf("loss %.3f", s.Loss)
		if !math.IsNaN(s.HeldOutLoss) {
			fields += fmt.Sprintf(" held-out %.3f (best %.3f)", s.HeldOutLoss, s.BestLoss)
		}
		fields += fmt.Sprintf(" lr %.2e ep %.2f", s.LR, s.Epoch)
		bar.Update(s.Step, s.TokensPerSec, s.ETA, fields, s.Evaluated)
	}
	tr.Warn = func(msg string) { bar.Log("align: warning: " + msg) }
	res, err := tr.Run(ctx)
	bar.Done()
	return res, err
}

// WriteText prints what a training run achieved: the summary of 'align
// pretrain' and 'align sft'.
func (r Result) WriteText(w io.Writer) {
	fmt.Fprintf(w, "%s: %d steps, %d tokens in %s", r.Stage, r.Steps, r.Tokens, progress.Duration(r.Elapsed))
	if r.TokensPerSec > 0 {
		fmt.Fprintf(w, " (%.0f tokens/s while training)", r.TokensPerSec)
	}
	fmt.Fprintln(w)
	if !math.IsNaN(r.BestHeldOut) {
		fmt.Fprintf(w, "  held-out loss %.4f before training, best %.4f at step %d; train loss %.4f at the end\n",
			r.FirstHeldOut, r.BestHeldOut, r.BestStep, r.FinalTrainLoss)
	}
	if r.EarlyStopped {
		fmt.Fprintf(w, "  stopped early: the held-out loss stopped improving; the best model (step %d) is kept\n", r.BestStep)
	}
	if r.OverfitWarnings > 0 {
		fmt.Fprintf(w, "  %d overfitting warnings (see metrics.jsonl)\n", r.OverfitWarnings)
	}
	fmt.Fprintf(w, "  model: %s  metrics: %s  checkpoint: %s\n", r.Out,
		filepath.Join(r.Out, MetricsFile), filepath.Join(r.Out, LastDir))
}

// WriteText prints the training summary and, when an evaluation ran, its
// scores: the output of 'align sft'.
func (r SFTResult) WriteText(w io.Writer) {
	r.Result.WriteText(w)
	if r.Eval != nil {
		r.Eval.WriteText(w, r.EvalPath)
	}
}

// WriteText prints the scores of the evaluation and path, the file holding
// its answers.
func (e SFTEval) WriteText(w io.Writer, path string) {
	fmt.Fprintf(w, "sft eval on %d held-out prompts: EOS %.1f%%", e.Prompts, 100*e.EOSRate)
	if e.Checkable > 0 {
		fmt.Fprintf(w, ", checkable accuracy %.1f%% (%d/%d)", 100*e.Accuracy, e.Correct, e.Checkable)
	}
	if e.Harmful > 0 {
		fmt.Fprintf(w, ", harmful compliance %.1f%% (%d/%d)", 100*e.HarmfulCompliance, e.HarmfulComplied, e.Harmful)
	}
	if e.Benign > 0 {
		fmt.Fprintf(w, ", benign refused %.1f%% (%d/%d)", 100*e.OverRefusal, e.BenignRefused, e.Benign)
	}
	fmt.Fprintf(w, "\n  answers: %s\n", path)
}
