package judge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/internal/yamlconf"
)

// Judge kinds a Spec can name.
const (
	KindBuiltin = "builtin" // the offline, deterministic judge
	KindOpenAI  = "openai"  // any OpenAI-compatible chat-completions server
	KindNone    = "none"    // no judge (callers that allow it check for it)
)

// Spec describes a judge: which kind and its settings. Its YAML keys are the
// flags of 'align label' with _ for -. The API key is never written to a
// config file: it comes from APIKey or the environment.
type Spec struct {
	Kind           string        `yaml:"judge"`        // builtin or openai
	Constitution   string        `yaml:"constitution"` // constitution YAML ("" = the embedded one)
	BaseURL        string        `yaml:"base_url"`     // openai: API root, e.g. http://localhost:11434/v1
	Model          string        `yaml:"model"`        // openai: model name
	Concurrency    int           `yaml:"concurrency"`  // requests (openai) or pairs (builtin) in flight
	Budget         int64         `yaml:"budget"`       // openai: most HTTP requests (0 = no limit)
	Timeout        time.Duration `yaml:"timeout"`      // openai: time limit of one request
	Retries        int           `yaml:"retries"`      // openai: retries after a network error, 429 or 5xx
	Backoff        time.Duration `yaml:"backoff"`      // openai: first retry delay, doubled each retry
	Cache          string        `yaml:"cache"`        // openai: answer cache directory ("" = none)
	ChainOfThought bool          `yaml:"cot"`          // openai: reasoning before the answer
	FewShot        string        `yaml:"few_shot"`     // openai: JSONL of Example records
	NoLogprobs     bool          `yaml:"no_logprobs"`  // openai: soft labels from the answer only
	Lexicon        string        `yaml:"lexicon"`      // builtin: JSON word→valence lexicon for positivity
	ReferenceModel string        `yaml:"reference_model"`
	APIKey         string        `yaml:"-"` // openai ("" = env ALIGN_JUDGE_API_KEY or OPENAI_API_KEY)
	Seed           uint64        `yaml:"-"` // openai: sampling seed sent with each request
}

