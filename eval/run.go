package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/align-project/align/chat"
	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/atomicfile"
	"github.com/align-project/align/internal/outguard"
	"github.com/align-project/align/internal/progress"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/judge"
	"github.com/align-project/align/model"
	"github.com/align-project/align/reward"
)

// Config is what an evaluation samples and how it measures: the "eval"
// section of a run config, whose keys are the flags of 'align eval' with _
// for -.
type Config struct {
	Prompts             string  `yaml:"prompts"` // prompts JSONL (one split), or "embedded" (its unseen prompts and unseen phrasing)
	Limit               int     `yaml:"limit"`   // prompts of each split, spread evenly over it (0 = all)
	MaxNewTokens        int     `yaml:"max_new_tokens"`
	Temperature         float64 `yaml:"temperature"` // the KL is measured at it too
	TopP                float64 `yaml:"top_p"`
	Batch               int     `yaml:"batch"`                // sequences decoded together
	Resamples           int     `yaml:"resamples"`            // bootstrap resamples of the win rate's interval
	Confidence          float64 `yaml:"confidence"`           // level of that interval
	HeldOutJudge        string  `yaml:"heldout_judge"`        // builtin, openai or none
	HeldOutConstitution string  `yaml:"heldout_constitution"` // "" = the training constitution re-weighted
}

// DefaultConfig is what 'align eval' does without flags.
func DefaultConfig() Config {
	return Config{Prompts: data.Embedded, MaxNewTokens: 64, Temperature: 0.7, TopP: 1, Batch: 16,
		Resamples: 1000, Confidence: 0.95, HeldOutJudge: judge.KindBuiltin}
}

// Validate reports the first setting of c that cannot work, as a
// *yamlconf.KeyError.
func (c Config) Validate() error {
	switch {
	case c.Prompts == "":
		return yamlconf.Keyf("prompts", "must name a prompts JSONL file or %q", data.Embedded)
	case c.Limit < 0:
		return yamlconf.Keyf("limit", "%d: must not be negative", c.Limit)
	case c.MaxNewTokens < 1:
		return yamlconf.Keyf("max_new_tokens", "%d: must be at least 1", c.MaxNewTokens)
	case !(c.Temperature >= 0):
		return yamlconf.Keyf("temperature", "%g: must not be negative", c.Temperature)
	case !(c.TopP > 0 && c.TopP <= 1):
		return yamlconf.Keyf("top_p", "%g: must be in (0, 1]", c.TopP)
	case c.Batch < 1:
		return yamlconf.Keyf("batch", "%d: must be at least 1", c.Batch)
	case c.Resamples < 1:
		return yamlconf.Keyf("resamples", "%d: must be at least 1", c.Resamples)
	case !(c.Confidence > 0 && c.Confidence < 1):
		return yamlconf.Keyf("confidence", "%g: must be in (0, 1)", c.Confidence)
	}
	switch c.HeldOutJudge {
	case judge.KindBuiltin, judge.KindOpenAI, judge.KindNone:
		return nil
	}
	return yamlconf.Keyf("heldout_judge", "%q: must be builtin, openai or none", c.HeldOutJudge)
}

// Spec is one evaluation: the settings, the checkpoints to compare and
// where the result goes.
type Spec struct {
	Config
	Policy, Baseline string // checkpoint directories (required); the win rate is of Policy over Baseline
	Base             string // optional third column, e.g. the pretrained model
	Reference        string // checkpoint the KL is measured against ("" = Baseline)
	Reward           string // reward model directory: adds the mean reward (and cost) of each column ("" = none)
	// Judge gives the win rate and, under another constitution, the
	// held-out one (HeldOutJudge); Kind judge.KindNone skips both.
	Judge judge.Spec
	// Seed picks the embedded prompts and seeds the sampling, the bootstrap
	// and the openai judges' requests (it replaces Judge.Seed).
	Seed   uint64
	Out    string    // also write the Result as JSON here ("" = no)
	Report string    // also write the HTML report (index.html, summary.json) here ("" = no)
	Log    io.Writer // progress (nil = none)
}

// ValidateJudges reports the first setting of the win-rate and held-out
// judges that cannot work, as a *yamlconf.KeyError (nil when Judge.Kind is
// none), so a caller can refuse it before any model is loaded.
func (s Spec) ValidateJudges() error {
	if s.Judge.Kind == judge.KindNone {
		return nil
	}
	if err := s.Judge.Validate(); err != nil {
		return err
	}
	if s.HeldOutJudge == judge.KindOpenAI {
		return s.heldOutOpenAI().Validate()
	}
	return nil
}

