package dpo

import (
	"fmt"
	"io"
	"math"

	"github.com/align-project/align/internal/trainkit"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
)

// LossKind names the preference loss, a function of the implicit-reward
// difference h of a pair (see Loss).
type LossKind string

// The losses.
const (
	Sigmoid      LossKind = "sigmoid"      // DPO (Rafailov et al. 2023)
	IPO          LossKind = "ipo"          // identity preference optimisation (Azar et al. 2023)
	Robust       LossKind = "robust"       // rDPO (Chowdhury et al. 2024): unbiased under label flips at rate ε
	Conservative LossKind = "conservative" // cDPO: cross-entropy to a smoothed label 1 − ε (or p_chosen)
)

func (k LossKind) valid() bool { return k == Sigmoid || k == IPO || k == Robust || k == Conservative }

// Config holds every setting of a DPO run. The YAML keys are the flag names
// of 'align dpo'. Start from DefaultConfig, overlay a file with DecodeYAML,
// then flags.
type Config struct {
	// The objective.
	Loss            LossKind `yaml:"loss"`             // sigmoid, ipo, robust or conservative
	Beta            float64  `yaml:"beta"`             // β: the strength of the pull to the reference
	LabelFlipRate   float64  `yaml:"label_flip_rate"`  // ε: the assumed rate of wrong labels (robust) or the label smoothing (conservative)
	UseSoftLabels   bool     `yaml:"use_soft_labels"`  // conservative: a record's p_chosen is its target instead of 1 − ε
	LengthNormalize bool     `yaml:"length_normalize"` // log-probs averaged per response token instead of summed

	// Optimisation.
	LR          float64 `yaml:"lr"`            // peak learning rate (AdamW)
	MinLR       float64 `yaml:"min_lr"`        // learning rate at the end of the cosine decay
	Warmup      int     `yaml:"warmup"`        // steps of linear warm-up
	BatchSize   int     `yaml:"batch_size"`    // pairs per step
	Steps       int     `yaml:"steps"`         // optimizer steps; 0 = epochs passes over the pairs
	Epochs      float64 `yaml:"epochs"`        // passes over the training pairs when steps is 0
	MaxLen      int     `yaml:"max_len"`       // tokens per sequence at most (0 = the policy's context)
	MaxGradNorm float64 `yaml:"max_grad_norm"` // clip the gradient norm to this; 0 = off
	WeightDecay float64 `yaml:"weight_decay"`  // AdamW decoupled decay of matrices and embeddings

	// Evaluation, early stopping, checkpoints.
	EvalEvery      int     `yaml:"eval_every"`        // steps between held-out evaluations (and the last step); 0 = only the last
	Patience       int     `yaml:"patience"`          // stop after this many evaluations without a better held-out accuracy; 0 = never
	MinDelta       float64 `yaml:"min_delta"`         // a better accuracy must beat the best by more than this
	KLPrompts      int     `yaml:"kl_prompts"`        // held-out prompts answered to measure the KL to the reference; 0 = no KL
	KLMaxNewTokens int     `yaml:"kl_max_new_tokens"` // longest response sampled for the KL
	ChosenDropWarn float64 `yaml:"chosen_drop_warn"`  // warn when the held-out chosen log-prob falls this many nats below the reference's; 0 = never
	SaveEvery      int     `yaml:"save_every"`        // steps between resumable checkpoints; 0 = only at the end and on interrupt
	Seed           uint64  `yaml:"seed"`              // pair order and the KL samples

	// Train LoRA adapters instead of every weight; the base is the reference.
	trainkit.LoRA `yaml:",inline"`
}

// DefaultConfig returns the usual DPO setting: the sigmoid loss with β 0.1,
// summed log-probs, a small learning rate with a short warm-up and cosine
// decay, two epochs of 16 pairs a step.
func DefaultConfig() Config {
	return Config{
		Loss:           Sigmoid,
		Beta:           0.1,
		LR:             1e-5,
		MinLR:          1e-6,
		Warmup:         10,
		BatchSize:      16,
		Epochs:         2,
		MaxGradNorm:    1,
		EvalEvery:      50,
		KLPrompts:      8,
		KLMaxNewTokens: 32,
		ChosenDropWarn: 5,
		SaveEvery:      100,
		Seed:           1,
	}
}

