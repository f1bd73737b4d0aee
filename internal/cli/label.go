package cli

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/align-project/align/data"
	"github.com/align-project/align/judge"
)

// judgeFlags selects and configures a judge (a judge.Spec); align label,
// critique, ppo and eval share them.
type judgeFlags struct {
	judge.Spec
}

func (f *judgeFlags) register(fs *pflag.FlagSet) {
	f.Spec = judge.DefaultSpec()
	fs.StringVar(&f.Kind, "judge", f.Kind, "judge: builtin (offline, deterministic) or openai (any OpenAI-compatible server)")
	fs.StringVar(&f.Constitution, "constitution", "", "constitution YAML file (default: the embedded one; see --print-constitution)")
	fs.StringVar(&f.BaseURL, "base-url", f.BaseURL, "openai judge: API root, e.g. http://localhost:11434/v1 (env ALIGN_JUDGE_BASE_URL or OPENAI_BASE_URL)")
	fs.StringVar(&f.Model, "model", f.Model, "openai judge: model name (env ALIGN_JUDGE_MODEL)")
	fs.StringVar(&f.APIKey, "api-key", "", "openai judge: API key (default: env ALIGN_JUDGE_API_KEY or OPENAI_API_KEY)")
	fs.IntVar(&f.Concurrency, "concurrency", f.Concurrency, "requests (openai) or pairs (builtin) in flight at once")
	fs.Int64Var(&f.Budget, "budget", 0, "openai judge: most HTTP requests to send (0: no limit); the run stops cleanly and can be resumed")
	fs.DurationVar(&f.Timeout, "timeout", f.Timeout, "openai judge: time limit of one HTTP request")
	fs.IntVar(&f.Retries, "retries", f.Retries, "openai judge: retries of a request after a network error, 429 or 5xx")
	fs.DurationVar(&f.Backoff, "backoff", f.Backoff, "openai judge: first retry delay, doubled each retry, with jitter")
	fs.StringVar(&f.Cache, "cache", "", "openai judge: directory of the answer cache (default: none)")
	fs.BoolVar(&f.ChainOfThought, "cot", false, "openai judge: ask for reasoning before the answer (chain of thought)")
	fs.StringVar(&f.FewShot, "few-shot", "", `openai judge: JSONL file of examples {"prompt","a","b","preferred":"A"|"B","rationale"}`)
	fs.BoolVar(&f.NoLogprobs, "no-logprobs", false, "openai judge: do not ask for log-probabilities (soft labels then come from the answer)")
	fs.StringVar(&f.Lexicon, "lexicon", "", "builtin judge: JSON word→valence lexicon for the positivity criterion, e.g. AFINN-165 (default: a small built-in one)")
	fs.StringVar(&f.ReferenceModel, "reference-model", "", "builtin judge: checkpoint directory whose perplexity joins the coherence score")
}

type labelFlags struct {
	judgeFlags
	in, out       string
	printConst    bool
	noProgress    bool
	statsJSONPath string
}

