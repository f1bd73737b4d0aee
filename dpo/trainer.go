package dpo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/align-project/align/internal/outguard"
	"github.com/align-project/align/internal/trainkit"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// Files and directories of an output directory, besides the policy.
const (
	ConfigFile  = "config.yaml"   // the effective config
	MetricsFile = "metrics.jsonl" // one Stats line per step
	LastDir     = "last"          // the resumable checkpoint
)

// ErrInterrupted is returned (wrapped) by Run when its context is
// cancelled; the checkpoint it saved lets Resume continue exactly.
var ErrInterrupted = errors.New("dpo interrupted")

// ErrDiverged is returned (wrapped) when the loss or a gradient becomes NaN
// or infinite.
var ErrDiverged = errors.New("dpo diverged")

// Trainer runs DPO. Set the fields, then call Run once.
type Trainer struct {
	Config Config
	// Policy is trained in place; at the end it holds the best parameters
	// (highest held-out accuracy; the last without held-out pairs).
	Policy *model.Model
	// Ref is the frozen reference; nil means a copy of Policy as given.
	Ref *model.Model
	// Tokenizer is saved with the policy; nil saves the policy alone.
	Tokenizer *tokenizer.Tokenizer
	// Train are the training pairs, drawn BatchSize at a time in an order
	// shuffled on every pass; HeldOut are evaluated (may be empty).
	Train, HeldOut []Pair
	// StopTokens end the responses sampled to measure the KL.
	StopTokens []int32
	// Out is the output directory: the best policy as a Hugging Face
	// directory, config.yaml, metrics.jsonl, last/ and the reference cache.
	// Empty means nothing is written.
	Out    string
	Resume bool // continue from Out/last
	// Base is the policy directory the run started from; a LoRA run names
	// it in Out/adapter as the model its adapters belong to.
	Base string

	Progress  func(Stats)       // if set, gets the stats of every step
	Warn      func(msg string)  // if set, gets each warning (also in metrics.jsonl)
	AfterStep func(step int)    // if set, runs after each complete step (logged, checkpointed); tests interrupt with it
	Note      func(note string) // if set, gets notes such as where the reference log-probs came from
}

// Result summarises a finished or interrupted run.
type Result struct {
	Steps int   // completed, over all resumed runs
	Last  Stats // of the last step of this run
	// BestAccuracy is the best held-out preference accuracy, at BestStep,
	// whose policy the run keeps; NaN without held-out pairs.
	BestAccuracy float64
	BestStep     int
	EarlyStopped bool
	RefReused    bool // the reference log-probs came from the cache file
	Elapsed      time.Duration
	Config       Config // the run's settings
	Out          string // the output directory ("" = nothing written)
}

// run is the state of one Run call.
type run struct {
	*Trainer
	cfg               Config
	steps             int // in the whole run
	opt               *model.Optimizer
	loop              loopState
	refTrain, refHeld []refLogps
	refReused         bool
	metrics           *trainkit.Log
	start             time.Time
	best              []float32 // the best parameters when there is no Out to hold them
	perm              []int     // pair order of the pass permPass
	permPass          int
	klPrompts         [][]int32
	created           *outguard.Created // what a fresh run made in Out, until its first checkpoint
}

// Run trains for the configured steps (minus those a resumed checkpoint has
// done), until early stopping, or until ctx is cancelled, which saves a
// checkpoint and returns an error wrapping ErrInterrupted.
func (t *Trainer) Run(ctx context.Context) (_ Result, err error) {
	r, err := t.setup(ctx)
	if err != nil {
		return Result{}, err
	}
	defer func() {
		if r.metrics != nil {
			r.metrics.Close()
		}
		if err != nil {
			r.created.Undo() // failed before its first checkpoint: nothing to resume, leave Out as found
		}
	}()
	var last Stats
	for r.loop.Step < r.steps && !r.loop.Stop.Stopped {
		if err := ctx.Err(); err != nil {
			return r.interrupt(last)
		}
		st, err := r.step()
		if err != nil {
			return r.result(last), err
		}
		if r.evalDue() {
			if err := r.evaluate(&st); err != nil {
				return r.result(last), err
			}
		}
		last = st
		if r.metrics != nil {
			if err := r.metrics.Write(st); err != nil {
				return r.result(last), fmt.Errorf("dpo: write metrics: %w", err)
			}
		}
		if r.Progress != nil {
			r.Progress(st)
		}
		s := r.loop.Step
		if r.Out != "" && r.cfg.SaveEvery > 0 && s%r.cfg.SaveEvery == 0 && s < r.steps {
			if err := r.saveLast(); err != nil {
				return r.result(last), err
			}
		}
		if r.AfterStep != nil {
			r.AfterStep(s)
		}
	}
	if err := r.finish(); err != nil {
		return r.result(last), err
	}
	return r.result(last), nil
}

func (r *run) evalDue() bool {
	s := r.loop.Step
	return len(r.HeldOut) > 0 && (s == r.steps || (r.cfg.EvalEvery > 0 && s%r.cfg.EvalEvery == 0))
}

func (r *run) result(last Stats) Result {
	res := Result{
		Steps: r.loop.Step, Last: last, BestAccuracy: math.NaN(), BestStep: r.loop.Step,
		EarlyStopped: r.loop.Stop.Stopped, RefReused: r.refReused,
		Elapsed: time.Duration(r.elapsed() * float64(time.Second)), Config: r.cfg, Out: r.Out,
	}
	if b := r.loop.Stop.Best; b != nil {
		res.BestAccuracy, res.BestStep = *b, r.loop.Stop.BestStep
	}
	return res
}

