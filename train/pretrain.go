package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/outguard"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// PretrainSpec is one pretraining run: 'align pretrain' and the pretrain
// stage of 'align run' fill it from their settings.
type PretrainSpec struct {
	Config    Config    // resolved settings (validated by Pretrain)
	Data      string    // JSONL of {"text"} records, or "embedded" for data.DefaultCorpus
	Tokenizer string    // tokenizer.json or model dir to use instead of training one ("" = train one)
	Out       string    // output directory (see the package doc)
	Resume    bool      // continue the run in Out from Out/last
	Overwrite bool      // discard the run Out holds (finished or not) instead of refusing to start
	Log       io.Writer // progress bar, notes and warnings (nil = discard)

	// AfterStep, if set, is handed to Trainer.AfterStep: tests interrupt a
	// run at a chosen step with it.
	AfterStep func(step int)
}

// Pretrain trains a GPT from scratch on the documents of s.Data: it splits
// them into training and held-out documents by a hash of their text
// (Config.HeldOut), trains a byte-level BPE tokenizer of Config.Vocab tokens
// on the training documents (or loads s.Tokenizer), packs each set into rows
// of Config.Ctx tokens joined by <|endoftext|> and runs a Trainer. On Resume
// the model and tokenizer come from Out/last. A bad setting is reported as
// a *yamlconf.KeyError, an interrupted run as an error wrapping
// ErrInterrupted (Result.Steps is the step the checkpoint holds).
//
// Out must not be, hold or lie inside an input (Data, Tokenizer). A fresh
// run refuses an Out that holds a run, finished or not, unless Overwrite; a
// resumed run refuses a model shape, data or optimizer setting that differs
// from its config.yaml. A run that fails before its first checkpoint
// leaves Out as it found it.
func Pretrain(ctx context.Context, s PretrainSpec) (Result, error) {
	cfg := s.Config
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	if cfg.LoRA.On() {
		return Result{}, yamlconf.Keyf("lora_rank", "%d: pretraining trains every weight; LoRA is for fine-tuning (sft, dpo, ppo, grpo)", cfg.Rank)
	}
	if s.Out == "" {
		return Result{}, errors.New("pretrain: no output directory")
	}
	if err := outguard.Check(outputs(s.Out), s.Resume, s.Overwrite, filepath.Join(s.Out, ConfigFile), cfg, []outguard.Fixed{fixedShape, fixedData, fixedOptimizer},
		dataInput("data", s.Data), outguard.In("tokenizer", s.Tokenizer)); err != nil {
		return Result{}, err
	}
	log := logWriter(s.Log)
	docs, err := loadTextDocs(s.Data)
	if err != nil {
		return Result{}, yamlconf.WrapKey("data", err)
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
		return Result{}, yamlconf.Keyf("data", "%s has no training documents", s.Data)
	}

	var m *model.Model
	var tok *tokenizer.Tokenizer
	switch {
	case s.Resume:
		if m, tok, err = ResumeModel(s.Out); err != nil {
			return Result{}, fmt.Errorf("pretrain: %w", err)
		}
		if tok == nil {
			return Result{}, fmt.Errorf("pretrain: resume: no tokenizer in %s", filepath.Join(s.Out, LastDir))
		}
	case s.Tokenizer != "":
		if tok, err = tokenizer.Load(s.Tokenizer); err != nil {
			return Result{}, yamlconf.WrapKey("tokenizer", err)
		}
	default:
		fmt.Fprintf(log, "pretrain: training a %d-token BPE tokenizer on %d documents\n", cfg.Vocab, len(trainDocs))
		if tok, err = tokenizer.Train(tokenizer.TrainConfig{VocabSize: cfg.Vocab}, trainDocs...); err != nil {
			return Result{}, fmt.Errorf("pretrain: tokenizer: %w", err)
		}
	}
	eos, ok := tok.TokenID("<|endoftext|>")
	if !ok {
		return Result{}, fmt.Errorf("pretrain: the tokenizer has no <|endoftext|> token to separate documents")
	}
	pack := func(ds []string) *Rows {
		ids := tok.EncodeBatch(ds, tokenizer.Options{})
		enc := make([][]int32, len(ids))
		for i, x := range ids {
			enc[i] = tokenizer.Int32s(x)
		}
		return PackDocuments(enc, int32(eos), cfg.Ctx)
	}
	trainRows, heldRows := pack(trainDocs), pack(heldDocs)
	if heldRows.Len() == 0 && cfg.HeldOut > 0 {
		// Too few held-out documents for one row: hold out the tail instead.
		trainRows, heldRows = trainRows.SplitTail(cfg.HeldOut)
	}
	if m == nil {
		mc := cfg.ModelConfig(tok.VocabSize())
		if m, err = model.New(mc, cfg.Seed); err != nil {
			return Result{}, shapeError(mc, err)
		}
	}
	mc := m.Config
	fmt.Fprintf(log, "pretrain: %s (%.2fM params); %d training rows (%d tokens), %d held-out rows\n",
		mc.Shape(), float64(mc.NumParams())/1e6,
		trainRows.Len(), trainRows.Len()*cfg.Ctx, heldRows.Len())

	if err := outputs(s.Out).Begin(s.Resume, s.Overwrite); err != nil {
		return Result{}, fmt.Errorf("pretrain: %w", err)
	}
	tr := &Trainer{
		Config: cfg, Model: m, Tokenizer: tok, Train: trainRows, HeldOut: heldRows,
		Out: s.Out, Stage: "pretrain", Resume: s.Resume, AfterStep: s.AfterStep,
	}
	res, err := runWithProgress(ctx, tr, log)
	if err != nil {
		return res, err
	}
	if err := outputs(s.Out).Finish(finishInfo{Stage: "pretrain", Steps: res.Steps}); err != nil {
		return res, fmt.Errorf("pretrain: %w", err)
	}
	return res, nil
}

// loadTextDocs returns the documents of a text JSONL file, or the embedded
// corpus for "embedded".
func loadTextDocs(path string) ([]string, error) {
	if path == data.Embedded {
		return data.DefaultCorpus(), nil
	}
	recs, _, err := data.ReadAll[data.Text](path, data.ReadOptions{Strict: true})
	if err != nil {
		return nil, err
	}
	docs := make([]string, len(recs))
	for i, r := range recs {
		docs[i] = r.Text
	}
	return docs, nil
}
