package ppo

import (
	"io"
	"math"

	"github.com/align-project/align/internal/trainkit"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
)

// Config holds every hyper-parameter of a PPO run. The YAML keys are the
// flag names of 'align ppo'. Start from DefaultConfig, overlay a file with
// DecodeYAML, then flags.
type Config struct {
	// Rollouts.
	Iterations        int     `yaml:"iterations"`          // rollout-and-update rounds in total
	BatchSize         int     `yaml:"batch_size"`          // prompts per rollout, each answered group_size times
	MiniBatch         int     `yaml:"mini_batch"`          // responses per gradient step; must divide batch_size × group_size
	MaxNewTokens      int     `yaml:"max_new_tokens"`      // longest response, stop token included
	Temperature       float64 `yaml:"temperature"`         // sampling temperature, also used for every log-probability
	RecomputeLogProbs bool    `yaml:"recompute_logprobs"`  // recompute the rollout log-probs with a forward pass instead of taking the sampler's
	MissingEOS        bool    `yaml:"missing_eos_penalty"` // give responses without a stop token missing_eos_score instead of their reward
	MissingEOSScore   float64 `yaml:"missing_eos_score"`   // the score of a response that never emitted EOS

	// Reward shaping.
	KLEstimator   KLEstimator `yaml:"kl_estimator"`   // k1, k2 or k3: the per-token KL in the reward
	KLCoef        float64     `yaml:"kl_coef"`        // β: fixed, or the initial value of the adaptive controller
	AdaptiveKL    bool        `yaml:"adaptive_kl"`    // adapt β towards target_kl
	TargetKL      float64     `yaml:"target_kl"`      // adaptive β: target KL per sequence, in nats
	KLHorizon     float64     `yaml:"kl_horizon"`     // adaptive β: horizon in responses
	WhitenRewards bool        `yaml:"whiten_rewards"` // scale the per-token rewards to unit variance over the batch
	ScoreClip     float64     `yaml:"score_clip"`     // clip scores to ±score_clip; 0 = off

	// Advantages.
	Gamma  float64 `yaml:"gamma"`  // discount
	Lambda float64 `yaml:"lambda"` // GAE λ

	// Critic-free group advantages (GRPO, RLOO, Dr. GRPO; see group.go).
	Advantage Advantage `yaml:"advantage"`  // gae (value model), grpo, rloo or dr_grpo
	GroupSize int       `yaml:"group_size"` // responses sampled per prompt; ≥ 2 for a group advantage
	LossNorm  LossNorm  `yaml:"loss_norm"`  // token: mean over the minibatch's tokens; sequence: mean per response, then over responses
	KLInLoss  bool      `yaml:"kl_in_loss"` // β·KL_t to the reference enters the loss at every token instead of the reward
	// ResampleFlat bounds the replacement prompts drawn per iteration for
	// groups whose rewards are all equal (they carry no signal); 0 = keep them.
	ResampleFlat int `yaml:"resample_flat"`

	// Update.
	Epochs         int     `yaml:"epochs"`           // passes over the rollout batch per iteration
	ClipRange      float64 `yaml:"clip_range"`       // ε of the clipped policy ratio (its lower side with clip_range_high)
	ClipRangeHigh  float64 `yaml:"clip_range_high"`  // upper ε of the ratio (DAPO's clip-higher); 0 = clip_range
	ClipRangeValue float64 `yaml:"clip_range_value"` // clip of the value change from the rollout's values
	VFCoef         float64 `yaml:"vf_coef"`          // value loss coefficient
	EntCoef        float64 `yaml:"ent_coef"`         // entropy bonus coefficient (exploration); 0 = off
	LR             float64 `yaml:"lr"`               // policy learning rate (Adam)
	ValueLR        float64 `yaml:"value_lr"`         // value learning rate; 0 = lr
	AdamEps        float64 `yaml:"adam_eps"`         // Adam ε
	MaxGradNorm    float64 `yaml:"max_grad_norm"`    // clip each network's gradient norm to this; 0 = off
	ApproxKLStop   float64 `yaml:"approx_kl_stop"`   // end an epoch when the approximate KL to the rollout policy exceeds this; 0 = never

	// Cost constraint (Safe-RLHF style Lagrangian).
	Constraint bool    `yaml:"constraint"`  // use the reward source's cost with a limit
	CostLimit  float64 `yaml:"cost_limit"`  // the batch mean cost should stay at or below this
	LambdaInit float64 `yaml:"lambda_init"` // initial Lagrange multiplier
	LambdaLR   float64 `yaml:"lambda_lr"`   // multiplier step per unit of cost excess
	LambdaMax  float64 `yaml:"lambda_max"`  // upper bound of the multiplier; 0 = none

	// Logging and checkpoints.
	SampleEvery int    `yaml:"sample_every"` // iterations between sample tables; 0 = never
	SampleRows  int    `yaml:"sample_rows"`  // rows per sample table
	SaveEvery   int    `yaml:"save_every"`   // iterations between resumable checkpoints; 0 = only at the end and on interrupt
	Seed        uint64 `yaml:"seed"`         // sampling, prompt order and minibatch shuffling

	// Train LoRA adapters (on the policy and the value model) instead of
	// every weight; the policy's frozen base is the reference.
	trainkit.LoRA `yaml:",inline"`
}