// Validate reports the first setting that cannot work as a
// *yamlconf.KeyError naming its YAML key.
func (c Config) Validate() error {
	if err := c.LoRA.Check(); err != nil {
		return err
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	maxEps := 1.0
	if c.Loss == Robust {
		maxEps = 0.5 // the rDPO loss divides by 1 − 2ε
	}
	for _, k := range []struct {
		bad  bool
		name string
		msg  string
		val  any
	}{
		{!c.Loss.valid(), "loss", "must be sigmoid, ipo, robust or conservative", c.Loss},
		{!(c.Beta > 0) || !finite(c.Beta), "beta", "must be positive", c.Beta},
		{!(c.LabelFlipRate >= 0 && c.LabelFlipRate < maxEps), "label_flip_rate", fmt.Sprintf("must be in [0, %g) for the %s loss", maxEps, c.Loss), c.LabelFlipRate},
		{c.UseSoftLabels && c.Loss != Conservative, "use_soft_labels", "needs the conservative loss (soft labels are its targets)", c.UseSoftLabels},
		{!(c.LR > 0) || !finite(c.LR), "lr", "must be positive", c.LR},
		{!(c.MinLR >= 0 && c.MinLR <= c.LR), "min_lr", "must be in [0, lr]", c.MinLR},
		{c.Warmup < 0, "warmup", "must not be negative", c.Warmup},
		{c.BatchSize < 1, "batch_size", "must be at least 1", c.BatchSize},
		{c.Steps < 0, "steps", "must not be negative", c.Steps},
		{c.Steps == 0 && !(c.Epochs > 0 && finite(c.Epochs)), "epochs", "must be positive when steps is 0", c.Epochs},
		{c.MaxLen < 0 || c.MaxLen == 1, "max_len", "must be 0 or at least 2", c.MaxLen},
		{!(c.MaxGradNorm >= 0) || !finite(c.MaxGradNorm), "max_grad_norm", "must be ≥ 0", c.MaxGradNorm},
		{!(c.WeightDecay >= 0) || !finite(c.WeightDecay), "weight_decay", "must be ≥ 0", c.WeightDecay},
		{c.EvalEvery < 0, "eval_every", "must not be negative", c.EvalEvery},
		{c.Patience < 0, "patience", "must not be negative", c.Patience},
		{!(c.MinDelta >= 0) || !finite(c.MinDelta), "min_delta", "must be ≥ 0", c.MinDelta},
		{c.KLPrompts < 0, "kl_prompts", "must not be negative", c.KLPrompts},
		{c.KLPrompts > 0 && c.KLMaxNewTokens < 1, "kl_max_new_tokens", "must be at least 1 with kl_prompts", c.KLMaxNewTokens},
		{!(c.ChosenDropWarn >= 0) || !finite(c.ChosenDropWarn), "chosen_drop_warn", "must be ≥ 0", c.ChosenDropWarn},
		{c.SaveEvery < 0, "save_every", "must not be negative", c.SaveEvery},
	} {
		if k.bad {
			return yamlconf.Keyf(k.name, "%v: %s", k.val, k.msg)
		}
	}
	return nil
}

// TotalSteps is the length of a run on n training pairs: Steps, or enough
// steps of BatchSize pairs for Epochs passes.
func (c Config) TotalSteps(n int) int {
	if c.Steps > 0 {
		return c.Steps
	}
	return max(1, int(math.Ceil(c.Epochs*float64(n)/float64(c.BatchSize))))
}

// schedule is the learning rate over a run of steps.
func (c Config) schedule(steps int) trainkit.Schedule {
	return trainkit.Schedule{LR: c.LR, MinLR: c.MinLR, Warmup: c.Warmup, Steps: steps}
}

// adam returns the optimizer settings: AdamW with betas 0.9 and 0.999.
func (c Config) adam() model.AdamWConfig {
	return model.AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: float32(c.WeightDecay), ClipNorm: c.MaxGradNorm}
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
