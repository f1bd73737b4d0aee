package ppo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/align-project/align/internal/outguard"
	"github.com/align-project/align/internal/trainkit"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// Files and directories of an output directory.
const (
	ConfigFile  = "config.yaml"   // the effective config
	MetricsFile = "metrics.jsonl" // one Stats line per iteration
	SamplesFile = "samples.jsonl" // SampleRow lines every SampleEvery iterations
	LastDir     = "last"          // the resumable checkpoint
	ValueDir    = "value"         // the value model, beside the policy
)

// ErrInterrupted is returned (wrapped) by Run when its context is
// cancelled; the checkpoint it saved lets Resume continue exactly.
var ErrInterrupted = errors.New("ppo interrupted")

// ErrDiverged is returned (wrapped) when a gradient becomes NaN or infinite.
var ErrDiverged = errors.New("ppo diverged")

// Prompt is one training prompt: the text the reward source sees and the
// token ids the policy continues (the prompt rendered with the chat
// template and its generation header, so IDs may say more than Text).
type Prompt struct {
	Text string
	IDs  []int32
	// Harmful marks a prompt that asks for harm (tagged "harmful" in its
	// prompts file): the refusal statistics are split on it.
	Harmful bool
}

// Trainer runs PPO. Set the fields, then call Run once.
type Trainer struct {
	Config Config
	// Policy is trained in place. It starts as the SFT model; on Resume its
	// parameters are replaced by the checkpoint's (after Ref is copied).
	Policy *model.Model
	// Ref is the frozen reference policy for the KL penalty; nil means a
	// copy of Policy as given.
	Ref *model.Model
	// Value is the value model (head 0 is read); nil means
	// NewValueModel(Policy, 0), or with a LoRA policy one that shares the
	// policy's frozen base (NewLoRAValueModel). Build it from the reward
	// model with NewValueModel (NewLoRAValueModel for a LoRA policy) when
	// there is one. It is trained in place; a full value model given with
	// a LoRA policy gets adapters of its own. A group advantage
	// (Config.Advantage grpo, rloo, dr_grpo) has none: leave it nil.
	Value  *model.Model
	Reward RewardSource
	// Prompts are drawn BatchSize at a time in a shuffled order, reshuffled
	// on every pass; each is answered GroupSize times.
	Prompts []Prompt
	// StopTokens end a response (the EOS); a response keeps its stop token.
	StopTokens []int32
	// Decode turns response ids (without the stop token) into the text the
	// reward source sees; nil means Tokenizer's decoding.
	Decode func(ids []int32) string
	// Tokenizer is saved with the final policy and decodes responses when
	// Decode is nil; may be nil when Decode is set.
	Tokenizer *tokenizer.Tokenizer
	// Out is the output directory: config.yaml, metrics.jsonl,
	// samples.jsonl, last/ (resumable), the final policy as a Hugging Face
	// directory and value/. Empty means nothing is written.
	Out    string
	Resume bool // continue from Out/last
	// Base is the policy directory the run started from; a LoRA run names
	// it in Out/adapter as the model its adapters belong to.
	Base string

	// Progress, if set, gets the stats of every iteration.
	Progress func(Stats)
	// Samples, if set, gets each sample table (every SampleEvery iterations).
	Samples func(rows []SampleRow)
	// AfterIteration, if set, is called after each iteration is complete
	// (logged and checkpointed as due); tests interrupt runs with it.
	AfterIteration func(iteration int)
}

// Result summarises a finished or interrupted run.
type Result struct {
	Iterations int   // completed, over all resumed runs
	Last       Stats // of the last iteration of this run
	Elapsed    time.Duration
	Config     Config // the run's settings
	Out        string // the output directory ("" = nothing written)
}

// run is the state of one Run call.
type run struct {
	*Trainer
	cfg        Config
	popt, vopt *model.Optimizer
	pcg        *rand.PCG
	rng        *rand.Rand
	loop       loopState
	metrics    *trainkit.Log
	samples    *trainkit.Log
	start      time.Time
	perms      map[int][]int // prompt order of the latest pass over the prompts, by pass (one kept)
	// created is what a fresh run made in Out, removed if it fails before
	// its first checkpoint; nil once one is saved, on Resume and without Out.
	created *outguard.Created
}