// DefaultConfig returns the defaults of the issue and the N implementation
// details: k1 KL with an adaptive β (0.05, target 6 nats, horizon 10,000),
// no reward whitening, scores clipped to ±10, EOS-less responses scored −1,
// GAE with γ 1 and λ 0.95, ε 0.2, value clip 0.2 with coefficient 0.1,
// 4 epochs, Adam ε 1e-5 and gradient norms clipped to 1.
func DefaultConfig() Config {
	return Config{
		Iterations:      100,
		BatchSize:       64,
		MiniBatch:       16,
		MaxNewTokens:    48,
		Temperature:     0.7,
		MissingEOS:      true,
		MissingEOSScore: -1,
		KLEstimator:     K1,
		KLCoef:          0.05,
		AdaptiveKL:      true,
		TargetKL:        6,
		KLHorizon:       10000,
		ScoreClip:       10,
		Gamma:           1,
		Lambda:          0.95,
		Advantage:       AdvGAE,
		GroupSize:       1,
		LossNorm:        TokenMean,
		Epochs:          4,
		ClipRange:       0.2,
		ClipRangeValue:  0.2,
		VFCoef:          0.1,
		LR:              1e-5,
		AdamEps:         1e-5,
		MaxGradNorm:     1,
		LambdaLR:        0.05,
		LambdaMax:       100,
		SampleEvery:     10,
		SampleRows:      4,
		SaveEvery:       10,
		Seed:            1,
	}
}

// GRPOConfig returns the defaults of 'align grpo': DefaultConfig with the
// choices of GRPO (Shao et al. 2024, DeepSeekMath) where they differ. Eight
// prompts of eight responses each keep the 64 responses of a PPO rollout;
// the group's mean and spread replace the value model, whose absence makes
// one epoch enough (each rollout is used once, so the ratio stays near 1 and
// the clip only guards the later minibatches of an iteration). The KL to
// the reference is a loss term, β·k3 per token with a fixed β of 0.04 as in
// the paper, so the reward the groups compare is the score alone; the loss
// is a mean per response, then over responses (loss_norm sequence), as the
// paper writes it. Sampling at temperature 1 keeps the groups diverse:
// fewer of them come back with equal rewards and no signal. Clipping stays
// symmetric (clip_range_high 0) and flat groups are not resampled
// (resample_flat 0); both are one flag away.
func GRPOConfig() Config {
	c := DefaultConfig()
	c.Advantage = AdvGRPO
	c.BatchSize, c.GroupSize, c.MiniBatch = 8, 8, 16
	c.Epochs = 1
	c.Temperature = 1
	c.KLEstimator, c.KLCoef, c.AdaptiveKL, c.KLInLoss = K3, 0.04, false, true
	c.LossNorm = SequenceMean
	return c
}

