package judge

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Constitution is the set of rules AI feedback follows: principles, each
// judging one criterion with a weight, a 1–10 rating scale with anchors, and
// how many principles to sample per comparison.
type Constitution struct {
	// Name and Version identify the constitution; the version appears in
	// every label as "ai:<judge>@<version>".
	Name        string `yaml:"name"`
	Version     string `yaml:"version"`
	Description string `yaml:"description,omitempty"`
	// Preamble opens every LLM judge prompt.
	Preamble string `yaml:"preamble,omitempty"`
	Scale    Scale  `yaml:"scale"`
	// Sample is how many principles an LLM judge or a critique samples per
	// comparison (0: all). The built-in judge always scores every criterion.
	Sample     int         `yaml:"sample"`
	Principles []Principle `yaml:"principles"`
}

// Scale is the rating scale: always 1 to 10, with anchor descriptions of some
// of the points.
type Scale struct {
	Min     int            `yaml:"min"`
	Max     int            `yaml:"max"`
	Anchors map[int]string `yaml:"anchors,omitempty"`
}

// Principle is one rule of a constitution.
type Principle struct {
	ID string `yaml:"id"`
	// Text states the principle as a choice between two responses.
	Text string `yaml:"text"`
	// Criterion is what the principle judges: coherence, relevance, safety,
	// helpfulness, correctness, positivity or a name of one's own (which
	// only LLM judges can score).
	Criterion string  `yaml:"criterion"`
	Weight    float64 `yaml:"weight"`
	// Critique and Revision are the requests of critique–revision; empty
	// ones are derived from Text.
	Critique string `yaml:"critique,omitempty"`
	Revision string `yaml:"revision,omitempty"`
}

//go:embed default_constitution.yaml
var defaultConstitutionYAML []byte

// DefaultConstitutionYAML returns the embedded default constitution as
// written, comments included (what "align label --print-constitution" shows).
func DefaultConstitutionYAML() []byte { return bytes.Clone(defaultConstitutionYAML) }

// DefaultConstitution returns the embedded default constitution.
func DefaultConstitution() *Constitution {
	c, err := ParseConstitution(defaultConstitutionYAML, "default_constitution.yaml")
	if err != nil {
		panic("judge: embedded constitution: " + err.Error())
	}
	return c
}

// LoadConstitution reads and validates a constitution file.
func LoadConstitution(path string) (*Constitution, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load constitution: %w", err)
	}
	return ParseConstitution(b, path)
}

// ParseConstitution decodes a YAML constitution strictly (unknown keys are
// errors) and validates it; name is used in error messages.
func ParseConstitution(b []byte, name string) (*Constitution, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var c Constitution
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("constitution %s: empty file", name)
		}
		return nil, fmt.Errorf("constitution %s: %w", name, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("constitution %s: %w", name, err)
	}
	return &c, nil
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

// Validate reports the first problem with c, or nil.
func (c *Constitution) Validate() error {
	switch {
	case strings.TrimSpace(c.Version) == "":
		return errors.New("version is missing")
	case strings.ContainsAny(c.Version, "@ \t\n"):
		return fmt.Errorf("version %q must not contain '@' or spaces", c.Version)
	case c.Scale.Min != 1 || c.Scale.Max != 10:
		return fmt.Errorf("scale must run from 1 to 10, got %d to %d", c.Scale.Min, c.Scale.Max)
	case len(c.Principles) == 0:
		return errors.New("no principles")
	case c.Sample < 0:
		return fmt.Errorf("sample must be ≥ 0 (0 means all principles), got %d", c.Sample)
	}
	for k := range c.Scale.Anchors {
		if k < 1 || k > 10 {
			return fmt.Errorf("scale anchor %d is outside 1..10", k)
		}
	}
	seen := make(map[string]bool)
	for i, p := range c.Principles {
		where := fmt.Sprintf("principle %d", i+1)
		if p.ID != "" {
			where += fmt.Sprintf(" (%s)", p.ID)
		}
		switch {
		case !idPattern.MatchString(p.ID):
			return fmt.Errorf("%s: id %q must be lower-case letters, digits, '.', '_' or '-'", where, p.ID)
		case seen[p.ID]:
			return fmt.Errorf("%s: duplicate id", where)
		case strings.TrimSpace(p.Text) == "":
			return fmt.Errorf("%s: text is missing", where)
		case !idPattern.MatchString(p.Criterion):
			return fmt.Errorf("%s: criterion %q must be a lower-case name such as safety", where, p.Criterion)
		case !(p.Weight > 0):
			return fmt.Errorf("%s: weight must be positive, got %v", where, p.Weight)
		}
		seen[p.ID] = true
	}
	return nil
}

// Weights returns the total weight of each criterion.
func (c *Constitution) Weights() map[string]float64 {
	w := make(map[string]float64)
	for _, p := range c.Principles {
		w[p.Criterion] += p.Weight
	}
	return w
}

// Criteria returns the criteria the constitution judges, sorted.
func (c *Constitution) Criteria() []string {
	var out []string
	for k := range c.Weights() {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// SamplePrinciples draws c.Sample principles uniformly without replacement
// (all of them, in file order, when Sample is 0 or not smaller than their
// number). The result keeps file order.
func (c *Constitution) SamplePrinciples(rng *rand.Rand) []Principle {
	n := c.Sample
	if n <= 0 || n >= len(c.Principles) {
		return append([]Principle(nil), c.Principles...)
	}
	idx := rng.Perm(len(c.Principles))[:n]
	sort.Ints(idx)
	out := make([]Principle, n)
	for i, j := range idx {
		out[i] = c.Principles[j]
	}
	return out
}

// Marshal renders c as YAML.
func (c *Constitution) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// critiqueRequest is the principle's critique request, derived from its
// text when not given.
func (p Principle) critiqueRequest() string {
	if p.Critique != "" {
		return p.Critique
	}
	return "Identify specific ways in which the response falls short of this principle: " + p.Text
}

// revisionRequest is the principle's revision request, derived from its
// text when not given.
func (p Principle) revisionRequest() string {
	if p.Revision != "" {
		return p.Revision
	}
	return "Rewrite the response so that it follows this principle: " + p.Text
}
