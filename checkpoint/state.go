package checkpoint

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/align-project/align/model"
)

// TrainState is everything a training loop needs to resume exactly where it
// stopped: the same parameters, optimizer moments, random stream and data
// position give bit-identical steps and losses afterwards (for the same
// thread count, as the model promises).
//
// For a model with LoRA adapters, LoRA is set and Params holds only the
// adapters and, for a reward or value model, its trainable scalar heads
// (model.TrainableParams, LoRA.NumParams(Config) values): the base weights
// do not change during the run, so the trainer reloads them from where it
// first read them and RestoreInto puts the adapters, heads and their
// moments back.
type TrainState struct {
	Config model.Config
	LoRA   *model.LoRAConfig // the adapters, or nil for a full model
	Params []float32         // the trainable parameters (model.TrainableParams)

	AdamW     model.AdamWConfig
	M, V      []float32 // the optimizer's moments, laid out like Params
	AdamSteps int       // Optimizer.StepCount: updates applied

	Step    int             // the trainer's step counter (may differ from AdamSteps)
	RNG     *mrand.PCG      // the trainer's random stream; nil if it has none
	Data    []byte          // opaque data position (the trainer's own encoding)
	Metrics json.RawMessage // metrics so far, any JSON value; nil for none
}

// CaptureTrainState returns the state of a model and its optimizer; the
// slices share their buffers, so save it before the next step. Step, RNG,
// Data and Metrics are the caller's to fill in.
func CaptureTrainState(m *model.Model, opt *model.Optimizer) *TrainState {
	s := &TrainState{
		Config: m.Config, Params: m.TrainableParams(),
		AdamW: opt.Config, M: opt.M, V: opt.V, AdamSteps: opt.StepCount,
	}
	if lc, ok := m.LoRA(); ok {
		s.LoRA = &lc
	}
	return s
}

// numParams is the number of trainable parameters the state holds.
func (s *TrainState) numParams() (int, error) {
	if err := s.Config.Validate(); err != nil {
		return 0, err
	}
	if s.LoRA == nil {
		return s.Config.NumParams(), nil
	}
	if err := s.LoRA.Validate(s.Config); err != nil {
		return 0, err
	}
	return s.LoRA.NumParams(s.Config), nil
}

// RestoreInto puts the state's trainable parameters and optimizer state
// into m and opt, which must have the state's shape, adapters and AdamW
// settings (a LoRA run: its base model with the same adapters attached,
// e.g. by AddLoRA, and an optimizer made for it).
func (s *TrainState) RestoreInto(m *model.Model, opt *model.Optimizer) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("restore train state: %s", fmt.Sprintf(format, args...))
	}
	lc, hasLoRA := m.LoRA()
	switch {
	case s.Config != m.Config:
		return fail("the state holds a %+v model, not %+v", s.Config, m.Config)
	case (s.LoRA != nil) != hasLoRA:
		if hasLoRA {
			return fail("the state holds a full model, the model has LoRA adapters")
		}
		return fail("the state holds LoRA adapters (rank %d on %v), the model has none", s.LoRA.Rank, s.LoRA.Targets)
	case hasLoRA && (lc.Rank != s.LoRA.Rank || lc.Alpha != s.LoRA.Alpha || !slices.Equal(lc.Targets, s.LoRA.Canonical(s.Config).Targets)):
		return fail("the state's adapters (rank %d, alpha %v on %v) differ from the model's (rank %d, alpha %v on %v)",
			s.LoRA.Rank, s.LoRA.Alpha, s.LoRA.Targets, lc.Rank, lc.Alpha, lc.Targets)
	case s.AdamW != opt.Config:
		return fail("the optimizer settings changed since the checkpoint (%+v, now %+v)", s.AdamW, opt.Config)
	}
	n := len(m.TrainableParams())
	if len(s.Params) != n || len(s.M) != n || len(s.V) != n || len(opt.M) != n || len(opt.V) != n {
		return fail("%d parameters and %d/%d moments for a model of %d trainable parameters (optimizer %d)", len(s.Params), len(s.M), len(s.V), n, len(opt.M))
	}
	copy(m.TrainableParams(), s.Params)
	copy(opt.M, s.M)
	copy(opt.V, s.V)
	opt.StepCount = s.AdamSteps
	return nil
}