// Run trains for Config.Iterations iterations (minus those a resumed
// checkpoint has done) or until ctx is cancelled, which saves a checkpoint
// and returns an error wrapping ErrInterrupted.
func (t *Trainer) Run(ctx context.Context) (_ Result, err error) {
	r, err := t.setup()
	if err != nil {
		return Result{}, err
	}
	defer func() {
		r.close()
		if err != nil {
			r.created.Undo() // failed before its first checkpoint: nothing to resume, leave Out as found
		}
	}()
	var last Stats
	for r.loop.Iteration < r.cfg.Iterations {
		if err := ctx.Err(); err != nil {
			return r.interrupt(last)
		}
		snapshot := *r.pcg
		st, err := r.iteration(ctx)
		if err != nil {
			if ctx.Err() != nil && !errors.Is(err, ErrDiverged) {
				*r.pcg = snapshot // the rollout is dropped: resume redraws it
				return r.interrupt(last)
			}
			return r.result(last), err
		}
		last = st
		if err := r.log(st); err != nil {
			return r.result(last), err
		}
		it := r.loop.Iteration
		if r.Out != "" && r.cfg.SaveEvery > 0 && it%r.cfg.SaveEvery == 0 && it < r.cfg.Iterations {
			if err := r.saveLast(); err != nil {
				return r.result(last), err
			}
		}
		if r.AfterIteration != nil {
			r.AfterIteration(it)
		}
	}
	if err := r.finish(); err != nil {
		return r.result(last), err
	}
	return r.result(last), nil
}

func (r *run) result(last Stats) Result {
	return Result{Iterations: r.loop.Iteration, Last: last, Elapsed: time.Duration(r.elapsed() * float64(time.Second)), Config: r.cfg, Out: r.Out}
}

// elapsed is the training time over all resumed runs, in seconds.
func (r *run) elapsed() float64 { return r.loop.Elapsed + time.Since(r.start).Seconds() }

func (r *run) interrupt(last Stats) (Result, error) {
	if r.Out != "" {
		if err := r.saveLast(); err != nil {
			return r.result(last), err
		}
	}
	return r.result(last), fmt.Errorf("ppo: iteration %d: %w", r.loop.Iteration, ErrInterrupted)
}

