package cli

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/align-project/align/chat"
	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/atomicfile"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
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
pretrain' or any GPT-2 directory with a tokenizer) to answer as an assistant.

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
rate only. The report is written to OUT/eval.json.`,
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
	f.cfg.register(fs, train.DefaultSFT(), "layers", "dim", "heads", "ctx", "vocab")
	return cmd
}

func runSFT(cmd *cobra.Command, g *globals, f *sftFlags) error {
	path := cmd.CommandPath()
	if err := needOut(cmd, f.out); err != nil {
		return err
	}
	if f.base == "" && !f.cfg.resume {
		return usageErrorf(path, "", "--base DIR is required")
	}
	cfg, err := f.cfg.resolve(cmd, g, train.DefaultSFT(), f.out)
	if err != nil {
		return err
	}
	errw := cmd.ErrOrStderr()

	var m *model.Model
	var tok *tokenizer.Tokenizer
	if f.cfg.resume {
		if m, tok, err = train.ResumeModel(f.out); err != nil {
			return fmt.Errorf("sft: %w", err)
		}
	} else {
		hm, err := checkpoint.LoadHF(f.base)
		if err != nil {
			return fmt.Errorf("sft: %w", err)
		}
		m, tok = hm.Model, hm.Tokenizer
	}
	if tok == nil {
		return fmt.Errorf("sft: the base model has no tokenizer")
	}
	if _, err := tok.ChatFormat(); err != nil {
		return fmt.Errorf("sft: %w", err)
	}
	mc := m.Config
	cfg.Layers, cfg.Dim, cfg.Heads, cfg.Ctx, cfg.Vocab = mc.Layers, mc.Channels, mc.Heads, mc.Context, mc.VocabSize

	trainEx, heldEx, genEx, evalEx, err := loadSFTData(f.data, f.evalPrompts, cfg)
	if err != nil {
		return err
	}
	sets, err := renderRows(tok, cfg, trainEx, heldEx, genEx)
	if err != nil {
		return err
	}
	trainRows, heldRows, genRows := sets[0], sets[1], sets[2]
	if len(genEx) == 0 {
		genRows = nil
	}
	fmt.Fprintf(errw, "sft: L%d C%d NH%d T%d V%d; %d training examples in %d rows of %d tokens, %d validation examples in %d rows\n",
		mc.Layers, mc.Channels, mc.Heads, mc.Context, mc.VocabSize, len(trainEx), trainRows.Len(), trainRows.T, len(heldEx), heldRows.Len())
	if genRows != nil {
		fmt.Fprintf(errw, "sft: %d held-out-template examples in %d rows (generalization_loss in metrics.jsonl)\n", len(genEx), genRows.Len())
	}
	tr := &train.Trainer{
		Config: cfg, Model: m, Tokenizer: tok, Train: trainRows, HeldOut: heldRows, Generalization: genRows,
		Out: f.out, Stage: "sft", Resume: f.cfg.resume,
	}
	res, err := runTrainer(cmd, tr, "sft")
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	printTrainSummary(w, "sft", f.out, res)

	if cfg.EvalSamples == 0 || len(evalEx) == 0 {
		return nil
	}
	evalEx = evalEx[:min(len(evalEx), cfg.EvalSamples)]
	fmt.Fprintf(errw, "sft: answering %d held-out prompts\n", len(evalEx))
	ev, err := train.EvaluateSFT(m, tok, evalEx, chat.SampleOptions{
		MaxNewTokens: cfg.MaxNewTokens, Temperature: cfg.Temperature,
	}, cfg.Seed)
	if err != nil {
		return fmt.Errorf("sft: %w", err)
	}
	if err := atomicfile.WriteJSON(filepath.Join(f.out, train.EvalFile), ev); err != nil {
		return fmt.Errorf("sft: %w", err)
	}
	printSFTEval(w, ev, filepath.Join(f.out, train.EvalFile))
	return nil
}

// loadSFTData returns the training and validation examples, the examples
// of the generalization loss (none for a data file) and the prompts of the
// final evaluation.
//
// For the embedded set the validation examples are a hash split (fraction
// --heldout) of the training half: same templates and vocabulary, so their
// loss picks the best model and drives early stopping and the overfitting
// warning. The held-out half, built from templates and vocabulary training
// never shows, is logged as generalization_loss and answered in the final
// evaluation; its loss rises as soon as the model fits the training
// templates, so early stopping on it would stop before the model reads
// prompts at all.
func loadSFTData(path, evalPrompts string, cfg train.Config) (trainEx, heldEx, genEx []data.SFT, evalEx []data.Example, err error) {
	if path == "embedded" {
		set := data.Instructions(cfg.Seed)
		for _, e := range set.Train {
			trainEx = append(trainEx, e.SFT())
		}
		trainEx, heldEx = data.Split(trainEx, cfg.HeldOut)
		for _, e := range set.HeldOut {
			genEx = append(genEx, e.SFT())
		}
		evalEx = set.HeldOut
	} else {
		recs, _, err := data.ReadAll[data.SFT](path, data.ReadOptions{Strict: true})
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("read training data: %w", err)
		}
		trainEx, heldEx = data.Split(recs, cfg.HeldOut)
		for _, r := range heldEx {
			if p := lastUserTurn(r); p != "" {
				evalEx = append(evalEx, data.Example{Prompt: p})
			}
		}
	}
	if evalPrompts != "" {
		ps, _, err := data.ReadAll[data.Prompt](evalPrompts, data.ReadOptions{Strict: true})
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("read eval prompts: %w", err)
		}
		evalEx = evalEx[:0]
		for _, p := range ps {
			evalEx = append(evalEx, data.ExampleFromPrompt(p))
		}
	}
	if len(trainEx) == 0 {
		return nil, nil, nil, nil, fmt.Errorf("sft: %s has no training examples", path)
	}
	return trainEx, heldEx, genEx, evalEx, nil
}

// lastUserTurn is the prompt of an SFT record: its prompt, or the last user
// message before the final answer.
func lastUserTurn(r data.SFT) string {
	if len(r.Messages) == 0 {
		return r.Prompt
	}
	for i := len(r.Messages) - 2; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Content
		}
	}
	return ""
}

// renderRows renders each set of SFT records with the chat template into
// training rows, all of one length. Packed rows are cfg.Ctx tokens long;
// padded rows (one example each) are only as long as the longest example
// needs, rounded up to a multiple of 8 and at most cfg.Ctx, so that no
// compute goes to padding past the longest example: on the embedded set this
// halves the cost of a step.
func renderRows(tok *tokenizer.Tokenizer, cfg train.Config, sets ...[]data.SFT) ([]*train.Rows, error) {
	cf, err := tok.ChatFormat()
	if err != nil {
		return nil, err
	}
	exs := make([][]train.Example, len(sets))
	longest := 1
	for s, recs := range sets {
		exs[s] = make([]train.Example, 0, len(recs))
		for i, r := range recs {
			var msgs []tokenizer.Message
			if len(r.Messages) == 0 {
				msgs = []tokenizer.Message{{Role: "user", Content: r.Prompt}, {Role: "assistant", Content: r.Completion}}
			} else {
				for _, m := range r.Messages {
					msgs = append(msgs, tokenizer.Message{Role: m.Role, Content: m.Content})
				}
			}
			ids, mask, err := tok.RenderChat(msgs, false)
			if err != nil {
				return nil, fmt.Errorf("sft: example %d: %w", i+1, err)
			}
			exs[s] = append(exs[s], train.Example{IDs: toInt32s(ids), Mask: mask})
			longest = max(longest, len(ids)-1) // a row of T holds T+1 tokens
		}
	}
	T := cfg.Ctx
	if !cfg.Pack {
		T = min(cfg.Ctx, (longest+7)/8*8)
	}
	rows := make([]*train.Rows, len(sets))
	for s := range sets {
		rows[s] = train.PackExamples(exs[s], T, cfg.Pack, int32(cf.EndOfTurn))
	}
	return rows, nil
}

func printSFTEval(w io.Writer, ev train.SFTEval, path string) {
	fmt.Fprintf(w, "sft eval on %d held-out prompts: EOS %.1f%%", ev.Prompts, 100*ev.EOSRate)
	if ev.Checkable > 0 {
		fmt.Fprintf(w, ", checkable accuracy %.1f%% (%d/%d)", 100*ev.Accuracy, ev.Correct, ev.Checkable)
	}
	if ev.Harmful > 0 {
		fmt.Fprintf(w, ", harmful compliance %.1f%% (%d/%d)", 100*ev.HarmfulCompliance, ev.HarmfulComplied, ev.Harmful)
	}
	if ev.Benign > 0 {
		fmt.Fprintf(w, ", benign refused %.1f%% (%d/%d)", 100*ev.OverRefusal, ev.BenignRefused, ev.Benign)
	}
	fmt.Fprintf(w, "\n  answers: %s\n", path)
}
