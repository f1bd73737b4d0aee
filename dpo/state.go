package dpo

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/internal/trainkit"
)

// loopState is the trainer's own part of a checkpoint. With the policy, its
// optimizer and the seed (the pair order and the KL samples are functions
// of the seed and the step) it makes a resumed run identical to one that
// never stopped.
type loopState struct {
	Step         int                `json:"step"`          // steps completed
	Stop         trainkit.StopState `json:"stop"`          // early stopping; its best is the policy in Out
	TrainCorrect float64            `json:"train_correct"` // training pairs won since the last evaluation (ties ½)
	TrainPairs   int                `json:"train_pairs"`
	Elapsed      float64            `json:"elapsed"` // seconds over all runs up to the checkpoint
	RefKey       string             `json:"ref_key"` // of the reference and the pairs, to catch another reference on resume
	Data         string             `json:"data"`    // of the pairs and their labels, to catch other data on resume
}

// saveLast writes the resumable checkpoint of the steps completed to
// Out/last; checkpoint.SaveTrainState commits it with one atomic rename.
func (r *run) saveLast() error {
	st := checkpoint.CaptureTrainState(r.Policy, r.opt)
	lp := r.loop
	lp.Elapsed = r.elapsed()
	meta, err := json.Marshal(lp)
	if err != nil {
		return fmt.Errorf("dpo: save checkpoint: %w", err)
	}
	st.Step, st.Metrics = lp.Step, meta
	if err := checkpoint.SaveTrainState(filepath.Join(r.Out, LastDir), st); err != nil {
		return fmt.Errorf("dpo: save checkpoint: %w", err)
	}
	r.created = nil // resumable from here on: a failure keeps the run
	return nil
}

// restore loads Out/last into the policy, the optimizer and the loop state.
func (r *run) restore() error {
	dir := filepath.Join(r.Out, LastDir)
	st, err := checkpoint.LoadTrainState(dir)
	if err != nil {
		return fmt.Errorf("dpo: resume: %w", err)
	}
	var lp loopState
	if err := json.Unmarshal(st.Metrics, &lp); err != nil {
		return fmt.Errorf("dpo: resume: %s: loop state: %w", dir, err)
	}
	m := r.Policy
	switch {
	case st.Config != m.Config:
		return fmt.Errorf("dpo: resume: %s holds a %+v model, not %+v", dir, st.Config, m.Config)
	case st.AdamW != r.opt.Config:
		return fmt.Errorf("dpo: resume: the optimizer settings changed since the checkpoint (%+v, now %+v)", st.AdamW, r.opt.Config)
	case len(st.Params) != len(m.TrainableParams()):
		return fmt.Errorf("dpo: resume: %s has %d parameters, not %d", dir, len(st.Params), len(m.TrainableParams()))
	case lp.RefKey != r.loop.RefKey:
		return fmt.Errorf("dpo: resume: the reference policy or the pairs differ from those of the checkpoint in %s (pass the same --policy, --reference, --data, --heldout and max_len)", dir)
	case lp.Data != r.loop.Data:
		return fmt.Errorf("dpo: resume: the preference labels differ from those of the checkpoint in %s", dir)
	case lp.Step != st.Step || lp.Step > r.steps:
		return fmt.Errorf("dpo: resume: the checkpoint is at step %d, beyond the run's %d steps", lp.Step, r.steps)
	}
	if err := st.RestoreInto(m, r.opt); err != nil {
		return fmt.Errorf("dpo: resume: %s: %w", dir, err)
	}
	r.loop = lp
	return nil
}

// saveBest keeps the policy as the best so far: in Out as a Hugging Face
// directory, or in memory without Out.
func (r *run) saveBest() error {
	if r.Out == "" {
		r.best = slices.Clone(r.Policy.TrainableParams())
		return nil
	}
	opt := checkpoint.HFOptions{Align: checkpoint.AlignConfig{Kind: checkpoint.KindPolicy, Stage: "dpo"}}
	if err := checkpoint.SaveHF(r.Out, r.Policy, r.Tokenizer, opt); err != nil {
		return fmt.Errorf("dpo: save policy: %w", err)
	}
	if _, lora := r.Policy.LoRA(); lora {
		if err := checkpoint.SaveRunAdapter(r.Out, r.Policy, r.Base); err != nil {
			return fmt.Errorf("dpo: save adapter: %w", err)
		}
	}
	return nil
}

// finish saves the last checkpoint and leaves the best policy in Out and in
// Policy: with held-out pairs the parameters of the best evaluation (they
// differ from the last ones after early stopping or a late decline),
// without them the last parameters.
func (r *run) finish() error {
	if r.Out != "" {
		if err := r.saveLast(); err != nil {
			return err
		}
	}
	lp := r.loop
	switch {
	case lp.Stop.Best == nil:
		return r.saveBest()
	case lp.Stop.BestStep == lp.Step:
		return nil // the last evaluation was the best and is saved
	case r.Out == "":
		copy(r.Policy.TrainableParams(), r.best)
		return nil
	}
	if _, lora := r.Policy.LoRA(); lora {
		// Out holds the best policy merged; its adapters are beside it.
		if err := checkpoint.ReloadRunAdapter(r.Out, r.Policy); err != nil {
			return fmt.Errorf("dpo: restore best policy: %w", err)
		}
		return nil
	}
	hm, err := checkpoint.LoadHF(r.Out)
	if err != nil {
		return fmt.Errorf("dpo: restore best policy: %w", err)
	}
	if hm.Model.Config != r.Policy.Config {
		return fmt.Errorf("dpo: restore best policy: %s holds a %+v model, not %+v", r.Out, hm.Model.Config, r.Policy.Config)
	}
	copy(r.Policy.Params(), hm.Model.Params())
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
