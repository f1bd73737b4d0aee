package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/internal/outguard"
	"github.com/align-project/align/internal/trainkit"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tensor"
	"github.com/align-project/align/tokenizer"
)

// Files and directories of an output directory (see the package doc).
const (
	LastDir     = "last"          // resumable checkpoint: train state of the latest step
	ConfigFile  = "config.yaml"   // the effective training config
	MetricsFile = "metrics.jsonl" // one Metrics line per log step and evaluation
	EvalFile    = "eval.json"     // SFT sampling evaluation (written by SFT)
)

// ErrInterrupted is returned (wrapped) by Run when its context is cancelled:
// the trainer has saved a checkpoint that Resume continues from.
var ErrInterrupted = errors.New("training interrupted")

// ErrDiverged is returned (wrapped) by Run when the loss or the gradient norm
// becomes NaN or infinite.
var ErrDiverged = errors.New("training diverged")

// Trainer runs one training stage, pretraining or SFT, over rows of tokens.
// Set the fields, then call Run once.
type Trainer struct {
	Config    Config
	Model     *model.Model         // trained in place; on resume its parameters are replaced
	Tokenizer *tokenizer.Tokenizer // saved with the model; may be nil
	Train     *Rows                // training rows
	HeldOut   *Rows                // held-out rows; nil or empty turns evaluation and early stopping off
	// Generalization, if set, is a second held-out set evaluated beside
	// HeldOut at every evaluation and logged as generalization_loss. It
	// only informs: best model, early stopping and overfitting warnings
	// follow HeldOut alone. SFT on the embedded set passes the held-out
	// prompts, whose templates and vocabulary training never shows.
	Generalization *Rows
	Out            string // output directory
	// Base is the model directory the run started from; a LoRA run names
	// it in Out/adapter as the model its adapters belong to.
	Base   string
	Stage  string // "pretrain", "sft": recorded in config.json
	Resume bool   // continue from Out/last instead of starting afresh

	// Progress, if set, is called after every step with the trainer's status.
	Progress func(Status)
	// Warn, if set, receives warnings such as the overfitting warning.
	Warn func(string)
	// AfterStep, if set, is called after each step is complete (evaluated,
	// logged and checkpointed as due); tests use it to interrupt a run at a
	// chosen step.
	AfterStep func(step int)
}

// Status is what a progress display shows after a step.
type Status struct {
	Step, Steps  int
	Epoch        float64
	Loss         float64 // training loss of this step
	HeldOutLoss  float64 // of the latest evaluation; NaN before the first
	BestLoss     float64 // best held-out loss so far; NaN before the first evaluation
	LR           float64
	TokensPerSec float64 // over the steps of this run, evaluation excluded
	Elapsed      time.Duration
	ETA          time.Duration
	Evaluated    bool // an evaluation ran after this step
}

// Result summarises a finished (or interrupted) run.
type Result struct {
	Stage           string  // Trainer.Stage: "pretrain", "sft"
	Out             string  // Trainer.Out, where the model, metrics and checkpoint are
	Steps           int     // steps completed
	FirstHeldOut    float64 // held-out loss before training (NaN without held-out data)
	BestHeldOut     float64 // lowest held-out loss (NaN without held-out data)
	BestStep        int     // step of the best held-out loss, whose parameters the model holds at the end
	FinalTrainLoss  float64 // mean training loss since the last evaluation
	EarlyStopped    bool
	OverfitWarnings int
	Tokens          int64 // training tokens processed, over all resumed runs
	TokensPerSec    float64
	Elapsed         time.Duration
}

// loopState is the trainer's own part of a checkpoint: with the model,
// optimizer and data position it makes a resumed run identical to one that
// never stopped.
type loopState struct {
	RowsDealt    int64    `json:"rows_dealt"`
	RowsHash     uint64   `json:"rows_hash"` // of the training rows, to catch different data on resume
	Tokens       int64    `json:"tokens"`
	Elapsed      float64  `json:"elapsed"`
	LogLossSum   float64  `json:"log_loss_sum"` // training losses since the last metrics line
	LogSteps     int      `json:"log_steps"`
	EvalLossSum  float64  `json:"eval_loss_sum"` // training losses since the last evaluation
	EvalSteps    int      `json:"eval_steps"`
	LastGradNorm float64  `json:"last_grad_norm"`
	FirstHeldOut *float64 `json:"first_heldout"`
	LastHeldOut  *float64 `json:"last_heldout"`
	// The early stopper's progress; its JSON fields sit beside the others
	// (best, best_step, bad_evals, prev_gap, gap_streak, warnings,
	// early_stopped), as before the stopper was shared.
	trainkit.StopState
}

