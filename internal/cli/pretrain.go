package cli

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/align-project/align/data"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
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

OUT holds the best model as a Hugging Face GPT-2 directory with its tokenizer
(what 'align sft --base' reads), config.yaml (the effective settings),
metrics.jsonl and last/, a checkpoint written every --save-every steps, at
the end and on Ctrl-C, from which --resume continues exactly.

Settings come from the defaults, then --config FILE (YAML, keys as the flags
with _ for -, unknown keys are errors), then the flags given.`,
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
	f.cfg.register(fs, train.DefaultPretrain(), "pack", "eval_samples", "max_new_tokens", "temperature")
	return cmd
}

func runPretrain(cmd *cobra.Command, g *globals, f *pretrainFlags) error {
	if err := needOut(cmd, f.out); err != nil {
		return err
	}
	cfg, err := f.cfg.resolve(cmd, g, train.DefaultPretrain(), f.out)
	if err != nil {
		return err
	}
	errw := cmd.ErrOrStderr()
	docs, err := loadTextDocs(f.data)
	if err != nil {
		return err
	}
	var trainDocs, heldDocs []string
	for _, d := range docs {
		if data.HeldOut(d, cfg.HeldOut) {
			heldDocs = append(heldDocs, d)
		} else {
			trainDocs = append(trainDocs, d)
		}
	}
	if len(trainDocs) == 0 {
		return fmt.Errorf("pretrain: %s has no training documents", f.data)
	}

	var m *model.Model
	var tok *tokenizer.Tokenizer
	switch {
	case f.cfg.resume:
		if m, tok, err = train.ResumeModel(f.out); err != nil {
			return fmt.Errorf("pretrain: %w", err)
		}
		if tok == nil {
			return fmt.Errorf("pretrain: resume: no tokenizer in %s", filepath.Join(f.out, train.LastDir))
		}
	case f.tokenizer != "":
		if tok, err = tokenizer.Load(f.tokenizer); err != nil {
			return fmt.Errorf("pretrain: %w", err)
		}
	default:
		fmt.Fprintf(errw, "pretrain: training a %d-token BPE tokenizer on %d documents\n", cfg.Vocab, len(trainDocs))
		if tok, err = tokenizer.Train(tokenizer.TrainConfig{VocabSize: cfg.Vocab}, trainDocs...); err != nil {
			return fmt.Errorf("pretrain: tokenizer: %w", err)
		}
	}
	eos, ok := tok.TokenID("<|endoftext|>")
	if !ok {
		return fmt.Errorf("pretrain: the tokenizer has no <|endoftext|> token to separate documents")
	}
	pack := func(ds []string) *train.Rows {
		ids := tok.EncodeBatch(ds, tokenizer.Options{})
		enc := make([][]int32, len(ids))
		for i, x := range ids {
			enc[i] = toInt32s(x)
		}
		return train.PackDocuments(enc, int32(eos), cfg.Ctx)
	}
	trainRows, heldRows := pack(trainDocs), pack(heldDocs)
	if heldRows.Len() == 0 && cfg.HeldOut > 0 {
		// Too few held-out documents for one row: hold out the tail instead.
		trainRows, heldRows = trainRows.SplitTail(cfg.HeldOut)
	}
	if m == nil {
		if m, err = model.New(cfg.ModelConfig(tok.VocabSize()), cfg.Seed); err != nil {
			return usageErrorf(cmd.CommandPath(), "", "%v", err)
		}
	}
	mc := m.Config
	fmt.Fprintf(errw, "pretrain: L%d C%d NH%d T%d V%d (%.2fM params); %d training rows (%d tokens), %d held-out rows\n",
		mc.Layers, mc.Channels, mc.Heads, mc.Context, mc.VocabSize, float64(mc.NumParams())/1e6,
		trainRows.Len(), trainRows.Len()*cfg.Ctx, heldRows.Len())

	tr := &train.Trainer{
		Config: cfg, Model: m, Tokenizer: tok, Train: trainRows, HeldOut: heldRows,
		Out: f.out, Stage: "pretrain", Resume: f.cfg.resume,
	}
	res, err := runTrainer(cmd, tr, "pretrain")
	if err != nil {
		return err
	}
	printTrainSummary(cmd.OutOrStdout(), "pretrain", f.out, res)
	return nil
}

// loadTextDocs returns the documents of a text JSONL file, or the embedded
// corpus for "embedded".
func loadTextDocs(path string) ([]string, error) {
	if path == "embedded" {
		return data.DefaultCorpus(), nil
	}
	recs, _, err := data.ReadAll[data.Text](path, data.ReadOptions{Strict: true})
	if err != nil {
		return nil, fmt.Errorf("read training data: %w", err)
	}
	docs := make([]string, len(recs))
	for i, r := range recs {
		docs[i] = r.Text
	}
	return docs, nil
}

func toInt32s(ids []int) []int32 {
	out := make([]int32, len(ids))
	for i, id := range ids {
		out[i] = int32(id)
	}
	return out
}
