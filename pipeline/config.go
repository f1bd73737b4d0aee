package pipeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/ppo"
	"github.com/align-project/align/reward"
	"github.com/align-project/align/train"
)

// Config is the whole run: one section per stage. Its YAML form is the
// run directory's config.yaml and what --config overlays; the keys of the
// training sections are the flags of the stage's command with _ for -.
// Every stage takes the run's seed.
type Config struct {
	Seed     uint64         `yaml:"seed"`
	Pretrain PretrainConfig `yaml:"pretrain"`
	SFT      SFTConfig      `yaml:"sft"`
	Generate GenerateConfig `yaml:"generate"`
	Label    LabelConfig    `yaml:"label"`
	Reward   RewardConfig   `yaml:"reward"`
	PPO      PPOConfig      `yaml:"ppo"`
	Eval     EvalConfig     `yaml:"eval"`
}

// PretrainConfig is 'align pretrain': the corpus and the train.Config keys.
type PretrainConfig struct {
	Data         string `yaml:"data"` // JSONL of {"text"} records, or "embedded"
	train.Config `yaml:",inline"`
}

// SFTConfig is 'align sft'.
type SFTConfig struct {
	Data         string `yaml:"data"`         // JSONL of SFT records, or "embedded"
	EvalPrompts  string `yaml:"eval_prompts"` // prompts JSONL of the final sampling evaluation ("" = the data's own)
	train.Config `yaml:",inline"`
}

// GenerateConfig is 'align generate': the pairs to label.
type GenerateConfig struct {
	Prompts      string  `yaml:"prompts"` // prompts JSONL, or "embedded" (the training prompts)
	N            int     `yaml:"n"`       // responses per prompt
	Temperature  float64 `yaml:"temperature"`
	TopP         float64 `yaml:"top_p"`
	MaxNewTokens int     `yaml:"max_new_tokens"`
	Limit        int     `yaml:"limit"` // first N prompts only (0 = all)
	// ContrastPrefix starts the last response of every prompt ("" = none):
	// see 'align generate --contrast-prefix'.
	ContrastPrefix string `yaml:"contrast_prefix"`
}

// LabelConfig says where the preferences come from: an AI judge labels the
// generated pairs ('align label'), human labels are added from a file or an
// annotation database ('align annotate export'), or both; every preference
// keeps its "source".
type LabelConfig struct {
	Judge        string `yaml:"judge"`        // builtin, openai or none (human labels only)
	Constitution string `yaml:"constitution"` // constitution YAML ("" = the embedded one)
	BaseURL      string `yaml:"base_url"`     // openai judge: API root
	Model        string `yaml:"model"`        // openai judge: model name
	HumanFile    string `yaml:"human_file"`   // preferences JSONL of human labels to add
	HumanDB      string `yaml:"human_db"`     // annotation store (sqlite:FILE or postgres://...) to export human labels from
	HumanProject string `yaml:"human_project"`
}

// RewardConfig is 'align reward train'.
type RewardConfig struct {
	reward.Config `yaml:",inline"`
}

// PPOConfig is 'align ppo' against the reward model.
type PPOConfig struct {
	Prompts    string `yaml:"prompts"` // prompts JSONL, or "embedded" (the training prompts)
	ppo.Config `yaml:",inline"`
}

// EvalConfig is 'align eval' of the PPO policy against the SFT model.
type EvalConfig struct {
	Prompts             string  `yaml:"prompts"` // held-out prompts JSONL, or "embedded"
	Limit               int     `yaml:"limit"`   // prompts spread over the file (0 = all)
	MaxNewTokens        int     `yaml:"max_new_tokens"`
	Temperature         float64 `yaml:"temperature"`
	Judge               string  `yaml:"judge"`                // judge of the win rate: builtin, openai or none
	HeldOutJudge        string  `yaml:"heldout_judge"`        // builtin, openai or none
	HeldOutConstitution string  `yaml:"heldout_constitution"` // "" = the training constitution re-weighted
	Base                bool    `yaml:"base"`                 // also evaluate the pretrained model
}