// run is the state of one Run call.
type run struct {
	*Trainer
	opt     *model.Optimizer
	sampler *sampler
	metrics *trainkit.Log
	step    int
	loop    loopState
	// created is what a fresh run made, removed if it fails before its
	// first checkpoint; nil once one is saved, and on Resume.
	created *outguard.Created
	// This Run call's start time and first step.
	start     time.Time
	firstStep int
	// Buffers for one optimizer step: GradAccum micro-batches of B×T.
	inputs, targets []int32
	weights         []float32
	// Timing of this run's steps, evaluation excluded.
	stepTime   time.Duration
	stepTokens int64
	logTime    time.Duration
	logTokens  int64
}

// Run trains until Config.Steps steps are done, early stopping ends it, or
// ctx is cancelled. It writes metrics.jsonl, the best model (lowest held-out
// loss; the last one without held-out data) to Out, and resumable
// checkpoints to Out/last every SaveEvery steps, at the end and when
// interrupted. At the end the model holds the best parameters. A cancelled
// ctx returns an error wrapping ErrInterrupted after the checkpoint is
// saved; a NaN or infinite loss returns one wrapping ErrDiverged.
func (t *Trainer) Run(ctx context.Context) (Result, error) {
	r, err := t.setup()
	if err != nil {
		return Result{}, err
	}
	res, err := r.loop_(ctx)
	r.metrics.Close()
	if err != nil {
		r.created.Undo() // failed before its first checkpoint: nothing to resume, leave Out as found
	}
	res.Stage, res.Out = t.Stage, t.Out
	return res, err
}

func (t *Trainer) setup() (_ *run, err error) {
	c := t.Config
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if t.Model == nil || t.Train == nil || t.Out == "" {
		return nil, errors.New("train: Model, Train and Out must be set")
	}
	if t.Train.T > t.Model.Config.Context {
		return nil, fmt.Errorf("train: rows of %d tokens exceed the model's context of %d", t.Train.T, t.Model.Config.Context)
	}
	if t.HeldOut != nil && t.HeldOut.Len() > 0 && t.HeldOut.T != t.Train.T {
		return nil, fmt.Errorf("train: held-out rows of %d tokens, training rows of %d", t.HeldOut.T, t.Train.T)
	}
	if t.Generalization != nil && t.Generalization.Len() > 0 && t.Generalization.T != t.Train.T {
		return nil, fmt.Errorf("train: generalization rows of %d tokens, training rows of %d", t.Generalization.T, t.Train.T)
	}
	var created *outguard.Created
	if !t.Resume {
		created = outputs(t.Out).Track()
		defer func() {
			if err != nil {
				created.Undo()
			}
		}()
	}
	if err := os.MkdirAll(filepath.Join(t.Out, LastDir), 0o755); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	opt, err := model.NewOptimizer(t.Model, c.AdamW())
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	r := &run{Trainer: t, opt: opt, step: 0, created: created}
	r.loop.RowsHash = t.Train.hash()
	resumeStep := -1
	if t.Resume {
		if err := r.restore(); err != nil {
			return nil, err
		}
		if err := outputs(t.Out).Unfinish(); err != nil { // running again: unfinished until the stage marks it
			return nil, fmt.Errorf("train: %w", err)
		}
		resumeStep = r.step
	} else if t.Tokenizer != nil {
		// The tokenizer is saved up front, so that a run interrupted before
		// its first best model can still be resumed.
		if err := t.Tokenizer.Save(filepath.Join(t.Out, LastDir, checkpoint.HFTokenizerFile)); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
	}
	if err := checkpoint.WriteFileAtomic(filepath.Join(t.Out, ConfigFile), func(w io.Writer) error {
		_, err := w.Write(c.YAML())
		return err
	}); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if r.sampler, err = newSampler(t.Train.Len(), c.Seed, r.loop.RowsDealt); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if r.metrics, err = trainkit.OpenLog(filepath.Join(t.Out, MetricsFile), "step", resumeStep); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	n := c.GradAccum * c.Batch * t.Train.T
	r.inputs, r.targets, r.weights = make([]int32, n), make([]int32, n), make([]float32, n)
	return r, nil
}

func (r *run) hasHeldOut() bool { return r.HeldOut != nil && r.HeldOut.Len() > 0 }