// Restore builds the model and optimizer the state describes. A LoRA state
// holds no base weights: load the base, attach the adapters and use
// RestoreInto.
func (s *TrainState) Restore() (*model.Model, *model.Optimizer, error) {
	if s.LoRA != nil {
		return nil, nil, errors.New("restore train state: the state holds LoRA adapters only; restore them onto their base model with RestoreInto")
	}
	m, err := model.New(s.Config, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("restore train state: %w", err)
	}
	n := len(m.Params())
	if len(s.Params) != n || len(s.M) != n || len(s.V) != n {
		return nil, nil, fmt.Errorf("restore train state: %d parameters and %d/%d moments for a model of %d", len(s.Params), len(s.M), len(s.V), n)
	}
	copy(m.Params(), s.Params)
	opt, err := model.NewOptimizer(m, s.AdamW)
	if err != nil {
		return nil, nil, fmt.Errorf("restore train state: %w", err)
	}
	copy(opt.M, s.M)
	copy(opt.V, s.V)
	opt.StepCount = s.AdamSteps
	return m, opt, nil
}

// A training-state directory holds data files and one manifest that names
// them. Saving writes new data files beside the old ones, then replaces the
// manifest atomically, then deletes the files it no longer names: a crash at
// any point leaves the manifest naming a complete set of files, old or new.
// Loading checks each file against the size and SHA-256 the manifest gives.
const (
	TrainStateManifest = "train_state.json"
	trainStateFormat   = "align-train-state"
	trainStateVersion  = 1
)

// stateManifest is train_state.json.
type stateManifest struct {
	Format    string            `json:"format"`
	Version   int               `json:"version"`
	Step      int               `json:"step"`
	Config    model.Config      `json:"model_config"`
	LoRA      *model.LoRAConfig `json:"lora,omitempty"`
	AdamW     adamWJSON         `json:"adamw"`
	AdamSteps int               `json:"adam_steps"`
	RNG       []byte            `json:"rng,omitempty"`  // PCG MarshalBinary, base64
	Data      []byte            `json:"data,omitempty"` // base64
	Metrics   json.RawMessage   `json:"metrics,omitempty"`
	Tensors   stateFile         `json:"tensors"` // params, adam_m, adam_v
}

type adamWJSON struct {
	Beta1       float32 `json:"beta1"`
	Beta2       float32 `json:"beta2"`
	Eps         float32 `json:"eps"`
	WeightDecay float32 `json:"weight_decay"`
	ClipNorm    float64 `json:"clip_norm"`
}

type stateFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// SaveTrainState writes s to dir (created if needed) so that LoadTrainState
// returns either it or, after a crash mid-save, the state saved before.
func SaveTrainState(dir string, s *TrainState) error {
	return saveTrainState(dir, s, nil)
}

// saveHooks lets tests fail a save at chosen points.
type saveHooks struct {
	wrap         func(io.Writer) io.Writer // wraps the tensor file's writer
	beforeCommit func() error              // runs before the manifest is replaced
}

func saveTrainState(dir string, s *TrainState, hooks *saveHooks) error {
	fail := func(err error) error { return fmt.Errorf("save train state %s: %w", dir, err) }
	n, err := s.numParams()
	if err != nil {
		return fail(err)
	}
	if len(s.Params) != n || len(s.M) != n || len(s.V) != n {
		return fail(fmt.Errorf("%d parameters and %d/%d moments for a model of %d", len(s.Params), len(s.M), len(s.V), n))
	}
	if s.Metrics != nil && !json.Valid(s.Metrics) {
		return fail(errors.New("metrics are not valid JSON"))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	man := stateManifest{
		Format: trainStateFormat, Version: trainStateVersion,
		Step: s.Step, Config: s.Config, LoRA: s.LoRA, AdamSteps: s.AdamSteps, Data: s.Data, Metrics: s.Metrics,
		AdamW: adamWJSON{s.AdamW.Beta1, s.AdamW.Beta2, s.AdamW.Eps, s.AdamW.WeightDecay, s.AdamW.ClipNorm},
	}
	if s.RNG != nil {
		b, err := s.RNG.MarshalBinary()
		if err != nil {
			return fail(err)
		}
		man.RNG = b
	}

	// A fresh, unique name: the old files stay untouched until the commit.
	var suffix [6]byte
	rand.Read(suffix[:])
	name := fmt.Sprintf("state-%08d-%s.safetensors", s.Step, hex.EncodeToString(suffix[:]))
	path := filepath.Join(dir, name)
	tensors := []Tensor{
		{Name: "params", Shape: []int{n}, Data: s.Params},
		{Name: "adam_m", Shape: []int{n}, Data: s.M},
		{Name: "adam_v", Shape: []int{n}, Data: s.V},
	}
	h := sha256.New()
	var size int64
	err = WriteFileAtomic(path, func(w io.Writer) error {
		cw := &countingWriter{w: io.MultiWriter(w, h)}
		var dst io.Writer = cw
		if hooks != nil && hooks.wrap != nil {
			dst = hooks.wrap(cw)
		}
		err := WriteSafetensors(dst, tensors, map[string]string{"format": trainStateFormat})
		size = cw.n
		return err
	})
	if err != nil {
		return fail(err)
	}
	man.Tensors = stateFile{Name: name, Size: size, SHA256: hex.EncodeToString(h.Sum(nil))}

	if hooks != nil && hooks.beforeCommit != nil {
		if err := hooks.beforeCommit(); err != nil {
			os.Remove(path)
			return fail(err)
		}
	}
	if err := writeJSONFile(filepath.Join(dir, TrainStateManifest), man); err != nil {
		os.Remove(path)
		return fail(err)
	}
	// Committed. Remove what the manifest no longer names, including the
	// leftovers of saves that crashed.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		n := e.Name()
		stale := strings.HasPrefix(n, "state-") && strings.HasSuffix(n, ".safetensors") && n != name
		tmp := strings.HasPrefix(n, ".state-") || strings.HasPrefix(n, "."+TrainStateManifest+".tmp-")
		if stale || tmp {
			os.Remove(filepath.Join(dir, n))
		}
	}
	return nil
}

