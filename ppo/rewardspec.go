package ppo

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/align-project/align/data"
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

// valueLoRA is the value model's adapters in a LoRA run.
type valueLoRA struct {
	cfg  model.LoRAConfig
	seed uint64
}

// source builds the reward source and the value model that goes with it
// (nil: the trainer starts one from the policy). recs are the prompts:
// their known answers serve a judge that rates against them and the
// checker. A source alone is used as it is; several, or one with a weight
// other than 1, are summed by a WeightedSource. With vl (a LoRA run) a
// value model from the reward model shares its base and trains adapters
// vl; without, it is a full copy. Without critic (a group advantage) no
// value model is built.
func (r RewardSpec) source(policy *model.Model, recs []data.Prompt, critic bool, vl *valueLoRA) (RewardSource, *model.Model, error) {
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
		src, v, err := r.modelSource(policy, critic, vl)
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

// modelSource loads the reward model and, when a critic is wanted and the
// reward model's context covers the policy's, the value model that starts
// from it: in a LoRA run (vl) one that shares the reward model's frozen
// base, else a copy.
func (r RewardSpec) modelSource(policy *model.Model, critic bool, vl *valueLoRA) (RewardSource, *model.Model, error) {
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
	if !critic {
		return src, nil, nil
	}
	if net.Config.Context < policy.Config.Context {
		return src, nil, nil // the value model cannot come from it; the policy's serves
	}
	var value *model.Model
	if vl != nil {
		value, err = NewLoRAValueModel(net, reward.HeadPreference, vl.cfg, vl.seed)
	} else {
		value, err = NewValueModel(net, reward.HeadPreference)
	}
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