// Default is the profile of 'align run' without flags: the whole loop on
// the embedded world in about a quarter of an hour on two cores.
func Default() Config {
	c := Config{Seed: 1}
	c.Pretrain = PretrainConfig{Data: "embedded", Config: train.DefaultPretrain()}
	c.SFT = SFTConfig{Data: "embedded", Config: train.DefaultSFT()}
	c.SFT.EvalSamples = 0 // the eval stage answers the held-out prompts
	// Two samples and a contrast response that starts as a refusal: the
	// SFT model almost never refuses a benign training prompt, so without
	// the contrast the judge's pairs would teach the reward model that
	// refusing is good and PPO would learn to refuse everything (measured:
	// benign over-refusal 14% → 41% after PPO; with the contrast the reward
	// model's held-out accuracy rose from 0.63 to 0.88).
	c.Generate = GenerateConfig{Prompts: "embedded", N: 3, Temperature: 1, TopP: 1, MaxNewTokens: 48, ContrastPrefix: "I can't"}
	c.Label = LabelConfig{Judge: "builtin"}
	c.Reward = RewardConfig{reward.DefaultConfig()}
	c.Reward.Weights = map[string]float64{reward.HeadNames[reward.HeadPreference]: 1}
	c.Reward.Steps = 150 // held-out accuracy peaks near step 100 on these pairs
	c.PPO = PPOConfig{Prompts: "embedded", Config: ppo.DefaultConfig()}
	c.PPO.Iterations, c.PPO.LR = 30, 3e-5
	c.Eval = EvalConfig{Prompts: "embedded", Limit: 0, MaxNewTokens: 48, Temperature: 0.7,
		Judge: "builtin", HeldOutJudge: "builtin", Base: true}
	return c
}

// Quick is the smoke-test profile (--quick): the same stages on a tiny model
// and a few steps each, a couple of minutes on two cores. Its numbers say
// that the loop runs, not that alignment works.
func Quick() Config {
	c := Default()
	p := &c.Pretrain.Config
	p.Layers, p.Dim, p.Heads, p.Ctx, p.Vocab = 2, 64, 2, 96, 512
	p.Steps, p.Batch, p.Warmup, p.EvalEvery, p.EvalBatches, p.SaveEvery = 150, 8, 20, 50, 4, 50
	s := &c.SFT.Config
	s.Layers, s.Dim, s.Heads, s.Ctx, s.Vocab = p.Layers, p.Dim, p.Heads, p.Ctx, p.Vocab
	s.Steps, s.Batch, s.Warmup, s.EvalEvery, s.SaveEvery = 120, 16, 10, 40, 40
	c.Generate.Limit, c.Generate.MaxNewTokens = 160, 32
	r := &c.Reward.Config
	r.Steps, r.EvalEvery, r.NormSamples, r.NormMaxNew = 40, 20, 32, 32
	q := &c.PPO.Config
	q.Iterations, q.BatchSize, q.MiniBatch, q.MaxNewTokens, q.Epochs, q.SampleEvery, q.SaveEvery = 4, 16, 8, 24, 2, 2, 2
	c.Eval.Limit, c.Eval.MaxNewTokens = 48, 32
	return c
}

// Decode overlays the YAML document of r (named name in errors) on c:
// unknown keys are errors, keys not given keep their values. A stage's own
// seed must be the run's, since every stage follows it.
func (c *Config) Decode(r io.Reader, name string) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read config %s: %w", name, err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("read config %s: %w", name, err)
	}
	next := *c
	// A map given in the file replaces the profile's instead of merging
	// with it: weights: {safety: 1} means only safety.
	if r, ok := raw["reward"].(map[string]any); ok {
		if _, ok := r["weights"]; ok {
			next.Reward.Weights = nil
		}
	}
	if err := yamlconf.Decode(bytes.NewReader(b), name, &next); err != nil {
		return err
	}
	// A section may repeat the run's seed (as config.yaml does) but not
	// differ from it.
	for section, v := range raw {
		if m, ok := v.(map[string]any); ok {
			if s, ok := m["seed"]; ok && fmt.Sprint(s) != fmt.Sprint(next.Seed) {
				return fmt.Errorf("read config %s: %s.seed: %v: every stage takes the run's seed (%d); set seed: N at the top level", name, section, s, next.Seed)
			}
		}
	}
	*c = next
	c.syncSeeds()
	return nil
}

