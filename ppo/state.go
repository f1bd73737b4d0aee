package ppo

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/model"
)

// loopState is the trainer's own part of a checkpoint. With both models,
// both optimizers and the random stream it makes a resumed run identical to
// one that never stopped.
type loopState struct {
	Iteration int          `json:"iteration"` // iterations completed
	KL        KLController `json:"kl"`
	Lagrange  Lagrangian   `json:"lagrange"`
	Elapsed   float64      `json:"elapsed"`  // seconds over all runs up to the checkpoint
	RefHash   uint64       `json:"ref_hash"` // of the reference parameters, to catch another reference on resume
	Prompts   uint64       `json:"prompts"`  // of the prompts, to catch other prompts on resume
	Dir       string       `json:"dir"`      // the subdirectory of last/ holding the models
}

// The checkpoint in Out/last: it-NNNNNN/{policy,value} hold the two train
// states (policy alone with a group advantage) and state.json, replaced atomically after both are written, names
// the complete pair. A crash at any point leaves state.json naming a
// complete checkpoint, the new one or the one before.
const (
	stateFile = "state.json"
	policySub = "policy"
	valueSub  = "value"
)

// saveLast writes the resumable checkpoint of the iterations completed.
func (r *run) saveLast() error {
	last := filepath.Join(r.Out, LastDir)
	lp := r.loop
	lp.Elapsed = r.elapsed()
	lp.Dir = fmt.Sprintf("it-%06d", lp.Iteration)
	meta, err := json.Marshal(lp)
	if err != nil {
		return fmt.Errorf("ppo: save checkpoint: %w", err)
	}
	dir := filepath.Join(last, lp.Dir)
	ps := checkpoint.CaptureTrainState(r.Policy, r.popt)
	ps.Step, ps.RNG, ps.Metrics = lp.Iteration, r.pcg, meta
	if err := checkpoint.SaveTrainState(filepath.Join(dir, policySub), ps); err != nil {
		return fmt.Errorf("ppo: save checkpoint: %w", err)
	}
	if r.Value != nil {
		vs := checkpoint.CaptureTrainState(r.Value, r.vopt)
		vs.Step = lp.Iteration
		if err := checkpoint.SaveTrainState(filepath.Join(dir, valueSub), vs); err != nil {
			return fmt.Errorf("ppo: save checkpoint: %w", err)
		}
	}
	err = checkpoint.WriteFileAtomic(filepath.Join(last, stateFile), func(w io.Writer) error {
		_, err := w.Write(append(meta, '\n'))
		return err
	})
	if err != nil {
		return fmt.Errorf("ppo: save checkpoint: %w", err)
	}
	r.created = nil // resumable from here on: a failure keeps the run
	// Older checkpoints are no longer named: remove them.
	entries, _ := os.ReadDir(last)
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "it-") && e.Name() != lp.Dir {
			os.RemoveAll(filepath.Join(last, e.Name()))
		}
	}
	return nil
}