// setup checks the trainer, builds what is missing and restores a
// checkpoint when resuming.
func (t *Trainer) setup() (_ *run, err error) {
	cfg := t.Config
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case t.Policy == nil:
		return nil, errors.New("ppo: no policy")
	case t.Reward == nil:
		return nil, errors.New("ppo: no reward source")
	case len(t.Prompts) == 0:
		return nil, errors.New("ppo: no prompts")
	case t.Decode == nil && t.Tokenizer == nil:
		return nil, errors.New("ppo: neither a tokenizer nor a decode function for the responses")
	case t.Resume && t.Out == "":
		return nil, errors.New("ppo: resume needs an output directory")
	}
	pc := t.Policy.Config
	for i, p := range t.Prompts {
		if len(p.IDs) == 0 {
			return nil, fmt.Errorf("ppo: prompt %d has no tokens", i)
		}
		if len(p.IDs) >= pc.Context {
			return nil, fmt.Errorf("ppo: prompt %d has %d tokens, leaving no room for a response in the context of %d", i, len(p.IDs), pc.Context)
		}
		for _, id := range p.IDs {
			if id < 0 || int(id) >= pc.VocabSize {
				return nil, fmt.Errorf("ppo: prompt %d: token %d outside the vocabulary of %d", i, id, pc.VocabSize)
			}
		}
	}
	r := &run{Trainer: t, cfg: cfg, start: time.Now(), perms: map[int][]int{}}
	lora, hasLoRA := t.Policy.LoRA()
	if t.Ref == nil && hasLoRA {
		r.Ref = t.Policy.Base() // the frozen base is the reference: no copy
	} else if t.Ref == nil {
		ref, err := t.Policy.Clone()
		if err != nil {
			return nil, fmt.Errorf("ppo: %w", err)
		}
		r.Ref = ref.Base() // frozen: no gradients, one layer's activations
	}
	if rc := r.Ref.Config; rc.VocabSize != pc.VocabSize || rc.Context < pc.Context {
		return nil, fmt.Errorf("ppo: the reference (V %d, T %d) does not fit the policy (V %d, T %d)", rc.VocabSize, rc.Context, pc.VocabSize, pc.Context)
	}
	if cfg.Advantage.group() {
		if t.Value != nil {
			return nil, fmt.Errorf("ppo: advantage %s has no value model: leave Trainer.Value nil", cfg.Advantage)
		}
	} else {
		if t.Value == nil && hasLoRA {
			// The policy's frozen base serves the critic too, shared: it
			// trains adapters and a head of its own (a zero head, as
			// NewValueModel's), drawn as AddLoRA below would draw them.
			v, err := NewLoRAValueModel(t.Policy, 0, lora, valueLoRASeed(cfg))
			if err != nil {
				return nil, err
			}
			r.Value = v
		} else if t.Value == nil {
			v, err := NewValueModel(t.Policy, 0)
			if err != nil {
				return nil, err
			}
			r.Value = v
		}
		if _, has := r.Value.LoRA(); hasLoRA && !has {
			// The critic trains adapters too (and its head), or it alone
			// would hold a full model's gradients and moments.
			if err := r.Value.AddLoRA(lora, valueLoRASeed(cfg)); err != nil {
				return nil, fmt.Errorf("ppo: value model: %w", err)
			}
		}
		vc := r.Value.Config
		if vc.ScalarHeads < 1 || vc.VocabSize != pc.VocabSize || vc.Context < pc.Context {
			return nil, fmt.Errorf("ppo: the value model (V %d, T %d, %d heads) does not fit the policy (V %d, T %d)", vc.VocabSize, vc.Context, vc.ScalarHeads, pc.VocabSize, pc.Context)
		}
	}
	if r.popt, err = model.NewOptimizer(r.Policy, cfg.adam()); err != nil {
		return nil, fmt.Errorf("ppo: %w", err)
	}
	if r.Value != nil {
		if r.vopt, err = model.NewOptimizer(r.Value, cfg.adam()); err != nil {
			return nil, fmt.Errorf("ppo: %w", err)
		}
	}
	r.pcg = rand.NewPCG(cfg.Seed, 0x70706f) // "ppo"
	r.rng = rand.New(r.pcg)
	r.loop = loopState{
		KL:       NewKLController(cfg),
		Lagrange: Lagrangian{Lambda: cfg.LambdaInit, Limit: cfg.CostLimit, LR: cfg.LambdaLR, Max: cfg.LambdaMax},
		RefHash:  hashParams(r.Ref.Params()),
		Prompts:  hashPrompts(t.Prompts),
	}
	resumeAt := -1
	if t.Resume {
		if err := r.restore(); err != nil {
			return nil, err
		}
		if err := outputs(t.Out).Unfinish(); err != nil { // running again: unfinished until Train marks it
			return nil, fmt.Errorf("ppo: %w", err)
		}
		resumeAt = r.loop.Iteration
	}
	if t.Out != "" {
		if !t.Resume {
			r.created = outputs(t.Out).Track()
			defer func() {
				if err != nil {
					r.close()
					r.created.Undo()
				}
			}()
		}
		if err := os.MkdirAll(t.Out, 0o755); err != nil {
			return nil, fmt.Errorf("ppo: %w", err)
		}
		if err := os.WriteFile(filepath.Join(t.Out, ConfigFile), cfg.YAML(), 0o644); err != nil {
			return nil, fmt.Errorf("ppo: %w", err)
		}
		if r.metrics, err = trainkit.OpenLog(filepath.Join(t.Out, MetricsFile), "iteration", resumeAt); err != nil {
			return nil, fmt.Errorf("ppo: %w", err)
		}
		if r.samples, err = trainkit.OpenLog(filepath.Join(t.Out, SamplesFile), "iteration", resumeAt); err != nil {
			return nil, fmt.Errorf("ppo: %w", err)
		}
	}
	return r, nil
}

