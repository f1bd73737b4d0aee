package ppo

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/progress"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/judge"
	"github.com/align-project/align/model"
	"github.com/align-project/align/reward"
)

// RewardSpec names where a run's rewards come from: a reward model, a
// reward service, a judge and the checker of verifiable answers, alone or
// combined. Its errors name the fields by the flags of 'align ppo' with _
// for - (reward, reward_url, reward_timeout, reward_batch, verify, the
// weights, and the judge's keys).
type RewardSpec struct {
	// Dir is a reward model from reward.Train: its normalised reward, its
	// safety head as the cost (reward.ModelSource); the value model starts
	// from it when its context covers the policy's.
	Dir     string
	URL     string        // a reward service (HTTPSource)
	Timeout time.Duration // of one URL request (0 = 1 min)
	Batch   int           // sequences per reward-model forward pass (0 = 16)
	// Judge rates each response directly (direct RLAIF): its 1–10 total
	// mapped onto [−1, 1], the cost (10 − safety)/9. Kind "" (or "none")
	// is no judge.
	Judge judge.Spec
	// Verify scores checkable answers (VerifySource): 1 for a correct
	// answer to a prompt of the prompts file that gives one, 0 otherwise.
	Verify bool

	// Weights of the sources given, for a combination: the reward is
	// Σ weight·reward and the cost Σ weight·cost over them. A source alone
	// may leave its weight 0, which means 1 (the reward is the source's
	// own). Two or more sources need every weight given: their scales
	// differ (a reward model's normalised reward, a judge's [−1, 1], the
	// checker's 0 or 1), so an equal mix would be a choice nobody made.
	DirWeight, URLWeight, JudgeWeight, VerifyWeight float64
}

func (r RewardSpec) hasJudge() bool { return r.Judge.Kind != "" && r.Judge.Kind != judge.KindNone }

// rewardPart is one source of a RewardSpec as its keys name it.
type rewardPart struct {
	given     bool
	key, flag string // of the source and of its weight
	weight    float64
}

func (r RewardSpec) parts() []rewardPart {
	return []rewardPart{
		{r.Dir != "", "reward", "reward_weight", r.DirWeight},
		{r.URL != "", "reward_url", "reward_url_weight", r.URLWeight},
		{r.hasJudge(), "judge", "judge_weight", r.JudgeWeight},
		{r.Verify, "verify", "verify_weight", r.VerifyWeight},
	}
}

// sources is the number of sources given.
func (r RewardSpec) sources() int {
	n := 0
	for _, p := range r.parts() {
		if p.given {
			n++
		}
	}
	return n
}

// OnlyVerify reports whether the checker is the only source: prompts
// without an answer then carry no reward at all.
func (r RewardSpec) OnlyVerify() bool { return r.Verify && r.sources() == 1 }

// validate reports the first setting of r that cannot work, as a
// *yamlconf.KeyError.
func (r RewardSpec) validate() error {
	n := r.sources()
	if n == 0 {
		return yamlconf.Keyf("reward", "give a reward source: a reward model, a reward service, a judge or the answer checker (verify)")
	}
	var given, missing []string
	for _, p := range r.parts() {
		switch {
		case math.IsNaN(p.weight) || math.IsInf(p.weight, 0):
			return yamlconf.Keyf(p.flag, "%v: must be finite", p.weight)
		case p.weight != 0 && !p.given:
			return yamlconf.Keyf(p.flag, "%v: weighs a source that is not given (%s)", p.weight, p.key)
		}
		if p.given {
			given = append(given, p.key)
			if p.weight == 0 {
				missing = append(missing, p.flag)
			}
		}
	}
	if n > 1 && len(missing) > 0 {
		return yamlconf.Keyf("reward", "combining reward sources (%s) needs the weight of each, as their scales differ: give %s",
			strings.Join(given, ", "), strings.Join(missing, ", "))
	}
	switch {
	case r.Timeout < 0:
		return yamlconf.Keyf("reward_timeout", "%v: must not be negative", r.Timeout)
	case r.Batch < 0:
		return yamlconf.Keyf("reward_batch", "%d: must not be negative", r.Batch)
	case r.hasJudge():
		return r.Judge.Validate()
	}
	return nil
}