// heldOutOpenAI is the held-out judge as an openai one: the server and
// settings of Judge under the held-out constitution when one is given.
func (s Spec) heldOutOpenAI() judge.Spec {
	js := s.Judge
	js.Kind, js.Seed = judge.KindOpenAI, s.Seed
	if s.HeldOutConstitution != "" {
		js.Constitution = s.HeldOutConstitution
	}
	return js
}

// Run answers the prompts of s.Prompts with the baseline, the policy and
// optionally the base model, and measures them side by side split by split
// (Evaluate), with the win rates of the policy over the baseline when a
// judge is given. "embedded" gives two splits of the default world, unseen
// prompts (NameTest) and unseen phrasing (NameHeldOut); a file is one split
// named after it. Columns are named by the stage that made each checkpoint
// ("sft", "ppo") when that tells them apart, else "base", "baseline",
// "policy". A bad setting is a *yamlconf.KeyError, and so is a file named
// by a setting that cannot be read.
func Run(ctx context.Context, s Spec) (*Result, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.Policy == "" || s.Baseline == "" {
		return nil, errors.New("eval: the policy and the baseline checkpoint directories are required")
	}
	if err := s.ValidateJudges(); err != nil {
		return nil, err
	}
	if err := s.checkOutputs(); err != nil {
		return nil, err
	}
	sets, err := s.promptSets()
	if err != nil {
		return nil, err
	}

	policies, err := loadColumns(s)
	if err != nil {
		return nil, err
	}
	opt := Options{
		Sample: chat.SampleOptions{SampleOptions: model.SampleOptions{MaxNewTokens: s.MaxNewTokens, Temperature: float32(s.Temperature), TopP: float32(s.TopP)}, Batch: s.Batch},
		Seed:   s.Seed, Policy: len(policies) - 1, Baseline: len(policies) - 2,
		WinRate: WinRateOptions{Resamples: s.Resamples, Confidence: s.Confidence, Seed: s.Seed, Workers: s.Judge.Concurrency},
	}
	opt.Reference = policies[len(policies)-2].Model
	if s.Reference != "" {
		ref, _, err := checkpoint.LoadPolicy(s.Reference)
		if err != nil {
			return nil, fmt.Errorf("eval: load reference: %w", err)
		}
		opt.Reference = ref
	}
	if s.Reward != "" {
		src, err := reward.NewModelSource(s.Reward)
		if err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
		opt.Scorer = src
	}
	if s.Judge.Kind != judge.KindNone {
		js := s.Judge
		js.Seed = s.Seed
		if opt.Judge, err = judge.New(js); err != nil {
			return nil, err
		}
		if opt.HeldOutJudge, err = s.heldOutJudge(); err != nil {
			return nil, err
		}
	}

	start := time.Now()
	var bar *progress.Bar
	if s.Log != nil {
		bar = progress.New(s.Log, progress.IsTerminal(s.Log), "eval", len(policies), "models", 10*time.Second)
		opt.Progress = func(stage string, done, total int) {
			bar.Update(done, 0, 0, stage, true)
		}
		defer bar.Done()
	}
	res, err := Evaluate(ctx, policies, sets, opt)
	if err != nil {
		return nil, err
	}
	// A judge that failed now and then leaves a win rate over fewer
	// prompts than asked: say so where the progress goes (the result
	// carries the warning too).
	for _, sp := range res.Splits {
		for _, w := range []*WinRate{sp.WinRate, sp.HeldOutWinRate} {
			if w != nil && w.Warning != "" && bar != nil {
				bar.Log("align: warning: eval: " + sp.Name + ": " + w.Warning)
			}
		}
	}
	if s.Out != "" {
		if err := atomicfile.WriteJSON(s.Out, res); err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
	}
	if s.Report != "" {
		in := ReportInput{Title: "align eval: " + s.Policy + " vs " + s.Baseline, Eval: res,
			Timings: []StageTiming{{Stage: "eval", Seconds: time.Since(start).Seconds()}}}
		if err := WriteReport(s.Report, in); err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
	}
	return res, nil
}

