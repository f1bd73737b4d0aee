package train

import (
	"errors"
	"io"

	"github.com/align-project/align/internal/trainkit"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
)

// Config holds every hyper-parameter of a training run. The YAML keys are
// the names of the command-line flags of 'align pretrain' and 'align sft', so
// a config file and the flags read alike. Start from DefaultPretrain or
// DefaultSFT, overlay a file with DecodeYAML, then the flags.
type Config struct {
	// Model shape and tokenizer (pretraining only; SFT inherits its base's).
	Layers int `yaml:"layers"` // transformer blocks (L)
	Dim    int `yaml:"dim"`    // channels of the residual stream (C)
	Heads  int `yaml:"heads"`  // attention heads (NH); must divide Dim
	Ctx    int `yaml:"ctx"`    // context length (T): tokens per training row
	Vocab  int `yaml:"vocab"`  // BPE vocabulary size trained on the corpus (V)

	// The architecture: "" or "gpt2", or "llama" (RMSNorm, RoPE, SwiGLU,
	// grouped-query attention). The other keys are Llama settings; they are
	// left out of a GPT-2 run's config.yaml, which reads as it always did.
	Arch      string  `yaml:"arch,omitempty"`
	KVHeads   int     `yaml:"kv_heads,omitempty"`   // key/value heads (GQA); 0 = heads
	MLPHidden int     `yaml:"mlp_hidden,omitempty"` // SwiGLU width; 0 = 8/3·dim rounded up to a multiple of 64
	RopeTheta float64 `yaml:"rope_theta,omitempty"` // RoPE base θ; 0 = 10000
	Tied      bool    `yaml:"tied,omitempty"`       // the LM head is the token embedding

	// Optimisation.
	Steps       int     `yaml:"steps"`        // optimizer updates in total
	Batch       int     `yaml:"batch"`        // rows (sequences of Ctx tokens) per micro-batch (B)
	GradAccum   int     `yaml:"grad_accum"`   // micro-batches summed into one update
	LR          float64 `yaml:"lr"`           // peak learning rate, reached after Warmup steps
	MinLR       float64 `yaml:"min_lr"`       // learning rate at the end of the cosine decay
	Warmup      int     `yaml:"warmup"`       // steps of linear warm-up from LR/Warmup to LR
	WeightDecay float64 `yaml:"weight_decay"` // AdamW decoupled decay on matrices and embeddings
	Beta1       float64 `yaml:"beta1"`        // AdamW first-moment decay
	Beta2       float64 `yaml:"beta2"`        // AdamW second-moment decay
	Eps         float64 `yaml:"eps"`          // AdamW epsilon
	Clip        float64 `yaml:"clip"`         // clip the global gradient norm to this; 0 = off

	// Data.
	// HeldOut is the fraction of the data held out as the validation set
	// whose loss picks the best model, stops the run early and measures the
	// overfitting gap. For SFT on the embedded set it is carved from the
	// training examples (same templates); the held-out-template prompts are
	// only logged (generalization_loss) and answered in the final evaluation.
	HeldOut float64 `yaml:"heldout"`
	Pack    bool    `yaml:"pack"` // SFT: pack examples into full rows (false: one padded example per row)

	// Evaluation, early stopping and overfitting detection.
	EvalEvery   int     `yaml:"eval_every"`   // steps between held-out evaluations; 0 = only at the end
	EvalBatches int     `yaml:"eval_batches"` // held-out micro-batches per evaluation; 0 = all
	Patience    int     `yaml:"patience"`     // stop after this many evaluations without a new best; 0 = never
	MinDelta    float64 `yaml:"min_delta"`    // a new best must beat the old by more than this
	GapEvals    int     `yaml:"gap_evals"`    // warn when held-out minus train loss grows this many evaluations running; 0 = never

	// Checkpoints and logging.
	SaveEvery int `yaml:"save_every"` // steps between resumable checkpoints in OUT/last; 0 = only at the end and on interrupt
	LogEvery  int `yaml:"log_every"`  // steps between metrics lines

	// SFT sampling evaluation at the end of 'align sft'.
	EvalSamples  int     `yaml:"eval_samples"`   // held-out prompts to answer (at most); 0 = none
	MaxNewTokens int     `yaml:"max_new_tokens"` // longest sampled answer
	Temperature  float64 `yaml:"temperature"`    // 0 = greedy

	Seed uint64 `yaml:"seed"` // data order and initialisation

	// SFT only: train LoRA adapters instead of every weight.
	trainkit.LoRA `yaml:",inline"`
}

