package cli

import (
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/align-project/align/train"
)

type pretrainFlags struct {
	cfg       configFlags
	data      string
	out       string
	tokenizer string
}

func newPretrainCmd(g *globals) *cobra.Command {
	var f pretrainFlags
	cmd := &cobra.Command{
		Use:   "pretrain --data FILE|embedded --out DIR",
		Short: "Pretrain a GPT from scratch on a text corpus",
		Long: `pretrain trains a GPT language model from scratch on text documents: a JSONL
file of {"text": "..."} records, or "embedded" for the default corpus
(Moby-Dick plus generated texts about the instruction world).

A byte-level BPE tokenizer of --vocab tokens is first trained on the training
documents (or --tokenizer loads one). Documents are then joined with
<|endoftext|>, cut into rows of --ctx tokens and dealt in a fresh random
order each epoch (from --seed). --heldout of the documents (chosen by a hash
of their text) are held out.

Optimisation is AdamW with a linear warm-up and cosine decay of the learning
rate, gradient clipping, and --grad-accum micro-batches of --batch rows per
step. Every --eval-every steps the held-out loss is measured and written beside
the training loss to OUT/metrics.jsonl; a new best saves the model to OUT,
--patience evaluations without one stop the run, and a gap between held-out
and training loss that grows --gap-evals evaluations running is reported as
likely overfitting.

--arch llama trains a Llama-shaped model instead of a GPT-2: RMSNorm, rotary
positions, a SwiGLU MLP and grouped-query attention (--kv-heads).

OUT holds the best model as a Hugging Face directory with its tokenizer
(what 'align sft --base' reads), config.yaml (the effective settings),
metrics.jsonl and last/, a checkpoint written every --save-every steps, at
the end and on Ctrl-C, from which --resume continues exactly.

` + seedRule,
		Example: `  align pretrain --data embedded --out runs/base
  align pretrain --data corpus.jsonl --out runs/base --steps 5000 --lr 6e-4 --vocab 4096
  align pretrain --out runs/base --resume
  align pretrain --config pretrain.yaml --out runs/base`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPretrain(cmd, g, &f)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.data, "data", "embedded", `training text: a JSONL file of {"text"} records, or "embedded"`)
	fs.StringVar(&f.out, "out", "", "output directory (required)")
	fs.StringVar(&f.tokenizer, "tokenizer", "", "use this tokenizer (tokenizer.json or a model directory) instead of training one")
	f.cfg.register(fs, train.DefaultPretrain(), configHelp, true, "pack", "eval_samples", "max_new_tokens", "temperature", "lora_rank", "lora_alpha", "lora_targets")
	return cmd
}

func runPretrain(cmd *cobra.Command, g *globals, f *pretrainFlags) error {
	cfg, err := f.cfg.resolve(cmd, g, train.DefaultPretrain(), filepath.Join(f.out, train.ConfigFile))
	if err != nil {
		return err
	}
	if done, err := f.cfg.printed(cmd.OutOrStdout(), cfg); done {
		return err
	}
	if err := needOut(cmd, f.out); err != nil {
		return err
	}
	res, err := train.Pretrain(cmd.Context(), train.PretrainSpec{
		Config: cfg, Data: f.data, Tokenizer: f.tokenizer, Out: f.out, Resume: f.cfg.resume, Overwrite: f.cfg.overwrite, Log: cmd.ErrOrStderr(),
	})
	if err != nil {
		return resumeHint(err, res.Steps)
	}
	res.WriteText(cmd.OutOrStdout())
	return nil
}
