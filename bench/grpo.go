package bench

import (
	"context"
	"fmt"
	"io"

	"github.com/align-project/align/internal/sysinfo"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/ppo"
	"github.com/align-project/align/tensor"
)

// GRPOSpec compares a GRPO iteration with a PPO iteration that samples as
// many tokens, on the same freshly initialised policy and random prompts
// as PPOSpec: GRPO answers Prompts prompts Group times each with
// ppo.GRPOConfig's update (no value model, Epochs passes), PPO answers
// Prompts×Group prompts once with ppo.DefaultConfig's (value model and
// GAE, PPOEpochs passes). Both take minibatches of MiniBatch responses.
type GRPOSpec struct {
	Shape      ModelShape
	Prompts    int    // GRPO prompts per iteration
	Group      int    // GRPO responses per prompt; PPO answers Prompts×Group prompts
	PromptLen  int    // tokens per random prompt
	NewTokens  int    // tokens generated per response
	MiniBatch  int    // responses per gradient step; must divide Prompts×Group
	Epochs     int    // GRPO epochs per iteration
	PPOEpochs  int    // PPO epochs per iteration
	Iterations int    // timed iterations of each method
	Seed       uint64 // seeds the policy, the prompts and both runs
}

// DefaultGRPOSpec is 'align bench grpo' without flags: 8 prompts × 8
// responses, the 64 responses of DefaultPPOSpec, and each method's own
// default epochs (GRPOConfig's 1, DefaultConfig's 4).
func DefaultGRPOSpec() GRPOSpec {
	return GRPOSpec{Shape: ReferenceShape(), Prompts: 8, Group: 8, PromptLen: 16, NewTokens: 48, MiniBatch: 16,
		Epochs: ppo.GRPOConfig().Epochs, PPOEpochs: ppo.DefaultConfig().Epochs, Iterations: 2}
}

// Validate reports the first setting that cannot work.
func (s GRPOSpec) Validate() error {
	if err := s.Shape.Validate(); err != nil {
		return err
	}
	if err := atLeast(1, setting{"prompts", s.Prompts}, setting{"prompt_len", s.PromptLen}, setting{"new_tokens", s.NewTokens},
		setting{"epochs", s.Epochs}, setting{"ppo_epochs", s.PPOEpochs}, setting{"iterations", s.Iterations}); err != nil {
		return err
	}
	switch {
	case s.Group < 2:
		return yamlconf.Keyf("group", "%d: a group needs at least 2 responses", s.Group)
	case s.PromptLen+s.NewTokens > s.Shape.Ctx:
		return yamlconf.Keyf("new_tokens", "%d plus the %d tokens of a prompt exceed ctx %d", s.NewTokens, s.PromptLen, s.Shape.Ctx)
	case s.MiniBatch < 1 || (s.Prompts*s.Group)%s.MiniBatch != 0:
		return yamlconf.Keyf("mini_batch", "%d must divide prompts × group %d", s.MiniBatch, s.Prompts*s.Group)
	}
	return nil
}

// IterationTimes is the mean time of one iteration and its split, seconds.
type IterationTimes struct {
	Epochs     int     `json:"epochs"`
	SecPerIter float64 `json:"sec_per_iteration"`
	Generate   float64 `json:"generate"`
	Score      float64 `json:"score"`
	Ref        float64 `json:"ref"` // reference log-probs (and PPO's values), rewards, advantages
	Update     float64 `json:"update"`
}

// GRPOResult is the JSON form of 'align bench grpo'.
type GRPOResult struct {
	Benchmark      string         `json:"benchmark"`
	Implementation string         `json:"implementation"`
	Threads        int            `json:"threads"`
	Config         ModelShape     `json:"config"`
	Prompts        int            `json:"prompts"`
	Group          int            `json:"group"`
	Responses      int            `json:"responses"` // per iteration, both methods
	PromptLen      int            `json:"prompt_len"`
	NewTokens      int            `json:"new_tokens"`
	MiniBatch      int            `json:"mini_batch"`
	Iterations     int            `json:"iterations"`
	GRPO           IterationTimes `json:"grpo"`
	PPO            IterationTimes `json:"ppo"`
	Ratio          float64        `json:"ratio"` // GRPO seconds per iteration over PPO's
	PeakRSSMB      float64        `json:"peak_rss_mb"`
}