func (r *run) loop_(ctx context.Context) (Result, error) {
	c := r.Config
	r.start, r.firstStep = time.Now(), r.step
	if r.hasHeldOut() && r.loop.FirstHeldOut == nil {
		l, err := Evaluate(r.Model, r.HeldOut, c.Batch, c.EvalBatches)
		if err != nil {
			return r.result(), err
		}
		r.loop.FirstHeldOut = &l
	}
	for r.step < c.Steps && !r.loop.Stopped {
		if err := ctx.Err(); err != nil {
			return r.interrupt()
		}
		loss, err := r.trainStep()
		if err != nil {
			return r.result(), err
		}
		evaluated := false
		if r.hasHeldOut() && ((c.EvalEvery > 0 && r.step%c.EvalEvery == 0) || r.step == c.Steps) {
			if err := r.evaluate(); err != nil {
				return r.result(), err
			}
			evaluated = true
		} else if r.step%c.LogEvery == 0 || r.step == c.Steps {
			if err := r.logLine(nil); err != nil {
				return r.result(), err
			}
		}
		if r.Progress != nil {
			r.Progress(r.status(loss, evaluated))
		}
		done := r.step == c.Steps || r.loop.Stopped
		if done || (c.SaveEvery > 0 && r.step%c.SaveEvery == 0) {
			if err := r.saveLast(); err != nil {
				return r.result(), err
			}
		}
		if r.AfterStep != nil {
			r.AfterStep(r.step)
		}
	}
	if err := r.finish(); err != nil {
		return r.result(), err
	}
	return r.result(), nil
}

// trainStep runs one optimizer update over GradAccum micro-batches and
// returns its loss: the weighted mean over every target of the update.
func (r *run) trainStep() (float64, error) {
	c := r.Config
	m := r.Model
	B, T := c.Batch, r.Train.T
	t0 := time.Now()
	// Deal the rows of all micro-batches first: the loss is normalised by the
	// weight of the whole update, so each micro-batch's share is known.
	var total float64
	sums := make([]float64, c.GradAccum)
	for k := range c.GradAccum {
		for b := range B {
			off := k * B
			r.Train.fill(r.sampler.next(), off+b, r.inputs, r.targets, r.weights)
		}
		for _, w := range r.weights[k*B*T : (k+1)*B*T] {
			sums[k] += float64(w)
		}
		total += sums[k]
	}
	m.ZeroGrad()
	var loss float64
	for k := range c.GradAccum {
		lo, hi := k*B*T, (k+1)*B*T
		if sums[k] == 0 {
			continue
		}
		if err := m.Forward(r.inputs[lo:hi], B, T); err != nil {
			return 0, fmt.Errorf("train: step %d: %w", r.step+1, err)
		}
		l, err := m.LMLoss(r.targets[lo:hi], r.weights[lo:hi])
		if nonFinite(float64(l)) {
			return 0, r.diverged("loss", float64(l))
		}
		if err != nil {
			return 0, fmt.Errorf("train: step %d: %w", r.step+1, err)
		}
		share := sums[k] / total
		loss += share * float64(l)
		if c.GradAccum > 1 {
			tensor.Scale(float32(share), m.DLogits())
		}
		if err := m.Backward(); err != nil {
			return 0, fmt.Errorf("train: step %d: %w", r.step+1, err)
		}
	}
	lr := c.LRAt(r.step)
	norm, err := r.opt.Step(float32(lr))
	if nonFinite(norm) {
		return 0, r.diverged("gradient norm", norm)
	}
	if err != nil {
		return 0, fmt.Errorf("train: step %d: %w", r.step+1, err)
	}
	r.step++
	tokens := int64(c.GradAccum * B * T)
	r.loop.Tokens += tokens
	r.loop.RowsDealt = r.sampler.pos
	r.loop.LogLossSum += loss
	r.loop.LogSteps++
	r.loop.EvalLossSum += loss
	r.loop.EvalSteps++
	r.loop.LastGradNorm = norm
	d := time.Since(t0)
	r.stepTime += d
	r.stepTokens += tokens
	r.logTime += d
	r.logTokens += tokens
	return loss, nil
}

func nonFinite(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }

// diverged reports a NaN or infinite loss or gradient norm.
func (r *run) diverged(what string, v float64) error {
	return fmt.Errorf("train: %w: %s is %v at step %d; lower the learning rate (lr %g at this step) or clip gradients harder (clip %g)",
		ErrDiverged, what, v, r.step+1, r.Config.LRAt(r.step), r.Config.Clip)
}

