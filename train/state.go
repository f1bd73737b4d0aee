package train

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// saveLast writes the resumable checkpoint of the current step to
// Out/last. checkpoint.SaveTrainState commits it with one atomic rename, so
// a kill at any moment leaves either this checkpoint or the previous one.
func (r *run) saveLast() error {
	st := checkpoint.CaptureTrainState(r.Model, r.opt)
	st.Step = r.step
	lp := r.loop
	lp.Elapsed += timeSince(r.start)
	b, err := json.Marshal(lp)
	if err != nil {
		return fmt.Errorf("train: save checkpoint: %w", err)
	}
	st.Metrics = b
	st.Data = []byte(fmt.Sprintf(`{"rows_dealt":%d}`, r.sampler.pos))
	if err := checkpoint.SaveTrainState(filepath.Join(r.Out, LastDir), st); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	r.created = nil // resumable from here on: a failure keeps the run
	return nil
}

// saveBest writes the model and tokenizer to Out as a Hugging Face directory.
func (r *run) saveBest() error {
	opt := checkpoint.HFOptions{Align: checkpoint.AlignConfig{Kind: checkpoint.KindPolicy, Stage: r.Stage}}
	if err := checkpoint.SaveHF(r.Out, r.Model, r.Tokenizer, opt); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if r.hasLoRA() {
		if err := checkpoint.SaveRunAdapter(r.Out, r.Model, r.Base); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	return nil
}

// hasLoRA reports whether the run trains adapters.
func (r *run) hasLoRA() bool {
	_, ok := r.Model.LoRA()
	return ok
}

// restore loads Out/last into the model, the optimizer and the loop state.
func (r *run) restore() error {
	dir := filepath.Join(r.Out, LastDir)
	st, err := checkpoint.LoadTrainState(dir)
	if err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	if st.Config != r.Model.Config {
		return fmt.Errorf("train: resume: %s holds a %+v model, not %+v", dir, st.Config, r.Model.Config)
	}
	if st.AdamW != r.opt.Config {
		return fmt.Errorf("train: resume: the optimizer settings changed since the checkpoint (%+v, now %+v)", st.AdamW, r.opt.Config)
	}
	var lp loopState
	if err := json.Unmarshal(st.Metrics, &lp); err != nil {
		return fmt.Errorf("train: resume: %s: loop state: %w", dir, err)
	}
	if lp.RowsHash != r.loop.RowsHash {
		return fmt.Errorf("train: resume: the training data differs from that of the checkpoint in %s", dir)
	}
	if st.Step > r.Config.Steps {
		return fmt.Errorf("train: resume: the checkpoint is at step %d, beyond steps %d", st.Step, r.Config.Steps)
	}
	if st.LoRA != nil || r.hasLoRA() {
		if err := st.RestoreInto(r.Model, r.opt); err != nil {
			return fmt.Errorf("train: resume: %s: %w", dir, err)
		}
	} else {
		copy(r.Model.Params(), st.Params)
		copy(r.opt.M, st.M)
		copy(r.opt.V, st.V)
		r.opt.StepCount = st.AdamSteps
	}
	r.step = st.Step
	r.loop = lp
	return nil
}

// ResumeModel loads the model and tokenizer of the checkpoint in
// out/last, for a caller that resumes a run (set Trainer.Resume) and needs a
// model of the right shape to hand the trainer. The tokenizer is nil when
// the run had none.
func ResumeModel(out string) (*model.Model, *tokenizer.Tokenizer, error) {
	dir := filepath.Join(out, LastDir)
	st, err := checkpoint.LoadTrainState(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("resume: no checkpoint in %s: %w", dir, err)
		}
		return nil, nil, fmt.Errorf("resume: %w", err)
	}
	m, _, err := st.Restore()
	if err != nil {
		return nil, nil, fmt.Errorf("resume: %w", err)
	}
	var tok *tokenizer.Tokenizer
	if p := filepath.Join(dir, checkpoint.HFTokenizerFile); fileExists(p) {
		if tok, err = tokenizer.Load(p); err != nil {
			return nil, nil, fmt.Errorf("resume: %w", err)
		}
	}
	return m, tok, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// hash fingerprints the rows (tokens and weights).
func (r *Rows) hash() uint64 {
	h := fnv.New64a()
	buf := make([]byte, 0, 4096)
	put := func(v uint32) {
		buf = binary.LittleEndian.AppendUint32(buf, v)
		if len(buf) == cap(buf) {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	put(uint32(r.T))
	for _, t := range r.Tokens {
		put(uint32(t))
	}
	for _, w := range r.Weights {
		put(math.Float32bits(w))
	}
	h.Write(buf)
	return h.Sum64()
}

func timeSince(t time.Time) float64 { return time.Since(t).Seconds() }
