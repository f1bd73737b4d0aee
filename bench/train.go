package bench

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/align-project/align/internal/sysinfo"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tensor"
)

// Optimizer settings of the train benchmark (nanoGPT's, as in
// bench/pytorch_train.py).
const (
	trainLR          = 3e-4
	trainBeta1       = 0.9
	trainBeta2       = 0.95
	trainEps         = 1e-8
	trainWeightDecay = 0.1
	trainClipNorm    = 1.0
)

// TrainSpec is a run of GPT training steps on one fixed batch of Batch
// random sequences of Shape.Ctx tokens.
type TrainSpec struct {
	Shape  ModelShape
	Batch  int    // sequences per step (B)
	Steps  int    // timed training steps
	Warmup int    // untimed steps before timing
	Seed   uint64 // seeds the weights and the batch
}

// DefaultTrainSpec is the reference configuration of bench/compare.sh.
func DefaultTrainSpec() TrainSpec {
	return TrainSpec{Shape: ReferenceShape(), Batch: 8, Steps: 20, Warmup: 3}
}

// Validate reports the first setting that cannot work; see ModelShape.Validate
// for the shape.
func (s TrainSpec) Validate() error {
	if err := s.Shape.Validate(); err != nil {
		return err
	}
	if err := atLeast(1, setting{"batch", s.Batch}, setting{"steps", s.Steps}); err != nil {
		return err
	}
	return atLeast(0, setting{"warmup", s.Warmup})
}

// TrainResult is the JSON form of 'align bench train'; bench/pytorch_train.py
// prints the same keys.
type TrainResult struct {
	Benchmark      string     `json:"benchmark"`
	Implementation string     `json:"implementation"`
	Threads        int        `json:"threads"`
	Config         ModelShape `json:"config"`
	Batch          int        `json:"batch"`
	Params         int        `json:"params"`
	Steps          int        `json:"steps"`
	Warmup         int        `json:"warmup"`
	TokensPerStep  int        `json:"tokens_per_step"`
	TokensPerSec   float64    `json:"tokens_per_sec"`
	MsPerStep      float64    `json:"ms_per_step"`
	FLOPsPerToken  float64    `json:"flops_per_token"`
	GFLOPS         float64    `json:"gflops"`
	LossFirst      float64    `json:"loss_first"`
	LossLast       float64    `json:"loss_last"`
	PeakRSSMB      float64    `json:"peak_rss_mb"`
}

// Train builds a freshly initialised GPT and times full training steps on
// one fixed batch: forward, LM loss, zero grad, backward, gradient clipping
// to norm 1.0 and AdamW (lr 3e-4, betas 0.9 and 0.95, weight decay 0.1).
// Training on one batch lets the loss fall, which shows the step learns.
// GFLOP/s uses the analytic count of trainFLOPsPerToken.
func Train(ctx context.Context, spec TrainSpec) (TrainResult, error) {
	if err := spec.Validate(); err != nil {
		return TrainResult{}, err
	}
	cfg := spec.Shape.Config()
	B, T := spec.Batch, cfg.Context

	resetPeak()
	m, err := model.New(cfg, spec.Seed)
	if err != nil {
		return TrainResult{}, fmt.Errorf("bench train: %w", err)
	}
	opt, err := model.NewOptimizer(m, model.AdamWConfig{
		Beta1: trainBeta1, Beta2: trainBeta2, Eps: trainEps,
		WeightDecay: trainWeightDecay, ClipNorm: trainClipNorm,
	})
	if err != nil {
		return TrainResult{}, fmt.Errorf("bench train: %w", err)
	}

	// One batch of B sequences of T+1 random tokens: inputs are the first T,
	// targets the last T of each.
	rng := newRand(spec.Seed)
	inputs, targets := make([]int32, B*T), make([]int32, B*T)
	for b := 0; b < B; b++ {
		seq := make([]int32, T+1)
		for i := range seq {
			seq[i] = int32(rng.IntN(cfg.VocabSize))
		}
		copy(inputs[b*T:], seq[:T])
		copy(targets[b*T:], seq[1:])
	}
	step := func() (float32, error) {
		if err := m.Forward(inputs, B, T); err != nil {
			return 0, err
		}
		loss, err := m.LMLoss(targets, nil)
		if err != nil {
			return 0, err
		}
		m.ZeroGrad()
		if err := m.Backward(); err != nil {
			return 0, err
		}
		if _, err := opt.Step(trainLR); err != nil {
			return 0, err
		}
		return loss, nil
	}

	var first, last float32
	var start time.Time
	for i := 0; i < spec.Warmup+spec.Steps; i++ {
		if i == spec.Warmup {
			start = time.Now()
		}
		if err := ctx.Err(); err != nil {
			return TrainResult{}, fmt.Errorf("bench train: %w", err)
		}
		loss, err := step()
		if err != nil {
			return TrainResult{}, fmt.Errorf("bench train: step %d: %w", i+1, err)
		}
		if i == 0 {
			first = loss
		}
		last = loss
	}
	elapsed := time.Since(start)

	tokens := B * T
	perToken := trainFLOPsPerToken(cfg, T)
	tps := float64(tokens*spec.Steps) / elapsed.Seconds()
	return TrainResult{
		Benchmark:      "train",
		Implementation: "align/" + tensor.Implementation(),
		Threads:        tensor.Threads(),
		Config:         spec.Shape,
		Batch:          B,
		Params:         cfg.NumParams(),
		Steps:          spec.Steps,
		Warmup:         spec.Warmup,
		TokensPerStep:  tokens,
		TokensPerSec:   tps,
		MsPerStep:      ms(elapsed) / float64(spec.Steps),
		FLOPsPerToken:  perToken,
		GFLOPS:         tps * perToken / 1e9,
		LossFirst:      float64(first),
		LossLast:       float64(last),
		PeakRSSMB:      sysinfo.PeakRSSMB(),
	}, nil
}

// WriteText prints the result as 'align bench train' does.
func (r TrainResult) WriteText(w io.Writer) error {
	c := r.Config
	t := newTable(w, "bench train: L%d C%d NH%d T%d B%d V%d (%.2fM params), %d steps after %d warm-up, %d threads, %s kernels",
		c.Layers, c.Dim, c.Heads, c.Ctx, r.Batch, c.Vocab, float64(r.Params)/1e6, r.Steps, r.Warmup, r.Threads, kernels(r.Implementation))
	t.row("tokens/s", "%.0f", r.TokensPerSec)
	t.row("ms/step", "%.1f", r.MsPerStep)
	t.row("GFLOP/s", "%.1f (%.2f MFLOP/token)", r.GFLOPS, r.FLOPsPerToken/1e6)
	t.row("loss", "%.4f first, %.4f last", r.LossFirst, r.LossLast)
	t.row("peak RSS", "%.0f MB", r.PeakRSSMB)
	return t.flush()
}
