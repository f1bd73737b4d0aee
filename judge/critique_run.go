package judge

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/align-project/align/internal/outguard"
	"github.com/align-project/align/internal/progress"
	"github.com/align-project/align/internal/yamlconf"
)

// Critics a CritiqueSpec can name.
const (
	CriticOpenAI  = "openai"  // the policy's own server and model critique
	CriticBuiltin = "builtin" // the builtin judge critiques offline
)

// CritiqueSpec is one run of Critique. Spec names the policy: the model
// behind an OpenAI-compatible server (BaseURL, Model and the client
// settings), the constitution, and for a builtin critic its lexicon and
// reference model; Spec.Seed samples the principles.
type CritiqueSpec struct {
	Spec
	Critic         string    // CriticOpenAI or CriticBuiltin
	Rounds         int       // critique–revision rounds per prompt (at least 1)
	In, Out, Trace string    // prompts JSONL; SFT JSONL to write; JSONL of full traces ("" = none)
	Log            io.Writer // the progress bar (nil = none)
}

// Validate reports the first setting of s that cannot work, as a
// *yamlconf.KeyError.
func (s CritiqueSpec) Validate() error {
	if s.Critic != CriticOpenAI && s.Critic != CriticBuiltin {
		return yamlconf.Keyf("critic", "%q: must be builtin or openai", s.Critic)
	}
	if s.Rounds < 1 {
		return yamlconf.Keyf("rounds", "%d: must be at least 1", s.Rounds)
	}
	_, err := s.NewClient() // the policy is always served
	return err
}

// CritiqueResult is what Critique wrote.
type CritiqueResult struct {
	Prompts int // prompts revised
	Out     string
}

// Critique runs Constitutional AI's supervised phase on the prompts of
// s.In (see Reviser and CritiqueFile): the policy answers, the critic
// critiques against a sampled principle and the policy revises, s.Rounds
// times; the final revisions are written to s.Out as SFT records, and with
// s.Trace every prompt's Revision as a JSON line.
func Critique(ctx context.Context, s CritiqueSpec) (res CritiqueResult, err error) {
	res.Out = s.Out
	if s.In == "" || s.Out == "" {
		return res, errors.New("critique: a prompts file and an output file are needed")
	}
	if err := s.Validate(); err != nil {
		return res, err
	}
	for _, o := range []outguard.Input{outguard.In("out", s.Out), outguard.In("trace", s.Trace)} {
		if err := outguard.NotOnInputs(o.Key, o.Path, outguard.In("in", s.In), outguard.In("constitution", s.Constitution)); err != nil {
			return res, err
		}
	}
	c, err := s.LoadConstitution()
	if err != nil {
		return res, err
	}
	cl, err := s.NewClient()
	if err != nil {
		return res, err
	}
	r := &Reviser{Policy: &ChatModel{Client: cl, Model: s.Model, Temperature: 0.7}, Constitution: c, Rounds: s.Rounds, Seed: s.Seed}
	if s.Critic == CriticOpenAI {
		r.Critic = &ChatModel{Client: cl, Model: s.Model}
	} else if r.Builtin, err = s.NewBuiltin(c); err != nil {
		return res, err
	}
	opts := CritiqueOptions{Concurrency: s.Concurrency}
	var traceErr error
	if s.Trace != "" {
		f, ferr := os.Create(s.Trace)
		if ferr != nil {
			return res, fmt.Errorf("critique: %w", ferr)
		}
		bw := bufio.NewWriter(f)
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		opts.Trace = func(rev Revision) { // called one at a time
			if err := enc.Encode(rev); err != nil && traceErr == nil {
				traceErr = err
			}
		}
		defer func() {
			if werr := errors.Join(traceErr, bw.Flush(), f.Close()); werr != nil {
				err = errors.Join(err, fmt.Errorf("critique: write %s: %w", s.Trace, werr))
			}
		}()
	}
	var bar *progress.Bar
	if s.Log != nil {
		opts.Progress = func(done, total int) {
			if bar == nil {
				bar = progress.New(s.Log, progress.IsTerminal(s.Log), "critique", total, "prompt", 10*time.Second)
			}
			bar.Update(done, 0, 0, "", false)
		}
	}
	res.Prompts, err = CritiqueFile(ctx, r, s.In, s.Out, opts)
	if bar != nil {
		bar.Done()
	}
	return res, err
}

// WriteText prints the summary 'align critique' prints.
func (r CritiqueResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "critique: %d prompts revised into %s\n", r.Prompts, r.Out)
}