// DefaultPretrain returns the pretraining defaults: the reference model
// (4 layers, 256 channels, 4 heads, 128 tokens, 2048-token BPE vocabulary),
// tuned so that pretraining on the embedded corpus plus SFT finish in about
// ten minutes on two cores.
func DefaultPretrain() Config {
	return Config{
		Layers: 4, Dim: 256, Heads: 4, Ctx: 128, Vocab: 2048,
		Steps: 1800, Batch: 8, GradAccum: 1,
		LR: 2e-3, MinLR: 2e-4, Warmup: 100,
		WeightDecay: 0.1, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, Clip: 1,
		HeldOut: 0.05, Pack: true,
		EvalEvery: 150, EvalBatches: 16, Patience: 4, GapEvals: 3,
		SaveEvery: 300, LogEvery: 10,
		EvalSamples: 0, MaxNewTokens: 64, Temperature: 0,
		Seed: 1,
	}
}

// DefaultSFT returns the supervised fine-tuning defaults: padded rows (one
// example each), batches of 16, a peak learning rate of 7e-4, evaluation
// every 50 steps and a sampling evaluation on held-out prompts at the end.
// The run is long enough (800 steps, about ten epochs of the embedded set)
// for early stopping to pick the model: on the embedded set the validation
// loss (a 5% split of the training examples, see HeldOut) bottoms out after
// five to seven epochs, when the model answers in-distribution prompts well
// and tells harmful from benign held-out ones. The old 400 steps at 3e-4,
// stopped on the held-out-template loss, ended after about one epoch with a
// model that answered most prompts alike.
func DefaultSFT() Config {
	c := DefaultPretrain()
	c.Steps, c.Batch, c.LR, c.MinLR, c.Warmup = 800, 16, 7e-4, 7e-5, 20
	c.EvalEvery, c.EvalBatches, c.SaveEvery = 50, 0, 100
	// One example per row, starting at position 0 as at inference: on the
	// embedded set this conditions answers on the prompt better than packing.
	c.Pack = false
	c.EvalSamples, c.MaxNewTokens = 1000, 64
	return c
}

// ModelConfig is the model shape of a pretraining config, with the
// vocabulary size given (that of the trained tokenizer, which may be smaller
// than Vocab).
func (c Config) ModelConfig(vocab int) model.Config {
	mc := model.Config{VocabSize: vocab, Context: c.Ctx, Layers: c.Layers, Heads: c.Heads, Channels: c.Dim}
	if c.Arch == model.ArchGPT2 {
		mc.Arch = c.Arch
	}
	if c.Arch != model.ArchLlama {
		return mc
	}
	mc.Arch, mc.KVHeads, mc.RopeTheta, mc.TiedEmbeddings = c.Arch, c.KVHeads, c.RopeTheta, c.Tied
	mc.Hidden = c.MLPHidden
	if mc.Hidden == 0 {
		// Llama's rule: two thirds of GPT-2's 4C, since SwiGLU has three
		// matrices where GPT-2's MLP has two, rounded up for the kernels.
		mc.Hidden = (8*c.Dim/3 + 63) / 64 * 64
	}
	return mc
}

// AdamW returns the optimizer settings of c.
func (c Config) AdamW() model.AdamWConfig {
	return model.AdamWConfig{
		Beta1: float32(c.Beta1), Beta2: float32(c.Beta2), Eps: float32(c.Eps),
		WeightDecay: float32(c.WeightDecay), ClipNorm: c.Clip,
	}
}

