package cli

import (
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/align-project/align/train"
)

type sftFlags struct {
	cfg         configFlags
	base        string
	data        string
	out         string
	evalPrompts string
}

func newSFTCmd(g *globals) *cobra.Command {
	var f sftFlags
	cmd := &cobra.Command{
		Use:   "sft --base DIR --data FILE|embedded --out DIR",
		Short: "Fine-tune a model on instructions and answers (supervised fine-tuning)",
		Long: `sft fine-tunes a pretrained model (--base, a directory written by 'align
pretrain', or a Hugging Face GPT-2, Llama, Qwen2 or Qwen3 directory with a
tokenizer) to answer as an assistant. With --lora-rank only LoRA adapters
train: OUT holds the model merged, which every align command reads, and
OUT/adapter the adapters in PEFT's layout.

--data is a JSONL file of {"prompt", "completion"} or {"messages": [...]}
records, or "embedded" for the generated instruction set, whose held-out half
uses templates and vocabulary the training half never shows. Each example is
rendered with the tokenizer's chat template; only the assistant's reply and
its end-of-turn token (the EOS) count in the loss, so the prompt tokens get
no gradient. Each example gets a row of its own, padded to the longest
example (at most the model's context) (--pack: examples packed into full
rows of the context instead, which wastes no compute on padding but starts
answers at positions the model never sees at inference).

Training, evaluation, early stopping, overfitting warnings, checkpoints and
--resume work as in 'align pretrain'; the model shape is the base's. The
validation loss that picks the best model and stops the run early is that of
a --heldout share of the training examples. With --data embedded the
held-out half (other templates and vocabulary) is logged beside it as
generalization_loss in metrics.jsonl; it does not stop the run.

Afterwards the best model answers --eval-samples held-out prompts (greedy at
--temperature 0) and the command reports the share of answers that end with
EOS, the accuracy on checkable prompts, the share of harmful prompts answered
instead of refused (harmful compliance) and of benign prompts refused. With a
data file the held-out prompts come from --eval-prompts (a prompts JSONL file
with tags and answers) or else from the held-out records, which give the EOS
rate only. The report is written to OUT/eval.json.

` + seedRule,
		Example: `  align sft --base runs/base --data embedded --out runs/sft
  align sft --base runs/base --data chats.jsonl --eval-prompts prompts.jsonl --out runs/sft
  align sft --base runs/base --out runs/sft --resume`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSFT(cmd, g, &f)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.base, "base", "", "pretrained model directory (required unless --resume)")
	fs.StringVar(&f.data, "data", "embedded", `SFT examples: a JSONL file of {"prompt","completion"} or {"messages"} records, or "embedded"`)
	fs.StringVar(&f.out, "out", "", "output directory (required)")
	fs.StringVar(&f.evalPrompts, "eval-prompts", "", "prompts JSONL (with tags and answers) for the final evaluation")
	f.cfg.register(fs, train.DefaultSFT(), configHelp, true, "layers", "dim", "heads", "ctx", "vocab", "arch", "kv_heads", "mlp_hidden", "rope_theta", "tied")
	return cmd
}

func runSFT(cmd *cobra.Command, g *globals, f *sftFlags) error {
	cfg, err := f.cfg.resolve(cmd, g, train.DefaultSFT(), filepath.Join(f.out, train.ConfigFile))
	if err != nil {
		return err
	}
	if done, err := f.cfg.printed(cmd.OutOrStdout(), cfg); done {
		return err
	}
	if err := needOut(cmd, f.out); err != nil {
		return err
	}
	if f.base == "" && !f.cfg.resume {
		return usageErrorf(cmd.CommandPath(), "", "--base DIR is required")
	}
	res, err := train.SFT(cmd.Context(), train.SFTSpec{
		Config: cfg, Base: f.base, Data: f.data, EvalPrompts: f.evalPrompts, Out: f.out,
		Resume: f.cfg.resume, Overwrite: f.cfg.overwrite, Log: cmd.ErrOrStderr(),
	})
	if err != nil {
		return resumeHint(err, res.Steps)
	}
	res.WriteText(cmd.OutOrStdout())
	return nil
}
