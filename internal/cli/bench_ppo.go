package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/align-project/align/internal/sysinfo"
	"github.com/align-project/align/model"
	"github.com/align-project/align/ppo"
	"github.com/align-project/align/reward"
	"github.com/align-project/align/tensor"
)

type benchPPOFlags struct {
	model      modelFlags
	prompts    int
	promptLen  int
	newTokens  int
	miniBatch  int
	epochs     int
	iterations int
	json       bool
}

// ppoBenchResult is the JSON form of 'align bench ppo'. Times are seconds
// per iteration, averaged over the timed iterations.
type ppoBenchResult struct {
	Benchmark      string           `json:"benchmark"`
	Implementation string           `json:"implementation"`
	Threads        int              `json:"threads"`
	Config         benchModelConfig `json:"config"`
	Prompts        int              `json:"prompts"`
	PromptLen      int              `json:"prompt_len"`
	NewTokens      int              `json:"new_tokens"`
	MiniBatch      int              `json:"mini_batch"`
	Epochs         int              `json:"epochs"`
	Iterations     int              `json:"iterations"`
	SecPerIter     float64          `json:"sec_per_iteration"`
	Generate       float64          `json:"generate"`
	Score          float64          `json:"score"`
	Ref            float64          `json:"ref"` // reference log-probs, values, rewards
	Update         float64          `json:"update"`
	GenTokensSec   float64          `json:"generate_tokens_per_sec"`
	TrainTokensSec float64          `json:"update_tokens_per_sec"` // sequence tokens through policy and value, forward and backward, per second
	PeakRSSMB      float64          `json:"peak_rss_mb"`
}

