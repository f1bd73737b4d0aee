package ppo

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/progress"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
)

// TrainSpec is one PPO run: the stage of the loop after the reward model.
type TrainSpec struct {
	Config Config // the settings, Seed included
	// Policy is the checkpoint directory of the starting policy: the SFT
	// model, or an earlier PPO policy to train further.
	Policy string
	// Reference is the checkpoint directory of the frozen KL reference; ""
	// is Policy. A later round of iterated RLAIF starts from the previous
	// round's policy and keeps the SFT model as its reference, so the KL
	// penalty measures the whole distance travelled.
	Reference string
	// Prompts is a prompts JSONL, or data.Embedded for the training prompts
	// of the default instruction set of Config.Seed. Each is rendered as a
	// user turn with the chat template (ChatPrompts).
	Prompts   string
	Reward    RewardSpec
	Out       string    // the policy, value/ (advantage gae), config.yaml, metrics.jsonl, samples.jsonl, last/ ("" = nothing written)
	Resume    bool      // continue the interrupted run in Out from Out/last
	Overwrite bool      // discard the run Out holds (finished or not) instead of refusing to start
	Log       io.Writer // progress bar, sample lines and warnings (nil = discarded)
}

// Validate reports the first setting of s that cannot work, as a
// *yamlconf.KeyError naming its key.
func (s TrainSpec) Validate() error {
	if err := s.Config.Validate(); err != nil {
		return err
	}
	switch {
	case s.Policy == "":
		return yamlconf.Keyf("policy", "an SFT checkpoint directory is required")
	case s.Prompts == "":
		return yamlconf.Keyf("prompts", "a prompts file is required")
	case s.Resume && s.Out == "":
		return yamlconf.Keyf("resume", "resuming needs the output directory of the run")
	}
	return s.Reward.validate()
}

// Train loads the policy and the prompts, builds the reward source, and
// runs PPO (see Trainer.Run). Prompts that leave no room for a response in
// the policy's context are skipped with a warning, and so are prompts
// without an answer when the checker (Reward.Verify) is the only source. Settings that cannot
// work and files named by a setting that cannot be read come back as
// errors wrapping a *yamlconf.KeyError; a cancelled ctx saves a checkpoint
// and returns an error wrapping ErrInterrupted.
//
// Out must not be, hold or lie inside an input (the policy, the KL
// reference, the prompts, the reward model, the judge's files). A
// fresh run refuses an Out that holds a run, finished or not, unless
// Overwrite; a resumed run refuses the settings its checkpoint carries
// state for (fixedOnResume). A run that fails before its first checkpoint
// leaves Out as it found it; a finished one ends by writing
// outguard.FinishedFile.
func Train(ctx context.Context, s TrainSpec) (Result, error) {
	if err := s.Validate(); err != nil {
		return Result{}, err
	}
	if err := s.checkOut(); err != nil {
		return Result{}, err
	}
	log := s.Log
	if log == nil {
		log = io.Discard
	}
	cfg := s.Config
	policy, tok, err := checkpoint.LoadPolicy(s.Policy)
	if err != nil {
		return Result{}, fmt.Errorf("ppo: load policy: %w", err)
	}
	var ref *model.Model // nil: the trainer copies the policy
	if s.Reference != "" {
		if ref, _, err = checkpoint.LoadPolicy(s.Reference); err != nil {
			return Result{}, fmt.Errorf("ppo: load reference: %w", yamlconf.WrapKey("reference", err))
		}
		ref = ref.Base() // frozen: no gradients, one layer's activations
		if rc, pc := ref.Config, policy.Config; rc.VocabSize != pc.VocabSize || rc.Context < pc.Context {
			return Result{}, yamlconf.Keyf("reference", "%s (vocabulary %d, context %d) cannot be the reference of %s (vocabulary %d, context %d): use the checkpoint the policy was trained from",
				s.Reference, rc.VocabSize, rc.Context, s.Policy, pc.VocabSize, pc.Context)
		}
	}
	recs, err := data.LoadPrompts(s.Prompts, cfg.Seed, data.TrainPrompts)
	if err != nil {
		return Result{}, yamlconf.WrapKey("prompts", err)
	}
	texts := make([]string, len(recs))
	for i, r := range recs {
		texts[i] = r.Prompt
	}
	all, stop, err := ChatPrompts(tok, texts, policy.Config.Context)
	if err != nil {
		return Result{}, fmt.Errorf("ppo: %w", err)
	}
	var prompts []Prompt
	for i, p := range all {
		p.Harmful = slices.Contains(recs[i].Tags, "harmful")
		if len(p.IDs) < policy.Config.Context-1 {
			prompts = append(prompts, p)
		}
	}
	if n := len(all) - len(prompts); n > 0 {
		fmt.Fprintf(log, "align: warning: %d of %d prompts leave no room for a response in the context of %d tokens and are skipped\n", n, len(all), policy.Config.Context)
	}
	if len(prompts) == 0 {
		return Result{}, yamlconf.Keyf("prompts", "no prompt of %s leaves room for a response in the context of %d tokens", s.Prompts, policy.Config.Context)
	}

	if s.Reward.OnlyVerify() {
		if prompts, err = answered(prompts, recs, log); err != nil {
			return Result{}, err
		}
	}
	var vl *valueLoRA
	if cfg.LoRA.On() {
		// A value model from the reward model shares its frozen base and
		// trains the adapters the trainer would attach to a copy.
		lc, err := cfg.LoRA.Config(policy.Config)
		if err != nil {
			return Result{}, err
		}
		vl = &valueLoRA{cfg: lc, seed: valueLoRASeed(cfg)}
	}
	// Critic-free (a group advantage): the reward model only scores.
	src, value, err := s.Reward.source(policy, recs, !cfg.Advantage.group(), vl)
	if err != nil {
		return Result{}, err
	}
	if cfg.LoRA.On() {
		// Drawn from the seed: a resumed run attaches the same adapters
		// before its checkpoint overwrites them.
		if err := cfg.LoRA.Attach(policy, cfg.Seed); err != nil {
			return Result{}, err
		}
	}
	bar := progress.New(log, progress.IsTerminal(log), cfg.stage(), cfg.Iterations, "it", 10*time.Second)
	tr := &Trainer{
		Config: cfg, Policy: policy, Ref: ref, Value: value, Reward: src,
		Prompts: prompts, StopTokens: stop, Tokenizer: tok,
		Out: s.Out, Base: s.Policy, Resume: s.Resume,
		Progress: func(st Stats) {
			eta := time.Duration(float64(st.Iterations-st.Iteration) * st.TimeIter * float64(time.Second))
			fields := fmt.Sprintf("reward %.3f kl %.2f β %.3f ent %.2f len %.0f eos %.0f%%", st.Reward, st.KL, st.Beta, st.Entropy, st.ResponseLen, 100*st.EOSRate)
			if cfg.Advantage.group() {
				fields += fmt.Sprintf(" flat %.0f%%", 100*st.FlatFrac)
			}
			if cfg.Constraint {
				fields += fmt.Sprintf(" cost %.3f λ %.3f", st.Cost, st.Lambda)
			}
			bar.Update(st.Iteration, 1/max(st.TimeIter, 1e-9), eta, fields, false)
		},
		Samples: func(rows []SampleRow) {
			for _, r := range rows {
				bar.Log(fmt.Sprintf("  [%d] reward %+.3f  %q → %q", r.Iteration, r.Reward, oneLine(r.Prompt, 60), oneLine(r.Response, 100)))
			}
		},
	}
	if err := outputs(s.Out).Begin(s.Resume, s.Overwrite); err != nil {
		return Result{}, fmt.Errorf("ppo: %w", err)
	}
	res, err := tr.Run(ctx)
	bar.Done()
	if err == nil && s.Out != "" {
		if err := outputs(s.Out).Finish(map[string]any{"stage": cfg.stage(), "iterations": res.Iterations}); err != nil {
			return res, fmt.Errorf("ppo: %w", err)
		}
	}
	return res, err
}

