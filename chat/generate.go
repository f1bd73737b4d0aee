package chat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/outguard"
	"github.com/align-project/align/internal/progress"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
)

// GenerateConfig is what pair generation samples: the run config's
// "generate" section, whose keys are the flags of 'align generate'.
type GenerateConfig struct {
	Prompts        string  `yaml:"prompts"`         // prompts JSONL, or "embedded" (the training prompts of the default instruction set)
	Limit          int     `yaml:"limit"`           // first N prompts only (0 = all)
	N              int     `yaml:"n"`               // responses per prompt, 2 to data.MaxResponses (more than 2 asks for a ranking)
	Temperature    float64 `yaml:"temperature"`     // above 0: greedy responses would all be the same
	TopP           float64 `yaml:"top_p"`           // nucleus sampling (1 = the whole distribution)
	MaxNewTokens   int     `yaml:"max_new_tokens"`  // longest response in tokens
	Retries        int     `yaml:"retries"`         // times an empty response is sampled again before it is dropped
	Batch          int     `yaml:"batch"`           // sequences decoded together
	ContrastPrefix string  `yaml:"contrast_prefix"` // the last response of each prompt starts with it ("" = none)
}

// DefaultGenerateConfig is the configuration of 'align generate' without
// flags.
func DefaultGenerateConfig() GenerateConfig {
	return GenerateConfig{Prompts: data.Embedded, N: 2, Temperature: 1, TopP: 1, MaxNewTokens: 64, Retries: 4, Batch: 16}
}

// Validate reports the first setting of c that cannot work, as a
// *yamlconf.KeyError.
func (c GenerateConfig) Validate() error {
	switch {
	case c.Prompts == "":
		return yamlconf.Keyf("prompts", "name a prompts JSONL file or %q", data.Embedded)
	case c.N < 2:
		return yamlconf.Keyf("n", "%d: must be at least 2: a pair compares at least two responses", c.N)
	case c.N > data.MaxResponses:
		return yamlconf.Keyf("n", "%d: at most %d: labelling compares every two responses of a pair (%.0f comparisons for %d); for more responses per prompt, list the prompt several times",
			c.N, data.MaxResponses, float64(c.N)*float64(c.N-1)/2, c.N)
	case !(c.Temperature > 0):
		return yamlconf.Keyf("temperature", "%g: must be above 0 (greedy responses would all be the same)", c.Temperature)
	case !(c.TopP > 0 && c.TopP <= 1):
		return yamlconf.Keyf("top_p", "%g: must be in (0, 1]", c.TopP)
	case c.MaxNewTokens < 1:
		return yamlconf.Keyf("max_new_tokens", "%d: must be at least 1", c.MaxNewTokens)
	case c.Batch < 1:
		return yamlconf.Keyf("batch", "%d: must be at least 1", c.Batch)
	case c.Retries < 0:
		return yamlconf.Keyf("retries", "%d: must not be negative", c.Retries)
	case c.Limit < 0:
		return yamlconf.Keyf("limit", "%d: must not be negative", c.Limit)
	}
	return nil
}

// GenerateSpec is one run of GeneratePairs.
type GenerateSpec struct {
	GenerateConfig
	Model string    // checkpoint directory of the policy (checkpoint.LoadPolicy)
	Seed  uint64    // the embedded prompts and the sampling stream
	Out   string    // pairs JSONL file to write (.gz compresses)
	Log   io.Writer // the progress bar (nil = none)
}

// GenerateResult counts what GeneratePairs wrote.
type GenerateResult struct {
	Out              string
	Prompts          int // prompts answered
	Pairs            int // pairs written
	N                int // responses asked per prompt
	Resampled        int // empty responses sampled again
	DroppedResponses int // responses still empty after the retries
	DroppedPairs     int // pairs left with fewer than two responses
	Elapsed          time.Duration
}

// ErrNoPairs is returned when every pair lost its responses to emptiness:
// the model ends its answers at once.
var ErrNoPairs = errors.New("no pairs")