func newBenchPPOCmd(g *globals) *cobra.Command {
	var f benchPPOFlags
	cmd := &cobra.Command{
		Use:   "ppo",
		Short: "Measure seconds per PPO iteration and where they go",
		Long: `ppo times whole PPO iterations on a freshly initialised policy (seeded by
--seed): --prompts random prompts of --prompt-len tokens each get a response
of exactly --new-tokens tokens (no stop token) sampled with the KV cache at
temperature 1, a Go function scores them, the frozen reference and the value
model (a copy of the policy with one scalar head) evaluate them, and the
policy and value model take --epochs passes of minibatches of --mini-batch
responses (clipped PPO losses, Adam).

One untimed warm-up iteration runs first, then --iterations timed ones. The
report gives seconds per iteration and its split: generation, scoring,
reference log-probs with values and rewards, and the update.`,
		Example: `  align bench ppo
  align bench ppo --prompts 16 --new-tokens 32 --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runBenchPPO(cmd, g, f) },
	}
	fs := cmd.Flags()
	f.model.register(fs)
	fs.IntVar(&f.prompts, "prompts", 64, "prompts (responses) per iteration")
	fs.IntVar(&f.promptLen, "prompt-len", 16, "tokens per random prompt")
	fs.IntVar(&f.newTokens, "new-tokens", 48, "tokens generated per response")
	fs.IntVar(&f.miniBatch, "mini-batch", 16, "responses per gradient step; must divide --prompts")
	fs.IntVar(&f.epochs, "epochs", 4, "PPO epochs per iteration")
	fs.IntVar(&f.iterations, "iterations", 2, "timed iterations")
	fs.BoolVar(&f.json, "json", false, "print one JSON object instead of a table")
	return cmd
}

func runBenchPPO(cmd *cobra.Command, g *globals, f benchPPOFlags) error {
	path := cmd.CommandPath()
	cfg, err := f.model.config(path)
	if err != nil {
		return err
	}
	switch {
	case f.prompts < 1 || f.promptLen < 1 || f.newTokens < 1 || f.epochs < 1 || f.iterations < 1:
		return usageErrorf(path, "", "--prompts, --prompt-len, --new-tokens, --epochs and --iterations must be at least 1")
	case f.promptLen+f.newTokens > cfg.Context:
		return usageErrorf(path, "", "--prompt-len %d plus --new-tokens %d exceed --ctx %d", f.promptLen, f.newTokens, cfg.Context)
	case f.miniBatch < 1 || f.prompts%f.miniBatch != 0:
		return usageErrorf(path, "", "--mini-batch %d must divide --prompts %d", f.miniBatch, f.prompts)
	}

	benchStart()
	policy, err := model.New(cfg, g.seed)
	if err != nil {
		return fmt.Errorf("bench ppo: %w", err)
	}
	rng := newRand(g.seed)
	prompts := make([]ppo.Prompt, f.prompts)
	for i := range prompts {
		ids := make([]int32, f.promptLen)
		for j := range ids {
			ids[j] = int32(rng.IntN(cfg.VocabSize))
		}
		prompts[i] = ppo.Prompt{Text: strconv.Itoa(i), IDs: ids}
	}
	pc := ppo.DefaultConfig()
	pc.Iterations = 1 + f.iterations
	pc.BatchSize, pc.MiniBatch, pc.Epochs = f.prompts, f.miniBatch, f.epochs
	pc.MaxNewTokens, pc.Temperature = f.newTokens, 1
	pc.SampleEvery, pc.SaveEvery, pc.Seed = 0, 0, g.seed
	// A cheap reward: the share of even bytes in the response "text".
	score := ppo.FuncSource(func(_, response string) reward.Score {
		n := 0
		for i := 0; i < len(response); i++ {
			if response[i]%2 == 0 {
				n++
			}
		}
		r := float64(n) / float64(max(len(response), 1))
		return reward.Score{Reward: r, Raw: r}
	})
	var sum ppo.Stats
	tr := &ppo.Trainer{
		Config:  pc,
		Policy:  policy,
		Reward:  score,
		Prompts: prompts,
		Decode: func(ids []int32) string {
			b := make([]byte, len(ids))
			for i, id := range ids {
				b[i] = byte(id)
			}
			return string(b)
		},
		Progress: func(s ppo.Stats) {
			if s.Iteration == 1 {
				return // warm-up
			}
			sum.TimeIter += s.TimeIter
			sum.TimeGenerate += s.TimeGenerate
			sum.TimeScore += s.TimeScore
			sum.TimeRef += s.TimeRef
			sum.TimeUpdate += s.TimeUpdate
			sum.ResponseLen += s.ResponseLen
		},
	}
	if _, err := tr.Run(cmd.Context()); err != nil {
		return fmt.Errorf("bench ppo: %w", err)
	}
	n := float64(f.iterations)
	seqTokens := float64(f.prompts) * (float64(f.promptLen) + sum.ResponseLen/n)
	res := ppoBenchResult{
		Benchmark:      "ppo",
		Implementation: "align/" + tensor.Implementation(),
		Threads:        tensor.Threads(),
		Config:         jsonConfig(cfg),
		Prompts:        f.prompts,
		PromptLen:      f.promptLen,
		NewTokens:      f.newTokens,
		MiniBatch:      f.miniBatch,
		Epochs:         f.epochs,
		Iterations:     f.iterations,
		SecPerIter:     sum.TimeIter / n,
		Generate:       sum.TimeGenerate / n,
		Score:          sum.TimeScore / n,
		Ref:            sum.TimeRef / n,
		Update:         sum.TimeUpdate / n,
		GenTokensSec:   float64(f.prompts) * sum.ResponseLen / sum.TimeGenerate,
		TrainTokensSec: 2 * float64(f.epochs) * seqTokens * n / sum.TimeUpdate,
		PeakRSSMB:      sysinfo.PeakRSSMB(),
	}
	w := cmd.OutOrStdout()
	if f.json {
		return writeJSON(w, res)
	}
	t := newTable(w, "bench ppo: L%d C%d NH%d T%d V%d, %d prompts × %d new tokens, %d epochs of minibatches of %d, %d timed iterations, %d threads, %s kernels",
		cfg.Layers, cfg.Channels, cfg.Heads, cfg.Context, cfg.VocabSize, f.prompts, f.newTokens, f.epochs, f.miniBatch, f.iterations, res.Threads, tensor.Implementation())
	pct := func(v float64) float64 { return 100 * v / res.SecPerIter }
	t.row("s/iteration", "%.2f", res.SecPerIter)
	t.row("generate", "%.2f s (%.0f%%, %.0f tokens/s)", res.Generate, pct(res.Generate), res.GenTokensSec)
	t.row("score", "%.3f s (%.0f%%)", res.Score, pct(res.Score))
	t.row("reference", "%.2f s (%.0f%%: reference log-probs, values, rewards)", res.Ref, pct(res.Ref))
	t.row("update", "%.2f s (%.0f%%, %.0f tokens/s through policy and value)", res.Update, pct(res.Update), res.TrainTokensSec)
	t.row("peak RSS", "%.0f MB", res.PeakRSSMB)
	return t.flush()
}
