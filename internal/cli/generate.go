package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/align-project/align/chat"
)

type genFlags struct {
	chat.GenerateConfig
	model, out string
	noProgress bool
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
	f.GenerateConfig = chat.DefaultGenerateConfig()
	fs.StringVar(&f.model, "model", "", "checkpoint directory of the policy (required)")
	fs.StringVar(&f.out, "out", "", "pairs JSONL file to write (required; .gz compresses)")
	fs.BoolVar(&f.noProgress, "no-progress", false, "do not show the progress bar")
	bindConfig(fs, &f.GenerateConfig, map[string]string{
		"prompts":         `prompts JSONL file, or "embedded" for the default training prompts`,
		"n":               "responses per prompt, 2 to 16 (more than 2 asks for a ranking)",
		"temperature":     "sampling temperature (must be above 0: greedy responses would all be the same)",
		"top_p":           "nucleus sampling: sample from the smallest set of tokens holding this probability (1 = all)",
		"max_new_tokens":  "longest response in tokens",
		"retries":         "times an empty response is sampled again before it is dropped",
		"limit":           "use only the first N prompts (0 = all)",
		"batch":           "sequences decoded together",
		"contrast_prefix": `the last response of each prompt starts with this text, e.g. "I can't" (default: none)`,
	})
	return cmd
}

func runGenerate(cmd *cobra.Command, g *globals, f *genFlags) error {
	path := cmd.CommandPath()
	switch {
	case f.model == "":
		return usageErrorf(path, "", "--model DIR is required")
	case f.out == "":
		return usageErrorf(path, "", "--out FILE is required")
	}
	if err := f.Validate(); err != nil {
		return keyUsage(path, err)
	}
	spec := chat.GenerateSpec{GenerateConfig: f.GenerateConfig, Model: f.model, Seed: g.seed, Out: f.out}
	if !f.noProgress {
		spec.Log = cmd.ErrOrStderr()
	}
	res, err := chat.GeneratePairs(cmd.Context(), spec)
	if errors.Is(err, chat.ErrNoPairs) {
		return &hintError{err: err, hint: "the model ends its answers at once: check that --model is an SFT checkpoint, or train it longer"}
	}
	if err != nil {
		return err
	}
	res.WriteText(cmd.OutOrStdout())
	return nil
}
