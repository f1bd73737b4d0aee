package bench

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/align-project/align/internal/sysinfo"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
	"github.com/align-project/align/ppo"
	"github.com/align-project/align/reward"
	"github.com/align-project/align/tensor"
)

// PPOSpec is a run of whole PPO iterations on a freshly initialised policy:
// Prompts random prompts of PromptLen tokens each get a response of exactly
// NewTokens tokens (no stop token) sampled with the KV cache at temperature
// 1, a Go function scores them, the frozen reference and the value model (a
// copy of the policy with one scalar head) evaluate them, and the policy and
// value model take Epochs passes of minibatches of MiniBatch responses.
type PPOSpec struct {
	Shape      ModelShape
	Prompts    int    // prompts (responses) per iteration
	PromptLen  int    // tokens per random prompt
	NewTokens  int    // tokens generated per response
	MiniBatch  int    // responses per gradient step; must divide Prompts
	Epochs     int    // PPO epochs per iteration
	Iterations int    // timed iterations
	Seed       uint64 // seeds the policy, the prompts and PPO
}

// DefaultPPOSpec is 'align bench ppo' without flags.
func DefaultPPOSpec() PPOSpec {
	return PPOSpec{Shape: ReferenceShape(), Prompts: 64, PromptLen: 16, NewTokens: 48, MiniBatch: 16, Epochs: 4, Iterations: 2}
}

// Validate reports the first setting that cannot work; see ModelShape.Validate
// for the shape.
func (s PPOSpec) Validate() error {
	if err := s.Shape.Validate(); err != nil {
		return err
	}
	if err := atLeast(1, setting{"prompts", s.Prompts}, setting{"prompt_len", s.PromptLen}, setting{"new_tokens", s.NewTokens},
		setting{"epochs", s.Epochs}, setting{"iterations", s.Iterations}); err != nil {
		return err
	}
	switch {
	case s.PromptLen+s.NewTokens > s.Shape.Ctx:
		return yamlconf.Keyf("new_tokens", "%d plus the %d tokens of a prompt exceed ctx %d", s.NewTokens, s.PromptLen, s.Shape.Ctx)
	case s.MiniBatch < 1 || s.Prompts%s.MiniBatch != 0:
		return yamlconf.Keyf("mini_batch", "%d must divide prompts %d", s.MiniBatch, s.Prompts)
	}
	return nil
}

// PPOResult is the JSON form of 'align bench ppo'. Times are seconds per
// iteration, averaged over the timed iterations.
type PPOResult struct {
	Benchmark      string     `json:"benchmark"`
	Implementation string     `json:"implementation"`
	Threads        int        `json:"threads"`
	Config         ModelShape `json:"config"`
	Prompts        int        `json:"prompts"`
	PromptLen      int        `json:"prompt_len"`
	NewTokens      int        `json:"new_tokens"`
	MiniBatch      int        `json:"mini_batch"`
	Epochs         int        `json:"epochs"`
	Iterations     int        `json:"iterations"`
	SecPerIter     float64    `json:"sec_per_iteration"`
	Generate       float64    `json:"generate"`
	Score          float64    `json:"score"`
	Ref            float64    `json:"ref"` // reference log-probs, values, rewards
	Update         float64    `json:"update"`
	GenTokensSec   float64    `json:"generate_tokens_per_sec"`
	TrainTokensSec float64    `json:"update_tokens_per_sec"` // sequence tokens through policy and value, forward and backward, per second
	PeakRSSMB      float64    `json:"peak_rss_mb"`
}