// GRPO times both methods, GRPO first, each with one untimed warm-up
// iteration. Missing-EOS scoring is off in both, since these responses
// never stop: it would give every response −1 and every group nothing to
// compare, which changes no timing but would make the run meaningless.
func GRPO(ctx context.Context, spec GRPOSpec) (GRPOResult, error) {
	if err := spec.Validate(); err != nil {
		return GRPOResult{}, err
	}
	resetPeak()
	gc := ppo.GRPOConfig()
	gc.BatchSize, gc.GroupSize, gc.MiniBatch, gc.Epochs, gc.MissingEOS = spec.Prompts, spec.Group, spec.MiniBatch, spec.Epochs, false
	g, err := timeIterations(ctx, spec.Shape, spec.Seed, spec.PromptLen, spec.NewTokens, spec.Iterations, gc)
	if err != nil {
		return GRPOResult{}, fmt.Errorf("bench grpo: %w", err)
	}
	pc := ppo.DefaultConfig()
	pc.BatchSize, pc.MiniBatch, pc.Epochs, pc.MissingEOS = spec.Prompts*spec.Group, spec.MiniBatch, spec.PPOEpochs, false
	p, err := timeIterations(ctx, spec.Shape, spec.Seed, spec.PromptLen, spec.NewTokens, spec.Iterations, pc)
	if err != nil {
		return GRPOResult{}, fmt.Errorf("bench grpo: ppo: %w", err)
	}
	n := float64(spec.Iterations)
	times := func(s ppo.Stats, epochs int) IterationTimes {
		return IterationTimes{Epochs: epochs, SecPerIter: s.TimeIter / n, Generate: s.TimeGenerate / n, Score: s.TimeScore / n, Ref: s.TimeRef / n, Update: s.TimeUpdate / n}
	}
	res := GRPOResult{
		Benchmark:      "grpo",
		Implementation: "align/" + tensor.Implementation(),
		Threads:        tensor.Threads(),
		Config:         spec.Shape,
		Prompts:        spec.Prompts,
		Group:          spec.Group,
		Responses:      spec.Prompts * spec.Group,
		PromptLen:      spec.PromptLen,
		NewTokens:      spec.NewTokens,
		MiniBatch:      spec.MiniBatch,
		Iterations:     spec.Iterations,
		GRPO:           times(g, spec.Epochs),
		PPO:            times(p, spec.PPOEpochs),
		PeakRSSMB:      sysinfo.PeakRSSMB(),
	}
	res.Ratio = res.GRPO.SecPerIter / res.PPO.SecPerIter
	return res, nil
}

// WriteText prints the result as 'align bench grpo' does.
func (r GRPOResult) WriteText(w io.Writer) error {
	c := r.Config
	t := newTable(w, "bench grpo: L%d C%d NH%d T%d V%d, %d responses × %d new tokens per iteration (GRPO %d prompts × %d, PPO %d prompts), minibatches of %d, %d timed iterations each, %d threads, %s kernels",
		c.Layers, c.Dim, c.Heads, c.Ctx, c.Vocab, r.Responses, r.NewTokens, r.Prompts, r.Group, r.Responses, r.MiniBatch, r.Iterations, r.Threads, kernels(r.Implementation))
	for _, m := range []struct {
		name string
		t    IterationTimes
		ref  string
	}{{"grpo", r.GRPO, "reference log-probs, group advantages"}, {"ppo", r.PPO, "reference log-probs, values, GAE"}} {
		pct := func(v float64) float64 { return 100 * v / m.t.SecPerIter }
		t.row(m.name+" s/iteration", "%.2f (%d epochs)", m.t.SecPerIter, m.t.Epochs)
		t.row("  generate", "%.2f s (%.0f%%)", m.t.Generate, pct(m.t.Generate))
		t.row("  score", "%.3f s (%.0f%%)", m.t.Score, pct(m.t.Score))
		t.row("  reference", "%.2f s (%.0f%%: %s)", m.t.Ref, pct(m.t.Ref), m.ref)
		t.row("  update", "%.2f s (%.0f%%)", m.t.Update, pct(m.t.Update))
	}
	t.row("grpo / ppo", "%.2f× the time of a PPO iteration", r.Ratio)
	t.row("peak RSS", "%.0f MB", r.PeakRSSMB)
	return t.flush()
}