// Validate reports the first setting that cannot work as a
// *yamlconf.KeyError naming its YAML key.
func (c Config) Validate() error {
	if err := c.LoRA.Check(); err != nil {
		return err
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	for _, k := range []struct {
		bad  bool
		name string
		msg  string
		val  any
	}{
		{c.Iterations < 1, "iterations", "must be at least 1", c.Iterations},
		{c.BatchSize < 1, "batch_size", "must be at least 1", c.BatchSize},
		{!c.Advantage.valid(), "advantage", "must be gae, grpo, rloo or dr_grpo", c.Advantage},
		{c.GroupSize < 1, "group_size", "must be at least 1", c.GroupSize},
		{c.Advantage.group() && c.GroupSize < 2, "group_size", "must be at least 2 with a group advantage (grpo, rloo, dr_grpo compare the responses to one prompt)", c.GroupSize},
		{c.GroupSize == 1 && (c.MiniBatch < 1 || c.MiniBatch > c.BatchSize), "mini_batch", "must be in [1, batch_size]", c.MiniBatch},
		{c.GroupSize == 1 && c.MiniBatch > 0 && c.BatchSize%c.MiniBatch != 0, "mini_batch", "must divide batch_size", c.MiniBatch},
		{c.GroupSize > 1 && (c.MiniBatch < 1 || c.MiniBatch > c.responses()), "mini_batch", "must be in [1, batch_size × group_size]", c.MiniBatch},
		{c.GroupSize > 1 && c.MiniBatch > 0 && c.responses()%c.MiniBatch != 0, "mini_batch", "must divide batch_size × group_size (the responses of a rollout)", c.MiniBatch},
		{!c.LossNorm.valid(), "loss_norm", "must be token or sequence", c.LossNorm},
		{c.ResampleFlat < 0, "resample_flat", "must not be negative", c.ResampleFlat},
		{c.ResampleFlat > 0 && !c.Advantage.group(), "resample_flat", "needs a group advantage (grpo, rloo, dr_grpo)", c.ResampleFlat},
		{c.WhitenRewards && c.Advantage.group(), "whiten_rewards", "applies to the per-token rewards of advantage gae only", c.WhitenRewards},
		{c.MaxNewTokens < 1, "max_new_tokens", "must be at least 1", c.MaxNewTokens},
		{!(c.Temperature > 0) || !finite(c.Temperature), "temperature", "must be a positive number (PPO samples; it cannot be greedy)", c.Temperature},
		{!finite(c.MissingEOSScore), "missing_eos_score", "must be finite", c.MissingEOSScore},
		{!c.KLEstimator.valid(), "kl_estimator", "must be k1, k2 or k3", c.KLEstimator},
		{!(c.KLCoef >= 0) || !finite(c.KLCoef), "kl_coef", "must be ≥ 0", c.KLCoef},
		{c.AdaptiveKL && !(c.TargetKL > 0), "target_kl", "must be positive with adaptive_kl", c.TargetKL},
		{c.AdaptiveKL && !(c.KLHorizon > 0), "kl_horizon", "must be positive with adaptive_kl", c.KLHorizon},
		{c.AdaptiveKL && !(c.KLCoef > 0), "kl_coef", "must be positive with adaptive_kl (β is multiplied)", c.KLCoef},
		{!(c.ScoreClip >= 0), "score_clip", "must be ≥ 0", c.ScoreClip},
		{!(c.Gamma >= 0 && c.Gamma <= 1), "gamma", "must be in [0, 1]", c.Gamma},
		{!(c.Lambda >= 0 && c.Lambda <= 1), "lambda", "must be in [0, 1]", c.Lambda},
		{c.Epochs < 1, "epochs", "must be at least 1", c.Epochs},
		{!(c.ClipRange > 0), "clip_range", "must be positive", c.ClipRange},
		{!(c.ClipRangeHigh >= 0) || !finite(c.ClipRangeHigh), "clip_range_high", "must be ≥ 0 (0 = clip_range)", c.ClipRangeHigh},
		{!(c.ClipRangeValue >= 0), "clip_range_value", "must be ≥ 0 (0 turns value clipping off)", c.ClipRangeValue},
		{!(c.VFCoef > 0) || !finite(c.VFCoef), "vf_coef", "must be positive", c.VFCoef},
		{!(c.EntCoef >= 0) || !finite(c.EntCoef), "ent_coef", "must be ≥ 0", c.EntCoef},
		{!(c.LR > 0) || !finite(c.LR), "lr", "must be positive", c.LR},
		{!(c.ValueLR >= 0) || !finite(c.ValueLR), "value_lr", "must be ≥ 0", c.ValueLR},
		{!(c.AdamEps >= 0), "adam_eps", "must be ≥ 0", c.AdamEps},
		{!(c.MaxGradNorm >= 0), "max_grad_norm", "must be ≥ 0", c.MaxGradNorm},
		{!(c.ApproxKLStop >= 0), "approx_kl_stop", "must be ≥ 0", c.ApproxKLStop},
		{!finite(c.CostLimit), "cost_limit", "must be finite", c.CostLimit},
		{!(c.LambdaInit >= 0) || !finite(c.LambdaInit), "lambda_init", "must be ≥ 0", c.LambdaInit},
		{!(c.LambdaLR >= 0) || !finite(c.LambdaLR), "lambda_lr", "must be ≥ 0", c.LambdaLR},
		{!(c.LambdaMax >= 0), "lambda_max", "must be ≥ 0", c.LambdaMax},
		{c.SampleEvery < 0, "sample_every", "must not be negative", c.SampleEvery},
		{c.SampleRows < 0, "sample_rows", "must not be negative", c.SampleRows},
		{c.SaveEvery < 0, "save_every", "must not be negative", c.SaveEvery},
	} {
		if k.bad {
			return yamlconf.Keyf(k.name, "%v: %s", k.val, k.msg)
		}
	}
	return nil
}

// stage names the method in the saved policy's config and done markers:
// "ppo", or the group advantage's name.
func (c Config) stage() string {
	if c.Advantage.group() {
		return string(c.Advantage)
	}
	return "ppo"
}

// responses is the number of responses of a rollout.
func (c Config) responses() int { return c.BatchSize * c.GroupSize }

// clipHigh is the upper ε of the policy ratio.
func (c Config) clipHigh() float64 {
	if c.ClipRangeHigh > 0 {
		return c.ClipRangeHigh
	}
	return c.ClipRange
}

// valueLR is the value model's learning rate.
func (c Config) valueLR() float64 {
	if c.ValueLR > 0 {
		return c.ValueLR
	}
	return c.LR
}

// adam returns the optimizer settings for both networks: Adam (no weight
// decay) with ε AdamEps and gradient clipping.
func (c Config) adam() model.AdamWConfig {
	return model.AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: float32(c.AdamEps), ClipNorm: c.MaxGradNorm}
}

// DecodeYAML overlays the YAML document in r (named name in errors) on c:
// keys present replace c's values, absent keys keep them. Unknown keys are
// errors, so a misspelt setting never goes unnoticed.
func (c *Config) DecodeYAML(r io.Reader, name string) error { return yamlconf.Decode(r, name, c) }

// LoadYAML overlays the YAML file at path on c; see DecodeYAML.
func (c *Config) LoadYAML(path string) error { return yamlconf.Load(path, c) }

// YAML returns c as a YAML document with every key present, in field order:
// the effective config saved with each run.
func (c Config) YAML() []byte { return yamlconf.Encode(c) }

// Keys lists the YAML keys of Config in field order (the flag names).
func Keys() []string { return yamlconf.Keys[Config]() }

// CopyKey sets the setting named key (a YAML key) of c to its value in src
// and reports whether key names a setting; the CLI lets flags given on the
// command line win over a config file with it.
func (c *Config) CopyKey(key string, src Config) bool { return yamlconf.CopyKey(c, key, src) }