// PPO times one untimed warm-up iteration and then spec.Iterations timed
// ones with ppo.Trainer (clipped PPO losses, Adam), and splits their time
// into generation, scoring, reference log-probs with values and rewards, and
// the update.
func PPO(ctx context.Context, spec PPOSpec) (PPOResult, error) {
	if err := spec.Validate(); err != nil {
		return PPOResult{}, err
	}
	resetPeak()
	pc := ppo.DefaultConfig()
	pc.BatchSize, pc.MiniBatch, pc.Epochs = spec.Prompts, spec.MiniBatch, spec.Epochs
	sum, err := timeIterations(ctx, spec.Shape, spec.Seed, spec.PromptLen, spec.NewTokens, spec.Iterations, pc)
	if err != nil {
		return PPOResult{}, fmt.Errorf("bench ppo: %w", err)
	}
	n := float64(spec.Iterations)
	seqTokens := float64(spec.Prompts) * (float64(spec.PromptLen) + sum.ResponseLen/n)
	return PPOResult{
		Benchmark:      "ppo",
		Implementation: "align/" + tensor.Implementation(),
		Threads:        tensor.Threads(),
		Config:         spec.Shape,
		Prompts:        spec.Prompts,
		PromptLen:      spec.PromptLen,
		NewTokens:      spec.NewTokens,
		MiniBatch:      spec.MiniBatch,
		Epochs:         spec.Epochs,
		Iterations:     spec.Iterations,
		SecPerIter:     sum.TimeIter / n,
		Generate:       sum.TimeGenerate / n,
		Score:          sum.TimeScore / n,
		Ref:            sum.TimeRef / n,
		Update:         sum.TimeUpdate / n,
		GenTokensSec:   float64(spec.Prompts) * sum.ResponseLen / sum.TimeGenerate,
		TrainTokensSec: 2 * float64(spec.Epochs) * seqTokens * n / sum.TimeUpdate,
		PeakRSSMB:      sysinfo.PeakRSSMB(),
	}, nil
}

// timeIterations runs one untimed warm-up iteration and then iterations
// timed ones of ppo.Trainer with pc on a policy of shape initialised from
// seed, and returns the sums of their stats: pc.BatchSize random prompts of
// promptLen tokens (each answered pc.GroupSize times) get responses of
// exactly newTokens tokens at temperature 1, scored by a cheap Go function.
func timeIterations(ctx context.Context, shape ModelShape, seed uint64, promptLen, newTokens, iterations int, pc ppo.Config) (ppo.Stats, error) {
	cfg := shape.Config()
	policy, err := model.New(cfg, seed)
	if err != nil {
		return ppo.Stats{}, err
	}
	rng := newRand(seed)
	prompts := make([]ppo.Prompt, pc.BatchSize)
	for i := range prompts {
		ids := make([]int32, promptLen)
		for j := range ids {
			ids[j] = int32(rng.IntN(cfg.VocabSize))
		}
		prompts[i] = ppo.Prompt{Text: strconv.Itoa(i), IDs: ids}
	}
	pc.Iterations = 1 + iterations
	pc.MaxNewTokens, pc.Temperature = newTokens, 1
	pc.SampleEvery, pc.SaveEvery, pc.Seed = 0, 0, seed
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
	_, err = tr.Run(ctx)
	return sum, err
}

// WriteText prints the result as 'align bench ppo' does.
func (r PPOResult) WriteText(w io.Writer) error {
	c := r.Config
	t := newTable(w, "bench ppo: L%d C%d NH%d T%d V%d, %d prompts × %d new tokens, %d epochs of minibatches of %d, %d timed iterations, %d threads, %s kernels",
		c.Layers, c.Dim, c.Heads, c.Ctx, c.Vocab, r.Prompts, r.NewTokens, r.Epochs, r.MiniBatch, r.Iterations, r.Threads, kernels(r.Implementation))
	pct := func(v float64) float64 { return 100 * v / r.SecPerIter }
	t.row("s/iteration", "%.2f", r.SecPerIter)
	t.row("generate", "%.2f s (%.0f%%, %.0f tokens/s)", r.Generate, pct(r.Generate), r.GenTokensSec)
	t.row("score", "%.3f s (%.0f%%)", r.Score, pct(r.Score))
	t.row("reference", "%.2f s (%.0f%%: reference log-probs, values, rewards)", r.Ref, pct(r.Ref))
	t.row("update", "%.2f s (%.0f%%, %.0f tokens/s through policy and value)", r.Update, pct(r.Update), r.TrainTokensSec)
	t.row("peak RSS", "%.0f MB", r.PeakRSSMB)
	return t.flush()
}