// Load overlays the YAML file at path on c; see Decode.
func (c *Config) Load(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return c.Decode(f, path)
}

// syncSeeds gives every stage the run's seed.
func (c *Config) syncSeeds() {
	c.Pretrain.Seed, c.SFT.Seed, c.Reward.Seed, c.PPO.Seed = c.Seed, c.Seed, c.Seed, c.Seed
}

// SetSeed sets the run's seed and every stage's.
func (c *Config) SetSeed(seed uint64) {
	c.Seed = seed
	c.syncSeeds()
}

// YAML is the config as the run directory's config.yaml.
func (c Config) YAML() []byte {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		panic("pipeline: encode config: " + err.Error()) // plain data: cannot fail
	}
	return buf.Bytes()
}

// Validate reports the first setting that cannot work, as section.key.
func (c Config) Validate() error {
	var errs []error
	check := func(section string, err error) {
		if err != nil {
			msg := err.Error()
			for _, p := range []string{"config: ", "ppo config: ", "reward config: "} {
				msg = strings.TrimPrefix(msg, p)
			}
			errs = append(errs, fmt.Errorf("%s.%s", section, msg))
		}
	}
	check("pretrain", c.Pretrain.Validate())
	check("sft", c.SFT.Validate())
	check("reward", c.Reward.Validate())
	check("ppo", c.PPO.Validate())
	g := c.Generate
	switch {
	case g.N < 2:
		errs = append(errs, fmt.Errorf("generate.n: %d: a pair needs at least 2 responses", g.N))
	case !(g.Temperature > 0):
		errs = append(errs, fmt.Errorf("generate.temperature: %g: must be above 0", g.Temperature))
	case !(g.TopP > 0 && g.TopP <= 1):
		errs = append(errs, fmt.Errorf("generate.top_p: %g: must be in (0, 1]", g.TopP))
	case g.MaxNewTokens < 1 || g.Limit < 0:
		errs = append(errs, fmt.Errorf("generate.max_new_tokens must be at least 1 and generate.limit not negative"))
	}
	l := c.Label
	switch {
	case l.Judge != "builtin" && l.Judge != "openai" && l.Judge != "none":
		errs = append(errs, fmt.Errorf("label.judge: %q: must be builtin, openai or none", l.Judge))
	case l.Judge == "openai" && (l.BaseURL == "" || l.Model == ""):
		errs = append(errs, fmt.Errorf("label.judge openai needs label.base_url and label.model"))
	case l.Judge == "none" && l.HumanFile == "" && l.HumanDB == "":
		errs = append(errs, fmt.Errorf("label.judge none needs human labels: label.human_file or label.human_db"))
	case l.HumanDB != "" && l.HumanProject == "":
		errs = append(errs, fmt.Errorf("label.human_db needs label.human_project"))
	}
	e := c.Eval
	for _, j := range []struct{ key, v string }{{"judge", e.Judge}, {"heldout_judge", e.HeldOutJudge}} {
		if j.v != "builtin" && j.v != "openai" && j.v != "none" {
			errs = append(errs, fmt.Errorf("eval.%s: %q: must be builtin, openai or none", j.key, j.v))
		}
	}
	if e.MaxNewTokens < 1 || e.Limit < 0 || !(e.Temperature >= 0) {
		errs = append(errs, fmt.Errorf("eval.max_new_tokens must be at least 1, eval.limit and eval.temperature not negative"))
	}
	return errors.Join(errs...)
}

// hash is a short digest of the parts, for the done markers.
func hash(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:", len(p))
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// yamlOf encodes one section (or any value) as YAML.
func yamlOf(v any) []byte {
	b, err := yaml.Marshal(v)
	if err != nil {
		panic("pipeline: encode: " + err.Error())
	}
	return b
}
