package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/align-project/align/dpo"
	"github.com/align-project/align/internal/sysinfo"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tensor"
)

// DPOSpec is a run of DPO steps and SFT steps on the same batch, timed in
// turn: Pairs random pairs, each a prompt of PromptLen tokens with a chosen
// and a rejected response of ResponseLen tokens. A DPO step trains on the
// pairs (reference log-probs cached, as in training); an SFT step trains a
// second policy of the same shape and seed on the Pairs (prompt, chosen)
// sequences, the loss on the response tokens.
type DPOSpec struct {
	Shape       ModelShape
	Pairs       int    // pairs per step (B)
	PromptLen   int    // tokens per random prompt
	ResponseLen int    // tokens per response
	Steps       int    // timed steps of each
	Warmup      int    // untimed steps of each before timing
	Seed        uint64 // seeds both policies and the pairs
}

// DefaultDPOSpec is 'align bench dpo' without flags: the model shape of
// 'bench ppo' and its minibatch of 16 sequences of 16 + 48 tokens.
func DefaultDPOSpec() DPOSpec {
	return DPOSpec{Shape: ReferenceShape(), Pairs: 16, PromptLen: 16, ResponseLen: 48, Steps: 5, Warmup: 1}
}

// Validate reports the first setting that cannot work; see ModelShape.Validate
// for the shape.
func (s DPOSpec) Validate() error {
	if err := s.Shape.Validate(); err != nil {
		return err
	}
	if err := atLeast(1, setting{"pairs", s.Pairs}, setting{"prompt_len", s.PromptLen}, setting{"response_len", s.ResponseLen}, setting{"steps", s.Steps}); err != nil {
		return err
	}
	if err := atLeast(0, setting{"warmup", s.Warmup}); err != nil {
		return err
	}
	if s.PromptLen+s.ResponseLen > s.Shape.Ctx {
		return yamlconf.Keyf("response_len", "%d plus the %d tokens of a prompt exceed ctx %d", s.ResponseLen, s.PromptLen, s.Shape.Ctx)
	}
	return nil
}

// StepTimes is where a step's time goes, in seconds per step.
type StepTimes struct {
	Step     float64 `json:"sec_per_step"`
	Forward  float64 `json:"forward"`  // forward pass (DPO: with the log-probs of the responses)
	Loss     float64 `json:"loss"`     // SFT: cross-entropy and its gradient; DPO: pair losses and log-prob gradients
	Backward float64 `json:"backward"` // backward pass
	Optim    float64 `json:"optim"`    // AdamW
}

func (t *StepTimes) add(o StepTimes) {
	t.Step += o.Step
	t.Forward += o.Forward
	t.Loss += o.Loss
	t.Backward += o.Backward
	t.Optim += o.Optim
}

func (t StepTimes) scaled(k float64) StepTimes {
	return StepTimes{Step: t.Step * k, Forward: t.Forward * k, Loss: t.Loss * k, Backward: t.Backward * k, Optim: t.Optim * k}
}

// DPOResult is the JSON form of 'align bench dpo'.
type DPOResult struct {
	Benchmark      string     `json:"benchmark"`
	Implementation string     `json:"implementation"`
	Threads        int        `json:"threads"`
	Config         ModelShape `json:"config"`
	Pairs          int        `json:"pairs"`
	PromptLen      int        `json:"prompt_len"`
	ResponseLen    int        `json:"response_len"`
	Steps          int        `json:"steps"`
	Warmup         int        `json:"warmup"`
	DPO            StepTimes  `json:"dpo"`
	SFT            StepTimes  `json:"sft"`
	Ratio          float64    `json:"dpo_over_sft"` // DPO step time over SFT step time
	RefOnce        float64    `json:"ref_logprobs"` // seconds to compute the reference log-probs of the pairs, once per run
	PeakRSSMB      float64    `json:"peak_rss_mb"`
}

// DPO times DPO steps (dpo.Trainer) and SFT steps on the same batch, one
// SFT step after each DPO step so that both see the same machine load.
func DPO(ctx context.Context, spec DPOSpec) (DPOResult, error) {
	if err := spec.Validate(); err != nil {
		return DPOResult{}, err
	}
	cfg := spec.Shape.Config()
	resetPeak()
	policy, err := model.New(cfg, spec.Seed)
	if err != nil {
		return DPOResult{}, fmt.Errorf("bench dpo: %w", err)
	}
	pairs := benchPairs(spec, cfg.VocabSize)
	sft, err := newSFTStep(cfg, spec.Seed, pairs)
	if err != nil {
		return DPOResult{}, fmt.Errorf("bench dpo: %w", err)
	}
	dc := dpo.DefaultConfig()
	dc.BatchSize, dc.Steps, dc.Warmup = spec.Pairs, spec.Warmup+spec.Steps, 0
	dc.EvalEvery, dc.SaveEvery, dc.KLPrompts, dc.Seed = 0, 0, 0, spec.Seed

	var dpoSum, sftSum StepTimes
	var sftErr error
	var refOnce float64
	start := time.Now()
	tr := &dpo.Trainer{Config: dc, Policy: policy, Train: pairs}
	tr.Progress = func(st dpo.Stats) {
		if st.Step == 1 {
			refOnce = time.Since(start).Seconds() - st.TimeStep
		}
		if st.Step > spec.Warmup {
			dpoSum.add(StepTimes{Step: st.TimeStep, Forward: st.TimeForward, Loss: st.TimeLoss, Backward: st.TimeBackward, Optim: st.TimeOptim})
		}
	}
	tr.AfterStep = func(step int) {
		if sftErr != nil {
			return
		}
		t, err := sft.step()
		if err != nil {
			sftErr = err
			return
		}
		if step > spec.Warmup {
			sftSum.add(t)
		}
	}
	if _, err := tr.Run(ctx); err != nil {
		return DPOResult{}, fmt.Errorf("bench dpo: %w", err)
	}
	if sftErr != nil {
		return DPOResult{}, fmt.Errorf("bench dpo: sft step: %w", sftErr)
	}
	k := 1 / float64(spec.Steps)
	res := DPOResult{
		Benchmark:      "dpo",
		Implementation: "align/" + tensor.Implementation(),
		Threads:        tensor.Threads(),
		Config:         spec.Shape,
		Pairs:          spec.Pairs,
		PromptLen:      spec.PromptLen,
		ResponseLen:    spec.ResponseLen,
		Steps:          spec.Steps,
		Warmup:         spec.Warmup,
		DPO:            dpoSum.scaled(k),
		SFT:            sftSum.scaled(k),
		RefOnce:        refOnce,
		PeakRSSMB:      sysinfo.PeakRSSMB(),
	}
	res.Ratio = res.DPO.Step / res.SFT.Step
	return res, nil
}