// Validate reports the first setting that cannot work as a
// *yamlconf.KeyError naming it by its YAML key (which is also the flag name).
func (c Config) Validate() error {
	type check struct {
		bad  bool
		name string
		msg  string
		val  any
	}
	for _, k := range []check{
		{c.Layers < 1, "layers", "must be at least 1", c.Layers},
		{c.Dim < 1, "dim", "must be at least 1", c.Dim},
		{c.Heads < 1 || (c.Dim > 0 && c.Dim%c.Heads != 0), "heads", "must be at least 1 and divide dim", c.Heads},
		{c.Ctx < 2, "ctx", "must be at least 2", c.Ctx},
		{c.Arch != "" && c.Arch != model.ArchGPT2 && c.Arch != model.ArchLlama, "arch", `must be "gpt2" or "llama"`, c.Arch},
		{c.Arch != model.ArchLlama && (c.KVHeads != 0 || c.MLPHidden != 0 || c.RopeTheta != 0 || c.Tied), "arch",
			"kv_heads, mlp_hidden, rope_theta and tied are Llama settings: set arch: llama", c.Arch},
		{c.KVHeads < 0 || (c.KVHeads > 0 && c.Heads%c.KVHeads != 0), "kv_heads", "must divide heads", c.KVHeads},
		{c.MLPHidden < 0, "mlp_hidden", "must not be negative", c.MLPHidden},
		{!(c.RopeTheta >= 0), "rope_theta", "must not be negative", c.RopeTheta},
		{c.Vocab < 257, "vocab", "must be at least 257 (256 bytes plus <|endoftext|>)", c.Vocab},
		{c.Steps < 1, "steps", "must be at least 1", c.Steps},
		{c.Batch < 1, "batch", "must be at least 1", c.Batch},
		{c.GradAccum < 1, "grad_accum", "must be at least 1", c.GradAccum},
		{!(c.LR > 0), "lr", "must be positive", c.LR},
		{!(c.MinLR >= 0 && c.MinLR <= c.LR), "min_lr", "must be in [0, lr]", c.MinLR},
		{c.Warmup < 0, "warmup", "must not be negative", c.Warmup},
		{!(c.WeightDecay >= 0), "weight_decay", "must not be negative", c.WeightDecay},
		{!(c.Beta1 >= 0 && c.Beta1 < 1), "beta1", "must be in [0, 1)", c.Beta1},
		{!(c.Beta2 >= 0 && c.Beta2 < 1), "beta2", "must be in [0, 1)", c.Beta2},
		{!(c.Eps >= 0), "eps", "must not be negative", c.Eps},
		{!(c.Clip >= 0), "clip", "must not be negative", c.Clip},
		{!(c.HeldOut >= 0 && c.HeldOut < 1), "heldout", "must be in [0, 1)", c.HeldOut},
		{c.EvalEvery < 0, "eval_every", "must not be negative", c.EvalEvery},
		{c.EvalBatches < 0, "eval_batches", "must not be negative", c.EvalBatches},
		{c.Patience < 0, "patience", "must not be negative", c.Patience},
		{!(c.MinDelta >= 0), "min_delta", "must not be negative", c.MinDelta},
		{c.GapEvals < 0, "gap_evals", "must not be negative", c.GapEvals},
		{c.SaveEvery < 0, "save_every", "must not be negative", c.SaveEvery},
		{c.LogEvery < 1, "log_every", "must be at least 1", c.LogEvery},
		{c.EvalSamples < 0, "eval_samples", "must not be negative", c.EvalSamples},
		{c.MaxNewTokens < 1, "max_new_tokens", "must be at least 1", c.MaxNewTokens},
		{!(c.Temperature >= 0), "temperature", "must not be negative", c.Temperature},
	} {
		if k.bad {
			return yamlconf.Keyf(k.name, "%v: %s", k.val, k.msg)
		}
	}
	if err := c.LoRA.Check(); err != nil {
		return err
	}
	// A shape beyond the model's limits fails here rather than after the
	// data is read and a tokenizer trained; a size that only the
	// dimensions together exceed is left to model.New.
	mc := c.ModelConfig(c.Vocab)
	if err := mc.Validate(); err != nil {
		if ke, ok := errors.AsType[*yamlconf.KeyError](shapeError(mc, err)); ok {
			return ke
		}
	}
	return nil
}

// shapeError names the setting behind a model shape that model.New rejects
// (err) when that setting alone is to blame: a value over the model's limits
// fails even in a shape whose other dimensions are 1.
func shapeError(mc model.Config, err error) error {
	unit := model.Config{VocabSize: 1, Context: 1, Layers: 1, Heads: 1, Channels: 1}
	for _, k := range []struct {
		key string
		set func(*model.Config)
	}{
		{"vocab", func(c *model.Config) { c.VocabSize = mc.VocabSize }},
		{"ctx", func(c *model.Config) { c.Context = mc.Context }},
		{"layers", func(c *model.Config) { c.Layers = mc.Layers }},
		{"heads", func(c *model.Config) { c.Heads, c.Channels = mc.Heads, mc.Heads }},
		{"dim", func(c *model.Config) { c.Channels = mc.Channels }},
	} {
		c := unit
		k.set(&c)
		if c.Validate() != nil {
			return yamlconf.WrapKey(k.key, err)
		}
	}
	return err
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