// GeneratePairs answers every prompt of the spec N times with the policy
// (each prompt rendered as a user turn, see Sampler) and writes the pairs
// for a judge or the annotation app:
//
//	{"prompt", "responses": [...], "tags", "answer", "id"}
//
// With a ContrastPrefix the last response of every prompt starts with it,
// the model writing the rest. An empty response is sampled again up to
// Retries times, all of them in one batch per round; one still empty is
// dropped, and a pair left with fewer than two responses too. The same
// seed gives the same file. Every pair carries its data.PairID.
func GeneratePairs(ctx context.Context, s GenerateSpec) (GenerateResult, error) {
	res := GenerateResult{Out: s.Out, N: s.N}
	if err := s.Validate(); err != nil {
		return res, err
	}
	if s.Model == "" || s.Out == "" {
		return res, errors.New("generate: a model and an output file are needed")
	}
	promptsFile := s.Prompts
	if promptsFile == data.Embedded {
		promptsFile = ""
	}
	if err := outguard.NotOnInputs("out", s.Out, outguard.In("model", s.Model), outguard.In("prompts", promptsFile)); err != nil {
		return res, err
	}
	m, tok, err := checkpoint.LoadPolicy(s.Model)
	if err != nil {
		return res, fmt.Errorf("generate: %w", err)
	}
	prompts, err := data.LoadPrompts(s.Prompts, s.Seed, data.TrainPrompts)
	if err != nil {
		return res, fmt.Errorf("generate: %w", yamlconf.WrapKey("prompts", err))
	}
	if s.Limit > 0 && len(prompts) > s.Limit {
		prompts = prompts[:s.Limit]
	}
	res.Prompts = len(prompts)
	sampler, err := NewSampler(m, tok)
	if err != nil {
		return res, fmt.Errorf("generate: %w", err)
	}
	var bar *progress.Bar
	if s.Log != nil {
		bar = progress.New(s.Log, progress.IsTerminal(s.Log), "generate", len(prompts), "prompts", 10*time.Second)
	}
	start := time.Now()
	g := pairGenerator{sampler: sampler, n: s.N, retries: s.Retries, contrast: s.ContrastPrefix,
		opt: SampleOptions{SampleOptions: model.SampleOptions{MaxNewTokens: s.MaxNewTokens, Temperature: float32(s.Temperature), TopP: float32(s.TopP)}, Batch: s.Batch},
		rng: rand.New(rand.NewPCG(s.Seed, 0x67656e))} // "gen"
	pairs, err := g.generate(ctx, prompts, func(done int) {
		if bar != nil {
			el := time.Since(start)
			rate := float64(done) / max(el.Seconds(), 1e-9)
			eta := time.Duration(float64(len(prompts)-done) / max(rate, 1e-9) * float64(time.Second))
			bar.Update(done, rate, eta, "", false)
		}
	})
	if bar != nil {
		bar.Done()
	}
	res.Pairs, res.Resampled, res.DroppedResponses, res.DroppedPairs = len(pairs), g.resampled, g.droppedResponses, g.droppedPairs
	if err != nil {
		return res, fmt.Errorf("generate: %w", err)
	}
	if len(pairs) == 0 {
		return res, fmt.Errorf("generate: %w: %d responses stayed empty after %d retries", ErrNoPairs, g.droppedResponses, s.Retries)
	}
	err = data.WriteFile(s.Out, func(w *data.Writer[data.Pair]) error {
		for _, p := range pairs {
			if err := w.Write(p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("generate: %w", err)
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// WriteText prints the summary 'align generate' prints.
func (r GenerateResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "generate: %d pairs of %d responses from %d prompts in %s → %s\n", r.Pairs, r.N, r.Prompts,
		progress.Duration(r.Elapsed), r.Out)
	if r.Resampled > 0 || r.DroppedResponses > 0 {
		fmt.Fprintf(w, "  %d empty responses sampled again; %d stayed empty and were dropped, %d pairs with them\n",
			r.Resampled, r.DroppedResponses, r.DroppedPairs)
	}
}

// pairGenerator samples the responses of pairs and counts what it had to
// sample again or drop.
type pairGenerator struct {
	sampler  *Sampler
	n        int // responses per prompt
	retries  int
	contrast string // prefix of the last response ("" = none)
	opt      SampleOptions
	rng      *rand.Rand

	resampled, droppedResponses, droppedPairs int
}

// generate samples n responses per prompt, samples empty ones again up to
// retries times and builds the pairs. done is called with the prompts
// finished so far.
func (g *pairGenerator) generate(ctx context.Context, prompts []data.Prompt, done func(int)) ([]data.Pair, error) {
	resp := make([][]string, len(prompts))
	chunk := max(1, g.opt.Batch/g.n) // prompts per Sample call
	plain := g.n
	if g.contrast != "" {
		plain = g.n - 1 // the last response is the contrast
	}
	for lo := 0; lo < len(prompts); lo += chunk {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(lo+chunk, len(prompts))
		var texts, once []string
		for _, p := range prompts[lo:hi] {
			for range plain {
				texts = append(texts, p.Prompt)
			}
			once = append(once, p.Prompt)
		}
		out, err := g.sampler.Sample(texts, g.opt, g.rng)
		if err != nil {
			return nil, err
		}
		for i := lo; i < hi; i++ {
			for k := range plain {
				resp[i] = append(resp[i], out[(i-lo)*plain+k].Text)
			}
		}
		if g.contrast != "" {
			copt := g.opt
			copt.Prefix = g.contrast
			cout, err := g.sampler.Sample(once, copt, g.rng)
			if err != nil {
				return nil, err
			}
			for i := lo; i < hi; i++ {
				resp[i] = append(resp[i], cout[i-lo].Text)
			}
		}
		done(hi)
	}
	// Empty responses get more tries, all of them in one batch per round.
	type slot struct{ i, k int }
	for range g.retries {
		var empty []slot
		var texts []string
		for i := range resp {
			for k, r := range resp[i] {
				if strings.TrimSpace(r) == "" {
					empty = append(empty, slot{i, k})
					texts = append(texts, prompts[i].Prompt)
				}
			}
		}
		if len(empty) == 0 {
			break
		}
		g.resampled += len(empty)
		out, err := g.sampler.Sample(texts, g.opt, g.rng)
		if err != nil {
			return nil, err
		}
		for j, e := range empty {
			resp[e.i][e.k] = out[j].Text
		}
	}
	var pairs []data.Pair
	for i, p := range prompts {
		var rs []string
		for _, r := range resp[i] {
			if strings.TrimSpace(r) == "" {
				g.droppedResponses++
				continue
			}
			rs = append(rs, r)
		}
		if len(rs) < 2 {
			g.droppedPairs++
			continue
		}
		pair := data.Pair{Prompt: p.Prompt, Responses: rs, Tags: p.Tags, Answer: p.Answer}
		pair.ID = data.PairID(pair)
		pairs = append(pairs, pair)
	}
	return pairs, nil
}