func newLabelCmd(g *globals) *cobra.Command {
	var f labelFlags
	cmd := &cobra.Command{
		Use:   "label",
		Short: "Label response pairs with an AI judge (RLAIF)",
		Long: `label reads pairs ({"prompt", "responses": [...]}, from 'align generate') and
writes preferences ({"prompt", "chosen", "rejected", "ratings", "p_chosen",
"source": "ai:<judge>@<constitution-version>", "margin"}) judged by the
principles of a constitution.

  --judge builtin   offline and deterministic: one scorer per criterion
                    (safety: harmful-request and refusal detection plus the
                    LDNOOBW word list; relevance: overlap with the prompt;
                    coherence: repetition, gibberish and, with
                    --reference-model, perplexity; helpfulness: over-refusal;
                    correctness: checkable arithmetic; positivity: a valence
                    lexicon), combined by the constitution's weights. Each
                    response is scored alone, so the A/B order cannot matter.
  --judge openai    any OpenAI-compatible /v1/chat/completions server (Ollama,
                    llama.cpp, vLLM, OpenAI, align serve). Both orders are
                    asked and averaged; the soft label comes from the
                    log-probabilities of the answer letter when the server
                    returns them; unreadable answers are asked again, then
                    abstained on (never guessed).

A pair with K responses gives K(K-1)/2 comparisons. The output is appended to
and the run is resumable: pairs already in --out are skipped. Counts (and, for
the openai judge, retries, abstentions and position consistency) are printed
at the end. 'align label agree' measures agreement between two label sets.`,
		Example: `  align label --print-constitution > my.yaml
  align label --in pairs.jsonl --out prefs.jsonl
  align label --judge openai --base-url http://localhost:11434/v1 --model llama3 \
      --cache .judge-cache --in pairs.jsonl --out prefs.jsonl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runLabel(cmd, g, &f) },
	}
	fs := cmd.Flags()
	f.judgeFlags.register(fs)
	fs.StringVar(&f.in, "in", "", "pairs JSONL file to label")
	fs.StringVar(&f.out, "out", "", "preferences JSONL file to append to (created if missing)")
	fs.BoolVar(&f.printConst, "print-constitution", false, "print the constitution (the embedded default, or --constitution) and exit")
	fs.BoolVar(&f.noProgress, "no-progress", false, "do not show the progress bar")
	fs.StringVar(&f.statsJSONPath, "stats", "", "also write the run's counts as JSON to this file")
	cmd.AddCommand(newLabelAgreeCmd())
	return cmd
}

func runLabel(cmd *cobra.Command, g *globals, f *labelFlags) error {
	path := cmd.CommandPath()
	w := cmd.OutOrStdout()
	if f.printConst {
		if f.Constitution == "" {
			_, err := w.Write(judge.DefaultConstitutionYAML())
			return err
		}
		c, err := judge.LoadConstitution(f.Constitution)
		if err != nil {
			return err
		}
		b, err := c.Marshal()
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	if f.in == "" || f.out == "" {
		return usageErrorf(path, "", "--in and --out are required")
	}
	spec := judge.LabelSpec{Spec: f.Spec, In: f.in, Out: f.out, Stats: f.statsJSONPath}
	spec.Seed = g.seed
	if err := spec.Validate(); err != nil {
		return keyUsage(path, err)
	}
	if !f.noProgress {
		spec.Log = cmd.ErrOrStderr()
	}
	res, err := judge.Label(cmd.Context(), spec)
	if res.JudgeID != "" {
		res.WriteText(w)
	}
	if errors.Is(err, judge.ErrBudget) {
		return &hintError{err: err, hint: "raise --budget and run the same command again: labelled pairs are skipped"}
	}
	return err
}

func newLabelAgreeCmd() *cobra.Command {
	var a, b string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "agree",
		Short: "Agreement and Cohen's kappa between two preference label sets",
		Long: `agree compares two preference files labelling the same pairs (AI against
human, one judge against another, a run against its order-swapped rerun).
Records are matched by prompt and response pair, whatever the order and ids;
a record with p_chosen 0.5 counts as a tie. It prints the number of shared
pairs, the agreement rate and Cohen's kappa, and for each file the position
consistency of an LLM judge (the share of verdicts whose two presentation
orders agreed) when its records carry those tags. With only --a it reports
position consistency alone.`,
		Example: `  align label agree --a ai.jsonl --b human.jsonl`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if a == "" {
				return usageErrorf(cmd.CommandPath(), "", "--a is required")
			}
			pa, _, err := data.ReadAll[data.Preference](a, data.ReadOptions{})
			if err != nil {
				return err
			}
			out := map[string]any{}
			w := cmd.OutOrStdout()
			report := func(name string, prefs []data.Preference) {
				c, n, rate := judge.PositionConsistency(prefs)
				if n > 0 {
					out["position_consistency_"+name] = rate
					if !asJSON {
						fmt.Fprintf(w, "%s: position consistency %.1f%% (%d of %d verdicts)\n", name, 100*rate, c, n)
					}
				}
			}
			if b != "" {
				pb, _, err := data.ReadAll[data.Preference](b, data.ReadOptions{})
				if err != nil {
					return err
				}
				ag, err := judge.ComparePreferences(pa, pb)
				if err != nil {
					return err
				}
				out["n"], out["agree"], out["agreement"], out["kappa"] = ag.N, ag.Agree, nanNull(ag.Rate), nanNull(ag.Kappa)
				out["only_a"], out["only_b"] = ag.OnlyA, ag.OnlyB
				if !asJSON {
					fmt.Fprintf(w, "%s vs %s: %s\n", filepath.Base(a), filepath.Base(b), ag)
				}
				report("b", pb)
			}
			report("a", pa)
			if asJSON {
				return writeJSON(w, out)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&a, "a", "", "first preferences file")
	fs.StringVar(&b, "b", "", "second preferences file")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

func nanNull(x float64) any {
	if math.IsNaN(x) {
		return nil
	}
	return x
}

func newCritiqueCmd(g *globals) *cobra.Command {
	var f judgeFlags
	var s judge.CritiqueSpec
	cmd := &cobra.Command{
		Use:   "critique",
		Short: "Critique and revise answers by a constitution (Constitutional AI's SFT phase)",
		Long: `critique runs the supervised phase of Constitutional AI on a prompts file
({"prompt"} lines): the policy model answers each prompt, a critic critiques
the answer against a principle sampled from the constitution, and the policy
revises it, --rounds times. The final revisions are written as SFT JSONL
({"prompt", "completion"}) for 'align sft'.

The policy is a model behind an OpenAI-compatible server (--base-url,
--model; 'align serve' serves a checkpoint). --critic openai uses the same
server as critic; --critic builtin critiques offline from the built-in judge's
rating of the principle's criterion and skips the revision when that rating
is already 8 or more. --trace writes each prompt's full trace as JSONL.`,
		Example: `  align critique --base-url http://localhost:8000/v1 --model policy \
      --in prompts.jsonl --out sft.jsonl --trace trace.jsonl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path := cmd.CommandPath()
			if s.In == "" || s.Out == "" {
				return usageErrorf(path, "", "--in and --out are required")
			}
			s.Spec, s.Seed = f.Spec, g.seed
			if err := s.Validate(); err != nil {
				return keyUsage(path, err)
			}
			s.Log = cmd.ErrOrStderr()
			res, err := judge.Critique(cmd.Context(), s)
			if err != nil {
				return err
			}
			res.WriteText(cmd.OutOrStdout())
			return nil
		},
	}
	fs := cmd.Flags()
	f.register(fs)
	fs.Lookup("judge").Hidden = true
	fs.StringVar(&s.In, "in", "", "prompts JSONL file")
	fs.StringVar(&s.Out, "out", "", "SFT JSONL file to write")
	fs.StringVar(&s.Trace, "trace", "", "JSONL file for the full traces (initial answer, critiques, revisions)")
	fs.StringVar(&s.Critic, "critic", judge.CriticOpenAI, "who critiques: openai (the --model) or builtin")
	fs.IntVar(&s.Rounds, "rounds", 1, "critique–revision rounds per prompt")
	return cmd
}