// evaluate computes the held-out loss, keeps the best model, counts towards
// early stopping, watches the train/held-out gap and logs a metrics line.
func (r *run) evaluate() error {
	c := r.Config
	hl, err := Evaluate(r.Model, r.HeldOut, c.Batch, c.EvalBatches)
	if err != nil {
		return err
	}
	if nonFinite(hl) {
		return r.diverged("held-out loss", hl)
	}
	lp := &r.loop
	lp.LastHeldOut = &hl
	trainLoss := lp.EvalLossSum / float64(max(lp.EvalSteps, 1))
	lp.EvalLossSum, lp.EvalSteps = 0, 0
	v := r.stopper().Observe(&lp.StopState, r.step, trainLoss, hl)
	warning := ""
	if v.Overfitting {
		warning = fmt.Sprintf("possible overfitting: held-out loss %.4f is %.4f above the training loss %.4f and the gap has grown %d evaluations running",
			hl, v.Gap, trainLoss, lp.GapStreak)
		if r.Warn != nil {
			r.Warn(fmt.Sprintf("step %d: %s", r.step, warning))
		}
	}
	if v.Improved {
		if err := r.saveBest(); err != nil {
			return err
		}
	} else if v.Stop {
		msg := fmt.Sprintf("early stopping: no held-out improvement in %d evaluations; keeping step %d (held-out loss %.4f)",
			lp.BadEvals, lp.BestStep, *lp.Best)
		if warning == "" {
			warning = msg
		} else {
			warning += "; " + msg
		}
		if r.Warn != nil {
			r.Warn(fmt.Sprintf("step %d: %s", r.step, msg))
		}
	}
	ev := &metricsEval{heldOut: hl, gap: v.Gap, warning: warning}
	if r.Generalization != nil && r.Generalization.Len() > 0 {
		gl, err := Evaluate(r.Model, r.Generalization, c.Batch, c.EvalBatches)
		if err != nil {
			return err
		}
		ev.generalization = &gl
	}
	return r.logLine(ev)
}

// stopper judges the held-out loss by c's patience, min_delta and gap_evals.
func (r *run) stopper() trainkit.EarlyStopper {
	c := r.Config
	return trainkit.EarlyStopper{Patience: c.Patience, MinDelta: c.MinDelta, GapEvals: c.GapEvals}
}

type metricsEval struct {
	heldOut, gap   float64
	generalization *float64 // loss on Trainer.Generalization, if set
	warning        string
}

// logLine writes a metrics line for the current step.
func (r *run) logLine(ev *metricsEval) error {
	lp := &r.loop
	m := Metrics{
		Step:      r.step,
		Epoch:     r.sampler.epochs(),
		TrainLoss: lp.LogLossSum / float64(max(lp.LogSteps, 1)),
		LR:        r.Config.LRAt(r.step - 1),
		GradNorm:  lp.LastGradNorm,
		Tokens:    lp.Tokens,
		Elapsed:   lp.Elapsed + time.Since(r.start).Seconds(),
	}
	if r.logTime > 0 {
		m.TokensPerSec = float64(r.logTokens) / r.logTime.Seconds()
	}
	if ev != nil {
		m.HeldOutLoss, m.Gap, m.BestLoss, m.Warning = &ev.heldOut, &ev.gap, lp.Best, ev.warning
		m.GeneralizationLoss = ev.generalization
	}
	lp.LogLossSum, lp.LogSteps = 0, 0
	r.logTime, r.logTokens = 0, 0
	if err := r.metrics.Write(m); err != nil {
		return fmt.Errorf("train: write metrics: %w", err)
	}
	return nil
}

func (r *run) status(loss float64, evaluated bool) Status {
	s := Status{
		Step: r.step, Steps: r.Config.Steps, Epoch: r.sampler.epochs(), Loss: loss,
		HeldOutLoss: math.NaN(), BestLoss: math.NaN(), LR: r.Config.LRAt(r.step - 1),
		Elapsed:   time.Duration((r.loop.Elapsed + time.Since(r.start).Seconds()) * float64(time.Second)),
		Evaluated: evaluated,
	}
	if r.loop.LastHeldOut != nil {
		s.HeldOutLoss = *r.loop.LastHeldOut
	}
	if r.loop.Best != nil {
		s.BestLoss = *r.loop.Best
	}
	if r.stepTime > 0 {
		s.TokensPerSec = float64(r.stepTokens) / r.stepTime.Seconds()
	}
	// The ETA extrapolates this run's wall time per step, evaluations included.
	if done := r.step - r.firstStep; done > 0 {
		s.ETA = time.Duration(float64(time.Since(r.start)) / float64(done) * float64(r.Config.Steps-r.step))
	}
	return s
}

