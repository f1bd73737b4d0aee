package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/align-project/align/internal/sysinfo"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tensor"
)

// Optimizer settings of 'bench train' (nanoGPT's, as in bench/pytorch_train.py).
const (
	benchLR          = 3e-4
	benchBeta1       = 0.9
	benchBeta2       = 0.95
	benchEps         = 1e-8
	benchWeightDecay = 0.1
	benchClipNorm    = 1.0
)

type trainFlags struct {
	model         modelFlags
	batch         int
	steps, warmup int
	json          bool
}

// trainResult is the JSON form of 'align bench train'; bench/pytorch_train.py
// prints the same keys.
type trainResult struct {
	Benchmark      string           `json:"benchmark"`
	Implementation string           `json:"implementation"`
	Threads        int              `json:"threads"`
	Config         benchModelConfig `json:"config"`
	Batch          int              `json:"batch"`
	Params         int              `json:"params"`
	Steps          int              `json:"steps"`
	Warmup         int              `json:"warmup"`
	TokensPerStep  int              `json:"tokens_per_step"`
	TokensPerSec   float64          `json:"tokens_per_sec"`
	MsPerStep      float64          `json:"ms_per_step"`
	FLOPsPerToken  float64          `json:"flops_per_token"`
	GFLOPS         float64          `json:"gflops"`
	LossFirst      float64          `json:"loss_first"`
	LossLast       float64          `json:"loss_last"`
	PeakRSSMB      float64          `json:"peak_rss_mb"`
}

func newBenchTrainCmd(g *globals) *cobra.Command {
	var f trainFlags
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Measure GPT training speed in tokens/s",
		Long: `train builds a freshly initialised GPT (seeded by --seed) and times full
training steps on one fixed batch of random tokens: forward, LM loss, zero
grad, backward, gradient clipping to norm 1.0 and AdamW (lr 3e-4, betas 0.9
and 0.95, weight decay 0.1 on matrices and embeddings). Training on one batch
lets the loss fall, which shows the step really learns.

--warmup steps run first and are not timed. It reports tokens/s
(batch·ctx·steps / time), ms per step, GFLOP/s, the loss of the first step
(warm-up included) and of the last, and the peak resident memory.

GFLOP/s uses an analytic count per token, 6·N + 12·L·T·C: N is the number of
parameters used in matrix multiplications (all but the position table; the
token table counts as the tied LM head), 6 FLOPs each for forward and
backward, plus the attention scores and weighted sum over the full T×T
matrix. The defaults are the reference configuration of bench/compare.sh.`,
		Example: `  align bench train
  align bench train --steps 50 --json
  align bench train --layers 2 --dim 64 --heads 2 --ctx 32 --batch 4 --steps 5`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBenchTrain(cmd, g, f)
		},
	}
	fs := cmd.Flags()
	f.model.register(fs)
	fs.IntVar(&f.batch, "batch", 8, "sequences per step (B)")
	fs.IntVar(&f.steps, "steps", 20, "timed training steps")
	fs.IntVar(&f.warmup, "warmup", 3, "untimed steps before timing")
	fs.BoolVar(&f.json, "json", false, "print one JSON object instead of a table")
	return cmd
}

func runBenchTrain(cmd *cobra.Command, g *globals, f trainFlags) error {
	path := cmd.CommandPath()
	cfg, err := f.model.config(path)
	if err != nil {
		return err
	}
	switch {
	case f.batch < 1:
		return usageErrorf(path, "", "--batch must be at least 1, got %d", f.batch)
	case f.steps < 1:
		return usageErrorf(path, "", "--steps must be at least 1, got %d", f.steps)
	case f.warmup < 0:
		return usageErrorf(path, "", "--warmup must not be negative, got %d", f.warmup)
	}
	B, T := f.batch, cfg.Context

	benchStart()
	m, err := model.New(cfg, g.seed)
	if err != nil {
		return fmt.Errorf("bench train: %w", err)
	}
	opt, err := model.NewOptimizer(m, model.AdamWConfig{
		Beta1: benchBeta1, Beta2: benchBeta2, Eps: benchEps,
		WeightDecay: benchWeightDecay, ClipNorm: benchClipNorm,
	})
	if err != nil {
		return fmt.Errorf("bench train: %w", err)
	}

	// One batch of B sequences of T+1 random tokens: inputs are the first T,
	// targets the last T of each.
	rng := newRand(g.seed)
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
		if _, err := opt.Step(benchLR); err != nil {
			return 0, err
		}
		return loss, nil
	}

	ctx := cmd.Context()
	var first, last float32
	var start time.Time
	for i := 0; i < f.warmup+f.steps; i++ {
		if i == f.warmup {
			start = time.Now()
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("bench train: %w", err)
		}
		loss, err := step()
		if err != nil {
			return fmt.Errorf("bench train: step %d: %w", i+1, err)
		}
		if i == 0 {
			first = loss
		}
		last = loss
	}
	elapsed := time.Since(start)

	tokens := B * T
	perToken := trainFLOPsPerToken(cfg, T)
	tps := float64(tokens*f.steps) / elapsed.Seconds()
	res := trainResult{
		Benchmark:      "train",
		Implementation: "align/" + tensor.Implementation(),
		Threads:        tensor.Threads(),
		Config:         jsonConfig(cfg),
		Batch:          B,
		Params:         cfg.NumParams(),
		Steps:          f.steps,
		Warmup:         f.warmup,
		TokensPerStep:  tokens,
		TokensPerSec:   tps,
		MsPerStep:      ms(elapsed) / float64(f.steps),
		FLOPsPerToken:  perToken,
		GFLOPS:         tps * perToken / 1e9,
		LossFirst:      float64(first),
		LossLast:       float64(last),
		PeakRSSMB:      sysinfo.PeakRSSMB(),
	}
	w := cmd.OutOrStdout()
	if f.json {
		return writeJSON(w, res)
	}
	t := newTable(w, "bench train: L%d C%d NH%d T%d B%d V%d (%.2fM params), %d steps after %d warm-up, %d threads, %s kernels",
		cfg.Layers, cfg.Channels, cfg.Heads, T, B, cfg.VocabSize, float64(res.Params)/1e6, f.steps, f.warmup, res.Threads, tensor.Implementation())
	t.row("tokens/s", "%.0f", res.TokensPerSec)
	t.row("ms/step", "%.1f", res.MsPerStep)
	t.row("GFLOP/s", "%.1f (%.2f MFLOP/token)", res.GFLOPS, perToken/1e6)
	t.row("loss", "%.4f first, %.4f last", res.LossFirst, res.LossLast)
	t.row("peak RSS", "%.0f MB", res.PeakRSSMB)
	return t.flush()
}
