package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/align-project/align/internal/sysinfo"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tensor"
)

type generateFlags struct {
	model     modelFlags
	batch     int
	newTokens int
	runs      int
	json      bool
}

// generateResult is the JSON form of 'align bench generate';
// bench/pytorch_generate.py prints the same keys.
type generateResult struct {
	Benchmark      string           `json:"benchmark"`
	Implementation string           `json:"implementation"`
	Threads        int              `json:"threads"`
	Config         benchModelConfig `json:"config"`
	Batch          int              `json:"batch"`
	NewTokens      int              `json:"new_tokens"`
	Runs           int              `json:"runs"`
	Generated      int              `json:"generated_tokens"` // over all timed runs
	TokensPerSec   float64          `json:"tokens_per_sec"`
	MsPerToken     float64          `json:"ms_per_token"` // wall time per decoding step of the whole batch
	PeakRSSMB      float64          `json:"peak_rss_mb"`
}

func newBenchGenerateCmd(g *globals) *cobra.Command {
	var f generateFlags
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Measure sampling speed with the KV cache in new tokens/s",
		Long: `generate builds a freshly initialised GPT (seeded by --seed) and samples
--new-tokens tokens for each of --batch sequences, all in one batch with the
key/value cache. Each sequence starts from a one-token random prompt and
samples at temperature 1 from the full distribution, drawing from --seed.

One untimed warm-up generation runs first, then --runs timed ones. tokens/s
is the number of new tokens generated divided by the wall time. The model
flags default to the reference configuration of bench/compare.sh, which
compares this with a PyTorch loop that has no cache.`,
		Example: `  align bench generate
  align bench generate --batch 1 --new-tokens 127 --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBenchGenerate(cmd, g, f)
		},
	}
	fs := cmd.Flags()
	f.model.register(fs)
	fs.IntVar(&f.batch, "batch", 8, "sequences sampled together (B)")
	fs.IntVar(&f.newTokens, "new-tokens", 64, "tokens to generate per sequence; at most --ctx minus 1")
	fs.IntVar(&f.runs, "runs", 3, "timed generations")
	fs.BoolVar(&f.json, "json", false, "print one JSON object instead of a table")
	return cmd
}

func runBenchGenerate(cmd *cobra.Command, g *globals, f generateFlags) error {
	path := cmd.CommandPath()
	cfg, err := f.model.config(path)
	if err != nil {
		return err
	}
	switch {
	case f.batch < 1:
		return usageErrorf(path, "", "--batch must be at least 1, got %d", f.batch)
	case f.newTokens < 1:
		return usageErrorf(path, "", "--new-tokens must be at least 1, got %d", f.newTokens)
	case f.newTokens > cfg.Context-1:
		return usageErrorf(path, fmt.Sprintf("use --new-tokens %d or a larger --ctx", cfg.Context-1),
			"--new-tokens %d does not fit after a 1-token prompt in --ctx %d", f.newTokens, cfg.Context)
	case f.runs < 1:
		return usageErrorf(path, "", "--runs must be at least 1, got %d", f.runs)
	}

	benchStart()
	m, err := model.New(cfg, g.seed)
	if err != nil {
		return fmt.Errorf("bench generate: %w", err)
	}
	rng := newRand(g.seed)
	prompts := make([][]int32, f.batch)
	for i := range prompts {
		prompts[i] = []int32{int32(rng.IntN(cfg.VocabSize))}
	}
	opts := model.SampleOptions{MaxNewTokens: f.newTokens, Temperature: 1}

	ctx := cmd.Context()
	var generated int
	var elapsed time.Duration
	for run := 0; run <= f.runs; run++ { // run 0 is the warm-up
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("bench generate: %w", err)
		}
		start := time.Now()
		samples, err := m.Generate(prompts, opts, rng)
		d := time.Since(start)
		if err != nil {
			return fmt.Errorf("bench generate: %w", err)
		}
		if run == 0 {
			continue
		}
		elapsed += d
		for _, s := range samples {
			generated += len(s.Tokens)
		}
	}

	res := generateResult{
		Benchmark:      "generate",
		Implementation: "align/" + tensor.Implementation(),
		Threads:        tensor.Threads(),
		Config:         jsonConfig(cfg),
		Batch:          f.batch,
		NewTokens:      f.newTokens,
		Runs:           f.runs,
		Generated:      generated,
		TokensPerSec:   float64(generated) / elapsed.Seconds(),
		MsPerToken:     ms(elapsed) / float64(f.runs*f.newTokens),
		PeakRSSMB:      sysinfo.PeakRSSMB(),
	}
	w := cmd.OutOrStdout()
	if f.json {
		return writeJSON(w, res)
	}
	t := newTable(w, "bench generate: L%d C%d NH%d T%d V%d, %d sequences × %d new tokens, %d runs, %d threads, %s kernels",
		cfg.Layers, cfg.Channels, cfg.Heads, cfg.Context, cfg.VocabSize, f.batch, f.newTokens, f.runs, res.Threads, tensor.Implementation())
	t.row("tokens/s", "%.0f", res.TokensPerSec)
	t.row("ms/step", "%.2f (one token for each of the %d sequences)", res.MsPerToken, f.batch)
	t.row("peak RSS", "%.0f MB", res.PeakRSSMB)
	return t.flush()
}