// interrupt saves a checkpoint and reports the interruption.
func (r *run) interrupt() (Result, error) {
	if err := r.saveLast(); err != nil {
		return r.result(), fmt.Errorf("%w at step %d; saving the checkpoint failed: %w", ErrInterrupted, r.step, err)
	}
	return r.result(), fmt.Errorf("%w at step %d; checkpoint saved in %s", ErrInterrupted, r.step, filepath.Join(r.Out, LastDir))
}

// finish leaves the best model in Out and in r.Model: with held-out data,
// the parameters of the best evaluation are loaded back (they differ from
// the last ones after early stopping or late overfitting); without, the last
// parameters are saved as the model.
func (r *run) finish() error {
	if r.loop.Best == nil {
		return r.saveBest()
	}
	if r.loop.BestStep == r.step {
		return nil // the last evaluation was the best and is saved
	}
	if r.hasLoRA() {
		// Out holds the best model merged; its adapters are beside it.
		if err := checkpoint.ReloadRunAdapter(r.Out, r.Model); err != nil {
			return fmt.Errorf("train: restore best model: %w", err)
		}
		return nil
	}
	hm, err := checkpoint.LoadHF(r.Out)
	if err != nil {
		return fmt.Errorf("train: restore best model: %w", err)
	}
	if hm.Model.Config != r.Model.Config {
		return fmt.Errorf("train: restore best model: %s holds a %+v model, not %+v", r.Out, hm.Model.Config, r.Model.Config)
	}
	copy(r.Model.Params(), hm.Model.Params())
	return nil
}

func (r *run) result() Result {
	lp := r.loop
	res := Result{
		Steps: r.step, FirstHeldOut: math.NaN(), BestHeldOut: math.NaN(), BestStep: lp.BestStep,
		FinalTrainLoss: math.NaN(), EarlyStopped: lp.Stopped, OverfitWarnings: lp.Warnings,
		Tokens:  lp.Tokens,
		Elapsed: time.Duration((lp.Elapsed + time.Since(r.start).Seconds()) * float64(time.Second)),
	}
	if lp.FirstHeldOut != nil {
		res.FirstHeldOut = *lp.FirstHeldOut
	}
	if lp.Best != nil {
		res.BestHeldOut = *lp.Best
	} else {
		res.BestStep = r.step
	}
	if lp.EvalSteps > 0 {
		res.FinalTrainLoss = lp.EvalLossSum / float64(lp.EvalSteps)
	} else if lp.PrevGap != nil && lp.LastHeldOut != nil {
		res.FinalTrainLoss = *lp.LastHeldOut - *lp.PrevGap
	}
	if r.stepTime > 0 {
		res.TokensPerSec = float64(r.stepTokens) / r.stepTime.Seconds()
	}
	return res
}

// Evaluate returns the weighted mean loss of m over rows, in batches of at
// most batch rows, over the first maxBatches batches (0: all). A NaN or
// infinite batch loss is returned as the result, without an error.
func Evaluate(m *model.Model, rows *Rows, batch, maxBatches int) (float64, error) {
	T, n := rows.T, rows.Len()
	if maxBatches > 0 {
		n = min(n, maxBatches*batch)
	}
	inputs, targets := make([]int32, batch*T), make([]int32, batch*T)
	weights := make([]float32, batch*T)
	var sum, total float64
	for lo := 0; lo < n; lo += batch {
		b := min(batch, n-lo)
		var w float64
		for i := range b {
			rows.fill(lo+i, i, inputs, targets, weights)
		}
		for _, x := range weights[:b*T] {
			w += float64(x)
		}
		if w == 0 {
			continue
		}
		if err := m.Forward(inputs[:b*T], b, T); err != nil {
			return 0, fmt.Errorf("evaluate: %w", err)
		}
		l, err := m.LMLoss(targets[:b*T], weights[:b*T])
		if nonFinite(float64(l)) {
			return float64(l), nil // the caller decides what a NaN means
		}
		if err != nil {
			return 0, fmt.Errorf("evaluate: %w", err)
		}
		sum += float64(l) * w
		total += w
	}
	if total == 0 {
		return math.NaN(), errors.New("evaluate: no weighted targets")
	}
	return sum / total, nil
}