// restore loads Out/last into the models, optimizers, random stream and
// loop state.
func (r *run) restore() error {
	last := filepath.Join(r.Out, LastDir)
	data, err := os.ReadFile(filepath.Join(last, stateFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("ppo: resume: no checkpoint in %s: %w", last, err)
		}
		return fmt.Errorf("ppo: resume: %w", err)
	}
	var lp loopState
	if err := json.Unmarshal(data, &lp); err != nil {
		return fmt.Errorf("ppo: resume: %s: %w", filepath.Join(last, stateFile), err)
	}
	switch {
	case lp.RefHash != r.loop.RefHash:
		return fmt.Errorf("ppo: resume: the reference policy differs from that of the checkpoint in %s (pass the same --policy and --reference)", last)
	case lp.Prompts != r.loop.Prompts:
		return fmt.Errorf("ppo: resume: the prompts differ from those of the checkpoint in %s", last)
	case lp.Iteration > r.cfg.Iterations:
		return fmt.Errorf("ppo: resume: the checkpoint is at iteration %d, beyond iterations %d", lp.Iteration, r.cfg.Iterations)
	case lp.Dir == "" || strings.ContainsAny(lp.Dir, `/\`):
		return fmt.Errorf("ppo: resume: %s names no checkpoint directory", filepath.Join(last, stateFile))
	}
	dir := filepath.Join(last, lp.Dir)
	ps, err := loadState(filepath.Join(dir, policySub), r.Policy, r.popt, lp.Iteration)
	if err != nil {
		return err
	}
	if ps.RNG == nil {
		return fmt.Errorf("ppo: resume: %s has no random state", filepath.Join(dir, policySub))
	}
	*r.pcg = *ps.RNG
	if r.Value != nil {
		if _, err := loadState(filepath.Join(dir, valueSub), r.Value, r.vopt, lp.Iteration); err != nil {
			return err
		}
	}
	r.loop = lp
	return nil
}

// loadState restores one model and its optimizer from dir.
func loadState(dir string, m *model.Model, opt *model.Optimizer, iteration int) (*checkpoint.TrainState, error) {
	st, err := checkpoint.LoadTrainState(dir)
	if err != nil {
		return nil, fmt.Errorf("ppo: resume: %w", err)
	}
	switch {
	case st.Config != m.Config:
		return nil, fmt.Errorf("ppo: resume: %s holds a %+v model, not %+v", dir, st.Config, m.Config)
	case st.AdamW != opt.Config:
		return nil, fmt.Errorf("ppo: resume: the optimizer settings changed since the checkpoint (%+v, now %+v)", st.AdamW, opt.Config)
	case st.Step != iteration:
		return nil, fmt.Errorf("ppo: resume: %s is at iteration %d, not %d", dir, st.Step, iteration)
	case len(st.Params) != len(m.TrainableParams()):
		return nil, fmt.Errorf("ppo: resume: %s has %d parameters, not %d", dir, len(st.Params), len(m.TrainableParams()))
	}
	if err := st.RestoreInto(m, opt); err != nil {
		return nil, fmt.Errorf("ppo: resume: %s: %w", dir, err)
	}
	return st, nil
}

// finish saves the final policy (with its tokenizer) to Out as a Hugging
// Face directory, the value model (if any) to Out/value, and the last
// checkpoint.
func (r *run) finish() error {
	if r.Out == "" {
		return nil
	}
	if err := r.saveLast(); err != nil {
		return err
	}
	opt := checkpoint.HFOptions{Align: checkpoint.AlignConfig{Kind: checkpoint.KindPolicy, Stage: r.cfg.stage()}}
	if err := checkpoint.SaveHF(r.Out, r.Policy, r.Tokenizer, opt); err != nil {
		return fmt.Errorf("ppo: save policy: %w", err)
	}
	if _, lora := r.Policy.LoRA(); lora {
		if err := checkpoint.SaveRunAdapter(r.Out, r.Policy, r.Base); err != nil {
			return fmt.Errorf("ppo: save adapter: %w", err)
		}
	}
	if r.Value == nil {
		return nil
	}
	vopt := checkpoint.HFOptions{Align: checkpoint.AlignConfig{Kind: checkpoint.KindValue, Stage: "ppo-value", HeadNames: []string{"value"}}}
	if r.Value.Config.ScalarHeads != 1 {
		vopt.Align.HeadNames = nil
	}
	if err := checkpoint.SaveHF(filepath.Join(r.Out, ValueDir), r.Value, r.Tokenizer, vopt); err != nil {
		return fmt.Errorf("ppo: save value model: %w", err)
	}
	return nil
}

// hashParams fingerprints a parameter buffer.
func hashParams(p []float32) uint64 {
	h := fnv.New64a()
	buf := make([]byte, 0, 1<<14)
	for _, v := range p {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		if len(buf) == cap(buf) {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	h.Write(buf)
	return h.Sum64()
}

// hashPrompts fingerprints the prompts (texts and ids).
func hashPrompts(ps []Prompt) uint64 {
	h := fnv.New64a()
	var buf []byte
	for _, p := range ps {
		buf = binary.LittleEndian.AppendUint32(buf[:0], uint32(len(p.Text)))
		buf = append(buf, p.Text...)
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(p.IDs)))
		for _, id := range p.IDs {
			buf = binary.LittleEndian.AppendUint32(buf, uint32(id))
		}
		h.Write(buf)
	}
	return h.Sum64()
}