// DefaultSpec is the builtin judge with the embedded constitution, and the
// openai settings 'align label' starts from: the server and model from the
// environment (ALIGN_JUDGE_BASE_URL or OPENAI_BASE_URL, ALIGN_JUDGE_MODEL).
func DefaultSpec() Spec {
	return Spec{
		Kind: KindBuiltin, BaseURL: envOr("ALIGN_JUDGE_BASE_URL", os.Getenv("OPENAI_BASE_URL")),
		Model: os.Getenv("ALIGN_JUDGE_MODEL"), Concurrency: 4, Timeout: 2 * time.Minute, Retries: 4,
		Backoff: 500 * time.Millisecond,
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// Validate reports the first setting of s that cannot work, as a
// *yamlconf.KeyError.
func (s Spec) Validate() error {
	switch s.Kind {
	case KindBuiltin:
	case KindOpenAI:
		if s.BaseURL == "" {
			return yamlconf.Keyf("base_url", "the openai judge needs a server: pass its API root, e.g. http://HOST:PORT/v1, or set ALIGN_JUDGE_BASE_URL")
		}
		if s.Model == "" {
			return yamlconf.Keyf("model", "the openai judge needs a model name (or set ALIGN_JUDGE_MODEL)")
		}
	default:
		return yamlconf.Keyf("judge", "%q: must be builtin or openai", s.Kind)
	}
	switch {
	case s.Concurrency < 1:
		return yamlconf.Keyf("concurrency", "%d: must be at least 1", s.Concurrency)
	case s.Budget < 0:
		return yamlconf.Keyf("budget", "%d: must not be negative", s.Budget)
	case s.Retries < 0:
		return yamlconf.Keyf("retries", "%d: must not be negative", s.Retries)
	case s.Timeout < 0 || s.Backoff < 0:
		return yamlconf.Keyf("timeout", "timeout and backoff must not be negative")
	}
	return nil
}

// LoadConstitution returns the constitution s names, or the embedded one.
func (s Spec) LoadConstitution() (*Constitution, error) {
	if s.Constitution == "" {
		return DefaultConstitution(), nil
	}
	c, err := LoadConstitution(s.Constitution)
	return c, yamlconf.WrapKey("constitution", err)
}

// NewClient returns the HTTP client of an openai judge or critic.
func (s Spec) NewClient() (*Client, error) {
	if s.BaseURL == "" {
		return nil, yamlconf.Keyf("base_url", "the openai judge needs a server: pass its API root, e.g. http://HOST:PORT/v1, or set ALIGN_JUDGE_BASE_URL")
	}
	if s.Model == "" {
		return nil, yamlconf.Keyf("model", "the openai judge needs a model name (or set ALIGN_JUDGE_MODEL)")
	}
	if s.Concurrency < 1 {
		return nil, yamlconf.Keyf("concurrency", "%d: must be at least 1", s.Concurrency)
	}
	key := s.APIKey
	if key == "" {
		key = envOr("ALIGN_JUDGE_API_KEY", os.Getenv("OPENAI_API_KEY"))
	}
	cl := NewClient(s.BaseURL, key, s.Concurrency)
	cl.Budget, cl.Timeout, cl.BackoffBase = s.Budget, s.Timeout, s.Backoff
	cl.Retries = s.Retries
	if s.Retries == 0 {
		cl.Retries = -1
	}
	return cl, nil
}

// New returns the judge s describes. Errors in a setting are
// *yamlconf.KeyError naming it.
func New(s Spec) (Judge, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	c, err := s.LoadConstitution()
	if err != nil {
		return nil, err
	}
	if s.Kind == KindBuiltin {
		return s.newBuiltin(c)
	}
	cl, err := s.NewClient()
	if err != nil {
		return nil, err
	}
	j := NewLLM(cl, s.Model, c)
	j.ChainOfThought, j.NoLogprobs, j.Seed = s.ChainOfThought, s.NoLogprobs, s.Seed
	if s.Cache != "" {
		j.Cache = &Cache{Dir: s.Cache}
	}
	if s.FewShot != "" {
		if j.FewShot, err = ReadExamples(s.FewShot); err != nil {
			return nil, yamlconf.WrapKey("few_shot", err)
		}
	}
	return j, nil
}

// NewBuiltin returns the builtin judge of s under the constitution c (the
// held-out judge of an evaluation passes another one), with s's lexicon
// and reference model.
func (s Spec) NewBuiltin(c *Constitution) (*Builtin, error) { return s.newBuiltin(c) }

func (s Spec) newBuiltin(c *Constitution) (*Builtin, error) {
	b, err := NewBuiltin(c)
	if err != nil {
		return nil, yamlconf.WrapKey("constitution", err)
	}
	if s.Lexicon != "" {
		if b.Lexicon, err = LoadLexicon(s.Lexicon); err != nil {
			return nil, yamlconf.WrapKey("lexicon", err)
		}
	}
	if s.ReferenceModel != "" {
		m, tok, err := checkpoint.LoadPolicy(s.ReferenceModel)
		if err != nil {
			return nil, yamlconf.WrapKey("reference_model", err)
		}
		b.Perplexity = NewModelPerplexity(m, tok)
	}
	return b, nil
}

// ReadExamples reads few-shot examples: a JSONL file of
// {"prompt","a","b","preferred":"A"|"B","rationale"} records.
func ReadExamples(path string) ([]Example, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("few-shot examples: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var out []Example
	for {
		var ex Example
		if err := dec.Decode(&ex); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("few-shot examples %s, example %d: %w", path, len(out)+1, err)
		}
		if ex.Preferred != "A" && ex.Preferred != "B" {
			return nil, fmt.Errorf("few-shot examples %s, example %d: preferred must be \"A\" or \"B\"", path, len(out)+1)
		}
		out = append(out, ex)
	}
	return out, nil
}