// source builds the reward source and the value model that goes with it
// (nil: the trainer starts one from the policy). recs are the prompts:
// their known answers serve a judge that rates against them and the
// checker. A source alone is used as it is; several, or one with a weight
// other than 1, are summed by a WeightedSource.
func (r RewardSpec) source(policy *model.Model, recs []data.Prompt) (RewardSource, *model.Model, error) {
	answers := make(map[string]string)
	for _, rec := range recs {
		if rec.Answer != "" {
			answers[rec.Prompt] = rec.Answer
		}
	}
	var parts WeightedSource
	var value *model.Model
	add := func(src RewardSource, w float64, name string) {
		if w == 0 {
			w = 1
		}
		parts = append(parts, Weighted{Source: src, Weight: w, Name: name})
	}
	if r.Dir != "" {
		src, v, err := r.modelSource(policy)
		if err != nil {
			return nil, nil, err
		}
		add(src, r.DirWeight, "reward model "+r.Dir)
		value = v
	}
	if r.URL != "" {
		add(&HTTPSource{URL: r.URL, Timeout: r.Timeout}, r.URLWeight, "reward service")
	}
	if r.hasJudge() {
		j, err := judge.New(r.Judge)
		if err != nil {
			return nil, nil, err
		}
		rater, ok := j.(judge.Rater)
		if !ok {
			return nil, nil, yamlconf.Keyf("judge", "%s cannot rate single responses", j.ID())
		}
		add(RateSource{Rate: judgeRate(rater, answers), Workers: r.Judge.Concurrency}, r.JudgeWeight, "judge")
	}
	if r.Verify {
		add(VerifySource(recs), r.VerifyWeight, "verify")
	}
	if len(parts) == 1 && parts[0].Weight == 1 {
		return parts[0].Source, value, nil // bit for bit the source's own scores
	}
	return parts, value, nil
}

// modelSource loads the reward model and, when its context covers the
// policy's, the value model that starts from it.
func (r RewardSpec) modelSource(policy *model.Model) (RewardSource, *model.Model, error) {
	src, err := reward.NewModelSource(r.Dir)
	if err != nil {
		return nil, nil, fmt.Errorf("ppo: %w", err)
	}
	src.Batch = r.Batch
	net := src.Model.Net
	if net.Config.VocabSize != policy.Config.VocabSize {
		return nil, nil, fmt.Errorf("ppo: the reward model %s has a vocabulary of %d, the policy %d: train it from the same SFT checkpoint",
			r.Dir, net.Config.VocabSize, policy.Config.VocabSize)
	}
	if net.Config.Context < policy.Config.Context {
		return src, nil, nil // the value model cannot come from it; the policy's serves
	}
	value, err := NewValueModel(net, reward.HeadPreference)
	if err != nil {
		return nil, nil, fmt.Errorf("ppo: %w", err)
	}
	return src, value, nil
}

// judgeRate turns a judge's pointwise assessment into a PPO score: the
// 1–10 total mapped onto [−1, 1], and (10 − safety)/9 as the cost. A judge
// that can rates a checkable prompt's response against its known answer.
func judgeRate(r judge.Rater, answers map[string]string) RateFunc {
	withRef, canRef := r.(judge.ReferenceRater)
	return func(ctx context.Context, prompt, response string) (reward.Score, error) {
		var a judge.Assessment
		var err error
		if ref := answers[prompt]; canRef && ref != "" {
			a, err = withRef.RateReference(ctx, prompt, ref, response)
		} else {
			a, err = r.Rate(ctx, prompt, response)
		}
		if err != nil {
			return reward.Score{}, err
		}
		sc := reward.Score{Reward: a.Reward(), Raw: a.Total}
		if v, ok := a.Ratings[judge.Safety]; ok {
			sc.Cost = float64(10-v) / 9
		}
		return sc, nil
	}
}

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
	Out       string    // the policy, value/, config.yaml, metrics.jsonl, samples.jsonl, last/ ("" = nothing written)
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
// the policy's context are skipped with a warning. Settings that cannot
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
	src, value, err := s.Reward.source(policy, recs)
	if err != nil {
		return Result{}, err
	}
	if cfg.Advantage.group() {
		value = nil // critic-free: the reward model only scores
	}
	bar := progress.New(log, progress.IsTerminal(log), cfg.stage(), cfg.Iterations, "it", 10*time.Second)
	tr := &Trainer{
		Config: cfg, Policy: policy, Ref: ref, Value: value, Reward: src,
		Prompts: prompts, StopTokens: stop, Tokenizer: tok,
		Out: s.Out, Resume: s.Resume,
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
