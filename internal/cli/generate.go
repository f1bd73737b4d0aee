package cli

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/align-project/align/chat"
	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/progress"
	"github.com/align-project/align/judge"
)

type genFlags struct {
	model, prompts, out string
	n, maxNew, batch    int
	retries, limit      int
	temperature, topP   float64
	noProgress          bool
	contrast            string
}

func newGenerateCmd(g *globals) *cobra.Command {
	var f genFlags
	cmd := &cobra.Command{
		Use:   "generate --model DIR --prompts FILE|embedded --n 2 --out pairs.jsonl",
		Short: "Sample several responses per prompt: pairs to label",
		Long: `generate answers every prompt of --prompts ({"prompt", "tags"?} lines, or
"embedded" for the training prompts of the default instruction set) --n times
with the checkpoint --model, each prompt rendered as a user turn with the chat
template, and writes pairs for 'align label' or the annotation app:

  {"prompt": "...", "responses": ["...", "..."], "tags": [...], "id": "..."}

Responses are sampled at --temperature with nucleus sampling (--top-p) and end
at the chat format's end-of-turn token or after --max-new-tokens. A pair needs
non-empty responses: an empty one is sampled again up to --retries times; if it
stays empty it is dropped, and a pair left with fewer than two responses is
dropped too (both are counted at the end). The same --seed gives the same file.

--contrast-prefix TEXT makes the last response of every prompt start with
TEXT, the model writing the rest: contrasting candidates for the judge where
the policy's own samples are all alike. With "I can't" the pairs show the
judge a refusal beside an answer for every prompt, benign or harmful, so the
reward model learns when refusing is right (contrastive pairs, as in RLCD).`,
		Example: `  align generate --model runs/sft --prompts embedded --n 2 --out pairs.jsonl
  align generate --model runs/sft --prompts prompts.jsonl --n 4 --temperature 0.8 --top-p 0.9 --out ranking.jsonl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runGenerate(cmd, g, &f) },
	}
	fs := cmd.Flags()
	fs.StringVar(&f.model, "model", "", "checkpoint directory of the policy (required)")
	fs.StringVar(&f.prompts, "prompts", "embedded", `prompts JSONL file, or "embedded" for the default training prompts`)
	fs.StringVar(&f.out, "out", "", "pairs JSONL file to write (required; .gz compresses)")
	fs.IntVar(&f.n, "n", 2, "responses per prompt (at least 2; more than 2 asks for a ranking)")
	fs.Float64Var(&f.temperature, "temperature", 1, "sampling temperature (must be above 0: greedy responses would all be the same)")
	fs.Float64Var(&f.topP, "top-p", 1, "nucleus sampling: sample from the smallest set of tokens holding this probability (1 = all)")
	fs.IntVar(&f.maxNew, "max-new-tokens", 64, "longest response in tokens")
	fs.IntVar(&f.retries, "retries", 4, "times an empty response is sampled again before it is dropped")
	fs.IntVar(&f.limit, "limit", 0, "use only the first N prompts (0 = all)")
	fs.IntVar(&f.batch, "batch", 16, "sequences decoded together")
	fs.BoolVar(&f.noProgress, "no-progress", false, "do not show the progress bar")
	fs.StringVar(&f.contrast, "contrast-prefix", "", `the last response of each prompt starts with this text, e.g. "I can't" (default: none)`)
	return cmd
}

// genStats counts what generate produced.
type genStats struct {
	pairs, resampled, droppedResponses, droppedPairs int
}

func runGenerate(cmd *cobra.Command, g *globals, f *genFlags) error {
	path := cmd.CommandPath()
	switch {
	case f.model == "":
		return usageErrorf(path, "", "--model DIR is required")
	case f.out == "":
		return usageErrorf(path, "", "--out FILE is required")
	case f.n < 2:
		return usageErrorf(path, "a pair compares at least two responses", "--n must be at least 2, got %d", f.n)
	case !(f.temperature > 0):
		return usageErrorf(path, "", "--temperature must be above 0, got %g", f.temperature)
	case !(f.topP > 0 && f.topP <= 1):
		return usageErrorf(path, "", "--top-p must be in (0, 1], got %g", f.topP)
	case f.maxNew < 1 || f.retries < 0 || f.limit < 0 || f.batch < 1:
		return usageErrorf(path, "", "--max-new-tokens and --batch must be at least 1, --retries and --limit not negative")
	}
	m, tok, err := checkpoint.LoadPolicy(f.model)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	prompts, err := data.LoadPrompts(f.prompts, g.seed, data.TrainPrompts)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	if f.limit > 0 && len(prompts) > f.limit {
		prompts = prompts[:f.limit]
	}
	s, err := chat.NewSampler(m, tok)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	errw := cmd.ErrOrStderr()
	var bar *progress.Bar
	if !f.noProgress {
		bar = progress.New(errw, progress.IsTerminal(errw), "generate", len(prompts), "prompts", 10*time.Second)
	}
	start := time.Now()
	opt := chat.SampleOptions{MaxNewTokens: f.maxNew, Temperature: f.temperature, TopP: f.topP, Batch: f.batch}
	pairs, st, err := generatePairs(cmd, s, prompts, f.n, f.retries, opt, f.contrast, rand.New(rand.NewPCG(g.seed, 0x67656e)), func(done int) {
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
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	if st.pairs == 0 {
		return &hintError{err: fmt.Errorf("generate: no pairs: %d responses stayed empty after %d retries", st.droppedResponses, f.retries),
			hint: "the model ends its answers at once: check that --model is an SFT checkpoint, or train it longer"}
	}
	err = data.WriteFile(f.out, func(w *data.Writer[data.Pair]) error {
		for _, p := range pairs {
			if err := w.Write(p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "generate: %d pairs of %d responses from %d prompts in %s → %s\n", st.pairs, f.n, len(prompts),
		progress.Duration(time.Since(start)), f.out)
	if st.resampled > 0 || st.droppedResponses > 0 {
		fmt.Fprintf(w, "  %d empty responses sampled again; %d stayed empty and were dropped, %d pairs with them\n",
			st.resampled, st.droppedResponses, st.droppedPairs)
	}
	return nil
}

// generatePairs samples n responses per prompt, re-samples empty ones up to
// retries times and builds the pairs. done is called with the prompts
// finished so far.
func generatePairs(cmd *cobra.Command, s *chat.Sampler, prompts []data.Prompt, n, retries int, opt chat.SampleOptions,
	contrast string, rng *rand.Rand, done func(int)) ([]data.Pair, genStats, error) {
	var st genStats
	resp := make([][]string, len(prompts))
	chunk := max(1, opt.Batch/n) // prompts per Generate call
	for lo := 0; lo < len(prompts); lo += chunk {
		if err := cmd.Context().Err(); err != nil {
			return nil, st, err
		}
		hi := min(lo+chunk, len(prompts))
		plain := n
		if contrast != "" {
			plain = n - 1 // the last response is the contrast
		}
		var texts, once []string
		for _, p := range prompts[lo:hi] {
			for range plain {
				texts = append(texts, p.Prompt)
			}
			once = append(once, p.Prompt)
		}
		out, err := s.Sample(texts, opt, rng)
		if err != nil {
			return nil, st, err
		}
		for i := lo; i < hi; i++ {
			for k := range plain {
				resp[i] = append(resp[i], out[(i-lo)*plain+k].Text)
			}
		}
		if contrast != "" {
			copt := opt
			copt.Prefix = contrast
			cout, err := s.Sample(once, copt, rng)
			if err != nil {
				return nil, st, err
			}
			for i := lo; i < hi; i++ {
				resp[i] = append(resp[i], cout[i-lo].Text)
			}
		}
		done(hi)
	}
	// Empty responses get more tries, all of them in one batch per round.
	type slot struct{ i, k int }
	for range retries {
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
		st.resampled += len(empty)
		out, err := s.Sample(texts, opt, rng)
		if err != nil {
			return nil, st, err
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
				st.droppedResponses++
				continue
			}
			rs = append(rs, r)
		}
		if len(rs) < 2 {
			st.droppedPairs++
			continue
		}
		pair := data.Pair{Prompt: p.Prompt, Responses: rs, Tags: p.Tags, Answer: p.Answer}
		pair.ID = judge.PairID(pair)
		pairs = append(pairs, pair)
	}
	st.pairs = len(pairs)
	return pairs, st, nil
}