// LoadTrainState reads the state SaveTrainState last committed to dir,
// checking the data file's size and checksum.
func LoadTrainState(dir string) (*TrainState, error) {
	mpath := filepath.Join(dir, TrainStateManifest)
	fail := func(format string, args ...any) error {
		return fmt.Errorf("load train state %s: %s", mpath, fmt.Sprintf(format, args...))
	}
	data, err := os.ReadFile(mpath)
	if err != nil {
		return nil, fmt.Errorf("load train state: %w", err)
	}
	var man stateManifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&man); err != nil {
		return nil, fail("%v", err)
	}
	if man.Format != trainStateFormat || man.Version != trainStateVersion {
		return nil, fail("format %q version %d, want %q version %d", man.Format, man.Version, trainStateFormat, trainStateVersion)
	}
	s := &TrainState{
		Config: man.Config, LoRA: man.LoRA, Step: man.Step, AdamSteps: man.AdamSteps, Data: man.Data, Metrics: man.Metrics,
		AdamW: model.AdamWConfig{Beta1: man.AdamW.Beta1, Beta2: man.AdamW.Beta2, Eps: man.AdamW.Eps,
			WeightDecay: man.AdamW.WeightDecay, ClipNorm: man.AdamW.ClipNorm},
	}
	if man.RNG != nil {
		s.RNG = &mrand.PCG{}
		if err := s.RNG.UnmarshalBinary(man.RNG); err != nil {
			return nil, fail("rng: %v", err)
		}
	}
	tf := man.Tensors
	if tf.Name == "" || filepath.Base(tf.Name) != tf.Name || strings.HasPrefix(tf.Name, ".") {
		return nil, fail("bad tensor file name %q", tf.Name)
	}
	tpath := filepath.Join(dir, tf.Name)
	sf, err := OpenSafetensors(tpath)
	if err != nil {
		return nil, fail("%v", err)
	}
	defer sf.Close()
	// The checksum covers the whole file: hash it through the open handle.
	h := sha256.New()
	size, err := io.Copy(h, io.NewSectionReader(sf.r, 0, 1<<62))
	if err != nil {
		return nil, fail("%s: %v", tf.Name, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); size != tf.Size || sum != tf.SHA256 {
		return nil, fail("%s has %d bytes with SHA-256 %s; the manifest says %d bytes, %s", tf.Name, size, sum, tf.Size, tf.SHA256)
	}
	n, err := s.numParams()
	if err != nil {
		return nil, fail("%v", err)
	}
	for _, t := range []struct {
		name string
		dst  *[]float32
	}{{"params", &s.Params}, {"adam_m", &s.M}, {"adam_v", &s.V}} {
		st, ok := sf.Tensor(t.name)
		if !ok || st.DType != "F32" || len(st.Shape) != 1 || st.Shape[0] != n {
			return nil, fail("%s: tensor %q is missing or not F32 [%d]", tf.Name, t.name, n)
		}
		*t.dst = make([]float32, n)
		if err := sf.ReadFloat32Into(t.name, *t.dst); err != nil {
			return nil, err
		}
	}
	return s, nil
}