// elapsed is the training time over all resumed runs, in seconds.
func (r *run) elapsed() float64 { return r.loop.Elapsed + time.Since(r.start).Seconds() }

func (r *run) interrupt(last Stats) (Result, error) {
	if r.Out != "" {
		if err := r.saveLast(); err != nil {
			return r.result(last), err
		}
	}
	return r.result(last), fmt.Errorf("dpo: step %d: %w", r.loop.Step, ErrInterrupted)
}

// setup checks the trainer, computes or reads the reference log-probs and
// restores a checkpoint when resuming. A cancelled ctx stops the reference
// pass (there is no checkpoint to save yet).
func (t *Trainer) setup(ctx context.Context) (_ *run, err error) {
	cfg := t.Config
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case t.Policy == nil:
		return nil, errors.New("dpo: no policy")
	case len(t.Train) == 0:
		return nil, errors.New("dpo: no training pairs")
	case t.Resume && t.Out == "":
		return nil, errors.New("dpo: resume needs an output directory")
	}
	pc := t.Policy.Config
	if err := checkPairs(t.Train, pc.Context, pc.VocabSize, "training"); err != nil {
		return nil, err
	}
	if err := checkPairs(t.HeldOut, pc.Context, pc.VocabSize, "held-out"); err != nil {
		return nil, err
	}
	r := &run{Trainer: t, cfg: cfg, start: time.Now(), steps: cfg.TotalSteps(len(t.Train)), permPass: -1}
	if _, lora := t.Policy.LoRA(); t.Ref == nil && lora {
		r.Ref = t.Policy.Base() // the frozen base is the reference: no copy
	} else if t.Ref == nil {
		ref, err := t.Policy.Clone()
		if err != nil {
			return nil, fmt.Errorf("dpo: %w", err)
		}
		r.Ref = ref.Base() // frozen: no gradients, one layer's activations
	}
	if rc := r.Ref.Config; rc.VocabSize != pc.VocabSize || rc.Context < pc.Context {
		return nil, fmt.Errorf("dpo: the reference (V %d, T %d) does not fit the policy (V %d, T %d)", rc.VocabSize, rc.Context, pc.VocabSize, pc.Context)
	}
	if r.opt, err = model.NewOptimizer(r.Policy, cfg.adam()); err != nil {
		return nil, fmt.Errorf("dpo: %w", err)
	}
	key := refKey(r.Ref, t.Train, t.HeldOut)
	r.loop = loopState{RefKey: fmt.Sprintf("%x", key[:16]), Data: dataHash(t.Train, t.HeldOut)}
	resumeAt := -1
	if t.Resume {
		if err := r.restore(); err != nil {
			return nil, err
		}
		if err := outputs(t.Out).Unfinish(); err != nil { // running again: unfinished until Train marks it
			return nil, fmt.Errorf("dpo: %w", err)
		}
		resumeAt = r.loop.Step
	}
	if t.Out != "" {
		if !t.Resume {
			r.created = outputs(t.Out).Track()
			defer func() {
				if err != nil {
					if r.metrics != nil {
						r.metrics.Close()
					}
					r.created.Undo()
				}
			}()
		}
		if err := os.MkdirAll(t.Out, 0o755); err != nil {
			return nil, fmt.Errorf("dpo: %w", err)
		}
	}
	if err := r.loadRef(ctx, key); err != nil {
		return nil, err
	}
	if t.Out != "" {
		if err := os.WriteFile(filepath.Join(t.Out, ConfigFile), cfg.YAML(), 0o644); err != nil {
			return nil, fmt.Errorf("dpo: %w", err)
		}
		if r.metrics, err = trainkit.OpenLog(filepath.Join(t.Out, MetricsFile), "step", resumeAt); err != nil {
			return nil, fmt.Errorf("dpo: %w", err)
		}
	}
	r.klPrompts = klPrompts(t.HeldOut, cfg.KLPrompts, pc.Context)
	return r, nil
}

// loadRef reads the reference log-probs from the cache in Out when it was
// made from this reference and these pairs, and otherwise computes them
// (and writes the cache).
func (r *run) loadRef(ctx context.Context, key [32]byte) error {
	path := filepath.Join(r.Out, RefCacheFile)
	if r.Out != "" {
		train, held, ok, err := readRefCache(path, key, len(r.Train), len(r.HeldOut))
		if err != nil {
			return err
		}
		if ok {
			r.refTrain, r.refHeld, r.refReused = train, held, true
			r.note("reference log-probs read from " + path)
			return nil
		}
	}
	where := ""
	if r.Out != "" {
		where = "; cached in " + path
	}
	r.note(fmt.Sprintf("computing the reference log-probs of %d pairs, once%s", len(r.Train)+len(r.HeldOut), where))
	var err error
	if r.refTrain, err = refLogProbs(ctx, r.Ref, r.Train, r.cfg.BatchSize); err != nil {
		return err
	}
	if r.refHeld, err = refLogProbs(ctx, r.Ref, r.HeldOut, r.cfg.BatchSize); err != nil {
		return err
	}
	if r.Out == "" {
		return nil
	}
	return writeRefCache(path, key, r.refTrain, r.refHeld)
}

func (r *run) note(s string) {
	if r.Note != nil {
		r.Note(s)
	}
}

func (r *run) warn(s string) {
	if r.Warn != nil {
		r.Warn(s)
	}
}