// answered keeps the prompts that have an answer to check: with the
// checker the only source, the others would only spend rollouts on
// responses that all score 0.
func answered(prompts []Prompt, recs []data.Prompt, log io.Writer) ([]Prompt, error) {
	has := make(map[string]bool)
	for _, r := range recs {
		if r.Answer != "" {
			has[r.Prompt] = true
		}
	}
	var out []Prompt
	for _, p := range prompts {
		if has[p.Text] {
			out = append(out, p)
		}
	}
	if n := len(prompts) - len(out); n > 0 {
		fmt.Fprintf(log, "align: warning: %d of %d prompts have no answer to check and are skipped (the checker is the only reward source)\n", n, len(prompts))
	}
	if len(out) == 0 {
		return nil, yamlconf.Keyf("verify", "no prompt of the prompts file has an \"answer\" to check; add answers or another reward source")
	}
	return out, nil
}

// WriteText prints the summary of a run: its length, the last batch's
// statistics, the constraint when on, and where the files went.
func (r Result) WriteText(w io.Writer) {
	s := r.Last
	fmt.Fprintf(w, "%s: %d iterations in %s\n", r.Config.stage(), r.Iterations, progress.Duration(r.Elapsed))
	fmt.Fprintf(w, "  last batch: reward %.3f (raw %.3f), KL %.3f, β %.4f, entropy %.3f, length %.1f, EOS %.0f%%\n",
		s.Reward, s.RewardRaw, s.KL, s.Beta, s.Entropy, s.ResponseLen, 100*s.EOSRate)
	if r.Config.Constraint {
		fmt.Fprintf(w, "  cost %.3f (limit %.3f), λ %.3f\n", s.Cost, r.Config.CostLimit, s.Lambda)
	}
	if r.Config.Advantage.group() {
		fmt.Fprintf(w, "  groups of %d: %d of the last batch's %d flat (equal scores)\n", r.Config.GroupSize, s.FlatGroups, r.Config.BatchSize)
	}
	switch {
	case r.Out == "":
	case r.Config.Advantage.group():
		fmt.Fprintf(w, "  policy: %s  metrics: %s\n", r.Out, filepath.Join(r.Out, MetricsFile))
	default:
		fmt.Fprintf(w, "  policy: %s  value: %s  metrics: %s\n", r.Out, filepath.Join(r.Out, ValueDir), filepath.Join(r.Out, MetricsFile))
	}
}

// oneLine shortens s to n runes, newlines flattened, for a one-line display.
func oneLine(s string, n int) string {
	r := []rune(strings.ReplaceAll(s, "\n", " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "…"
}
