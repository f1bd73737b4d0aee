package bench

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/align-project/align/internal/sysinfo"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tensor"
)

// GenerateSpec is a run of batched sampling with the key/value cache: Batch
// sequences, each from a one-token random prompt, get NewTokens tokens at
// temperature 1 from the full distribution.
type GenerateSpec struct {
	Shape     ModelShape
	Batch     int    // sequences sampled together (B)
	NewTokens int    // tokens to generate per sequence; at most Shape.Ctx-1
	Runs      int    // timed generations
	Seed      uint64 // seeds the weights, the prompts and the sampling
}

// DefaultGenerateSpec is the reference configuration of bench/compare.sh.
func DefaultGenerateSpec() GenerateSpec {
	return GenerateSpec{Shape: ReferenceShape(), Batch: 8, NewTokens: 64, Runs: 3}
}

// Validate reports the first setting that cannot work; see ModelShape.Validate
// for the shape.
func (s GenerateSpec) Validate() error {
	if err := s.Shape.Validate(); err != nil {
		return err
	}
	if err := atLeast(1, setting{"batch", s.Batch}, setting{"new_tokens", s.NewTokens}); err != nil {
		return err
	}
	if s.NewTokens > s.Shape.Ctx-1 {
		return yamlconf.Keyf("new_tokens", "%d does not fit after a 1-token prompt in ctx %d; use at most %d or a larger ctx",
			s.NewTokens, s.Shape.Ctx, s.Shape.Ctx-1)
	}
	return atLeast(1, setting{"runs", s.Runs})
}

// GenerateResult is the JSON form of 'align bench generate';
// bench/pytorch_generate.py prints the same keys.
type GenerateResult struct {
	Benchmark      string     `json:"benchmark"`
	Implementation string     `json:"implementation"`
	Threads        int        `json:"threads"`
	Config         ModelShape `json:"config"`
	Batch          int        `json:"batch"`
	NewTokens      int        `json:"new_tokens"`
	Runs           int        `json:"runs"`
	Generated      int        `json:"generated_tokens"` // over all timed runs
	TokensPerSec   float64    `json:"tokens_per_sec"`
	MsPerToken     float64    `json:"ms_per_token"` // wall time per decoding step of the whole batch
	PeakRSSMB      float64    `json:"peak_rss_mb"`
}

// Generate builds a freshly initialised GPT and times spec.Runs generations
// after one untimed warm-up. Tokens/s is the number of new tokens divided by
// the wall time.
func Generate(ctx context.Context, spec GenerateSpec) (GenerateResult, error) {
	if err := spec.Validate(); err != nil {
		return GenerateResult{}, err
	}
	cfg := spec.Shape.Config()

	resetPeak()
	m, err := model.New(cfg, spec.Seed)
	if err != nil {
		return GenerateResult{}, fmt.Errorf("bench generate: %w", err)
	}
	rng := newRand(spec.Seed)
	prompts := make([][]int32, spec.Batch)
	for i := range prompts {
		prompts[i] = []int32{int32(rng.IntN(cfg.VocabSize))}
	}
	opts := model.SampleOptions{MaxNewTokens: spec.NewTokens, Temperature: 1}

	var generated int
	var elapsed time.Duration
	for run := 0; run <= spec.Runs; run++ { // run 0 is the warm-up
		if err := ctx.Err(); err != nil {
			return GenerateResult{}, fmt.Errorf("bench generate: %w", err)
		}
		start := time.Now()
		samples, err := m.Generate(prompts, opts, rng)
		d := time.Since(start)
		if err != nil {
			return GenerateResult{}, fmt.Errorf("bench generate: %w", err)
		}
		if run == 0 {
			continue
		}
		elapsed += d
		for _, s := range samples {
			generated += len(s.Tokens)
		}
	}

	return GenerateResult{
		Benchmark:      "generate",
		Implementation: "align/" + tensor.Implementation(),
		Threads:        tensor.Threads(),
		Config:         spec.Shape,
		Batch:          spec.Batch,
		NewTokens:      spec.NewTokens,
		Runs:           spec.Runs,
		Generated:      generated,
		TokensPerSec:   float64(generated) / elapsed.Seconds(),
		MsPerToken:     ms(elapsed) / float64(spec.Runs*spec.NewTokens),
		PeakRSSMB:      sysinfo.PeakRSSMB(),
	}, nil
}

// WriteText prints the result as 'align bench generate' does.
func (r GenerateResult) WriteText(w io.Writer) error {
	c := r.Config
	t := newTable(w, "bench generate: L%d C%d NH%d T%d V%d, %d sequences × %d new tokens, %d runs, %d threads, %s kernels",
		c.Layers, c.Dim, c.Heads, c.Ctx, c.Vocab, r.Batch, r.NewTokens, r.Runs, r.Threads, kernels(r.Implementation))
	t.row("tokens/s", "%.0f", r.TokensPerSec)
	t.row("ms/step", "%.2f (one token for each of the %d sequences)", r.MsPerToken, r.Batch)
	t.row("peak RSS", "%.0f MB", r.PeakRSSMB)
	return t.flush()
}