func (r *run) close() {
	if r.metrics != nil {
		r.metrics.Close()
	}
	if r.samples != nil {
		r.samples.Close()
	}
}

// decode returns the text of response ids, stop token removed.
func (r *run) decode(ids []int32) string {
	if r.Decode != nil {
		return r.Decode(ids)
	}
	ints := make([]int, len(ids))
	for i, id := range ids {
		ints[i] = int(id)
	}
	// A policy whose vocabulary is larger than the tokenizer's can sample
	// ids that name no token: they are skipped, and the reward source judges
	// the rest of the response (Decode would give "" for all of it).
	return string(r.Tokenizer.AppendDecoded(nil, ints...))
}

// batchPrompts returns the indices of the prompts of an iteration (0-based):
// its BatchSize prompts are positions iteration·BatchSize onwards of the
// endless sequence of passes over the prompts, and pass k is a permutation
// drawn from the seed and k, so the order needs no state and a resumed run
// draws the same prompts.
func (r *run) batchPrompts(iteration int) []int {
	n, B := len(r.Prompts), r.cfg.BatchSize
	out := make([]int, B)
	for k := range out {
		g := iteration*B + k
		pass := g / n
		perm, ok := r.perms[pass]
		if !ok {
			perm = rand.New(rand.NewPCG(r.cfg.Seed, uint64(pass)+1)).Perm(n)
			clear(r.perms)
			r.perms[pass] = perm
		}
		out[k] = perm[g%n]
	}
	return out
}

// iteration runs one rollout and update, advancing the loop state.
func (r *run) iteration(ctx context.Context) (Stats, error) {
	t0 := time.Now()
	it := r.loop.Iteration
	st := Stats{Iteration: it + 1, Iterations: r.cfg.Iterations, Beta: r.loop.KL.Beta, Lambda: r.loop.Lagrange.Lambda}
	ro, err := r.rollout(ctx, r.batchPrompts(it), &st)
	if err != nil {
		return st, err
	}
	t := time.Now()
	if err := r.update(ro, &st); err != nil {
		return st, err
	}
	st.TimeUpdate = time.Since(t).Seconds()

	r.loop.KL.Update(st.KL, ro.n)
	if r.cfg.Constraint {
		r.loop.Lagrange.Update(st.Cost)
	}
	r.loop.Iteration++
	st.TimeIter = time.Since(t0).Seconds()
	st.Elapsed = r.elapsed()
	if r.cfg.SampleEvery > 0 && r.cfg.SampleRows > 0 && (it%r.cfg.SampleEvery == 0 || r.loop.Iteration == r.cfg.Iterations) {
		if err := r.sampleTable(ro); err != nil {
			return st, err
		}
	}
	return st, nil
}

// log writes the iteration's metrics line and reports progress.
func (r *run) log(st Stats) error {
	if r.metrics != nil {
		if err := r.metrics.Write(st); err != nil {
			return fmt.Errorf("ppo: write metrics: %w", err)
		}
	}
	if r.Progress != nil {
		r.Progress(st)
	}
	return nil
}

func (r *run) sampleTable(ro *rollout) error {
	G := r.cfg.GroupSize // one response per group: different prompts
	rows := make([]SampleRow, min(r.cfg.SampleRows, ro.n/G))
	for row := range rows {
		i := row * G
		var kl float64
		for _, k := range ro.kl[i] {
			kl += float64(k)
		}
		rows[row] = SampleRow{
			Iteration: r.loop.Iteration,
			Prompt:    r.Prompts[ro.prompts[i]].Text,
			Response:  ro.texts[i],
			Reward:    ro.scores[i].Reward,
			Score:     ro.score[i],
			Cost:      ro.scores[i].Cost,
			KL:        kl,
			EOS:       ro.stopped[i],
		}
	}
	if r.samples != nil {
		for _, row := range rows {
			if err := r.samples.Write(row); err != nil {
				return fmt.Errorf("ppo: write samples: %w", err)
			}
		}
	}
	if r.Samples != nil {
		r.Samples(rows)
	}
	return nil
}