// benchPairs returns spec.Pairs random pairs: a shared random prompt, two
// random responses of the same length.
func benchPairs(spec DPOSpec, vocab int) []dpo.Pair {
	rng := newRand(spec.Seed)
	tokens := func(n int) []int32 {
		s := make([]int32, n)
		for i := range s {
			s[i] = int32(rng.IntN(vocab))
		}
		return s
	}
	pairs := make([]dpo.Pair, spec.Pairs)
	for i := range pairs {
		prompt := tokens(spec.PromptLen)
		pairs[i] = dpo.Pair{
			Chosen:    append(slices.Clone(prompt), tokens(spec.ResponseLen)...),
			Rejected:  append(slices.Clone(prompt), tokens(spec.ResponseLen)...),
			PromptLen: spec.PromptLen,
		}
	}
	return pairs
}

// sftStep is an SFT training step on the (prompt, chosen) sequences of the
// pairs: next-token cross-entropy on the response tokens only, AdamW with
// DPO's settings.
type sftStep struct {
	m               *model.Model
	opt             *model.Optimizer
	inputs, targets []int32
	B, T            int
}

func newSFTStep(cfg model.Config, seed uint64, pairs []dpo.Pair) (*sftStep, error) {
	m, err := model.New(cfg, seed)
	if err != nil {
		return nil, err
	}
	opt, err := model.NewOptimizer(m, model.AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, ClipNorm: 1})
	if err != nil {
		return nil, err
	}
	B, T := len(pairs), len(pairs[0].Chosen)
	s := &sftStep{m: m, opt: opt, inputs: make([]int32, B*T), targets: make([]int32, B*T), B: B, T: T}
	for b, p := range pairs {
		copy(s.inputs[b*T:], p.Chosen)
		for t := range T {
			s.targets[b*T+t] = -1 // the prompt and the last position predict nothing trained
			if t+1 >= p.PromptLen && t+1 < T {
				s.targets[b*T+t] = p.Chosen[t+1]
			}
		}
	}
	return s, nil
}

func (s *sftStep) step() (StepTimes, error) {
	t0 := time.Now()
	if err := s.m.Forward(s.inputs, s.B, s.T); err != nil {
		return StepTimes{}, err
	}
	t1 := time.Now()
	if _, err := s.m.LMLoss(s.targets, nil); err != nil {
		return StepTimes{}, err
	}
	t2 := time.Now()
	s.m.ZeroGrad()
	if err := s.m.Backward(); err != nil {
		return StepTimes{}, err
	}
	t3 := time.Now()
	if _, err := s.opt.Step(1e-5); err != nil {
		return StepTimes{}, err
	}
	t4 := time.Now()
	sec := func(a, b time.Time) float64 { return b.Sub(a).Seconds() }
	return StepTimes{Step: sec(t0, t4), Forward: sec(t0, t1), Loss: sec(t1, t2), Backward: sec(t2, t3), Optim: sec(t3, t4)}, nil
}

// WriteText prints the result as 'align bench dpo' does.
func (r DPOResult) WriteText(w io.Writer) error {
	c := r.Config
	t := newTable(w, "bench dpo: L%d C%d NH%d T%d V%d, %d pairs of %d prompt + %d response tokens, %d steps after %d warm-up, %d threads, %s kernels",
		c.Layers, c.Dim, c.Heads, c.Ctx, c.Vocab, r.Pairs, r.PromptLen, r.ResponseLen, r.Steps, r.Warmup, r.Threads, kernels(r.Implementation))
	split := func(s StepTimes) string {
		pct := func(v float64) float64 { return 100 * v / s.Step }
		return fmt.Sprintf("%.3f s: forward %.3f (%.0f%%), loss %.3f (%.0f%%), backward %.3f (%.0f%%), AdamW %.3f (%.0f%%)",
			s.Step, s.Forward, pct(s.Forward), s.Loss, pct(s.Loss), s.Backward, pct(s.Backward), s.Optim, pct(s.Optim))
	}
	t.row("DPO step", "%s", split(r.DPO))
	t.row("SFT step", "%s", split(r.SFT))
	t.row("DPO / SFT", "%.2f× (a DPO step runs chosen and rejected: 2× the sequences)", r.Ratio)
	t.row("reference", "%.3f s once per run (log-probs of the pairs, then cached)", r.RefOnce)
	t.row("peak RSS", "%.0f MB", r.PeakRSSMB)
	return t.flush()
}