// promptSets loads the splits of s.Prompts, each cut to Limit prompts
// spread evenly over it.
func (s Spec) promptSets() ([]PromptSet, error) {
	sets := []PromptSet{{Name: filepath.Base(s.Prompts), Kind: SplitFile}}
	splits := []data.PromptSplit{data.HeldOutPrompts} // ignored for a file
	if s.Prompts == data.Embedded {
		sets = []PromptSet{{Name: NameTest, Kind: SplitTest}, {Name: NameHeldOut, Kind: SplitHeldOut}}
		splits = []data.PromptSplit{data.TestPrompts, data.HeldOutPrompts}
	}
	for i := range sets {
		ps, err := data.LoadPrompts(s.Prompts, s.Seed, splits[i])
		if err != nil {
			return nil, fmt.Errorf("eval: %w", yamlconf.WrapKey("prompts", err))
		}
		if len(ps) == 0 {
			return nil, fmt.Errorf("eval: %w", yamlconf.Keyf("prompts", "the %s split of the embedded world is empty", sets[i].Name))
		}
		sets[i].Prompts = Spread(ps, s.Limit)
	}
	return sets, nil
}

// loadColumns loads the policies of the table: base (optional), baseline,
// policy.
func loadColumns(s Spec) ([]Policy, error) {
	type column struct{ role, dir string }
	cols := []column{{"baseline", s.Baseline}, {"policy", s.Policy}}
	if s.Base != "" {
		cols = append([]column{{"base", s.Base}}, cols...)
	}
	var policies []Policy
	var stages []string
	count := map[string]int{}
	for _, c := range cols {
		// LoadKind rather than checkpoint.LoadPolicy: the column's name comes
		// from the stage recorded beside the weights.
		hf, err := checkpoint.LoadKind(c.dir, checkpoint.KindPolicy)
		if err != nil {
			return nil, fmt.Errorf("eval: load %s: %w", c.role, err)
		}
		if hf.Tokenizer == nil {
			return nil, fmt.Errorf("eval: %s %s has no tokenizer files", c.role, c.dir)
		}
		policies = append(policies, Policy{Name: c.role, Model: hf.Model, Tok: hf.Tokenizer})
		stages = append(stages, hf.Align.Stage)
		count[hf.Align.Stage]++
	}
	for i, st := range stages {
		if st != "" && count[st] == 1 {
			policies[i].Name = st
		}
	}
	return policies, nil
}

// heldOutJudge returns the judge HeldOutJudge names (nil for none): by
// default the builtin judge under the training constitution re-weighted
// (HeldOutConstitution), so a policy that learnt the training judge's
// weights rather than what they stand for shows it.
func (s Spec) heldOutJudge() (judge.Judge, error) {
	var c *judge.Constitution
	if s.HeldOutConstitution != "" {
		var err error
		if c, err = judge.LoadConstitution(s.HeldOutConstitution); err != nil {
			return nil, yamlconf.WrapKey("heldout_constitution", err)
		}
	}
	switch s.HeldOutJudge {
	case judge.KindNone:
		return nil, nil
	case judge.KindOpenAI:
		return judge.New(s.heldOutOpenAI())
	}
	if c == nil {
		train, err := s.Judge.LoadConstitution()
		if err != nil {
			return nil, err
		}
		c = HeldOutConstitution(train)
	}
	// The plain builtin judge: the training judge's lexicon and reference
	// model are not carried over.
	j, err := judge.NewBuiltin(c)
	if err != nil {
		return nil, fmt.Errorf("eval: held-out judge: %w", err)
	}
	return j, nil
}

// Spread keeps n prompts spaced evenly over the list (all when n is 0 or
// not less than their number), so a limit keeps the mix of kinds.
func Spread[T any](xs []T, n int) []T {
	if n <= 0 || n >= len(xs) {
		return xs
	}
	out := make([]T, n)
	for i := range out {
		out[i] = xs[i*len(xs)/n]
	}
	return out
}

// checkOutputs refuses an Out or Report that is, holds or lies inside an
// input: a checkpoint directory, the prompts or a judge's file.
func (s Spec) checkOutputs() error {
	prompts := s.Prompts
	if prompts == data.Embedded {
		prompts = ""
	}
	j := s.Judge
	inputs := []outguard.Input{outguard.In("policy", s.Policy), outguard.In("baseline", s.Baseline), outguard.In("base", s.Base),
		outguard.In("reference", s.Reference), outguard.In("reward", s.Reward), outguard.In("prompts", prompts),
		outguard.In("constitution", j.Constitution), outguard.In("heldout_constitution", s.HeldOutConstitution),
		outguard.In("few_shot", j.FewShot), outguard.In("lexicon", j.Lexicon), outguard.In("reference_model", j.ReferenceModel)}
	if err := outguard.NotOnInputs("out", s.Out, inputs...); err != nil {
		return err
	}
	return outguard.NotOnInputs("report", s.Report, inputs...)
}
