package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/align-project/align/chat"
	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/atomicfile"
	"github.com/align-project/align/internal/outguard"
	"github.com/align-project/align/internal/trainkit"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// SFTSpec is one supervised fine-tuning run: 'align sft' and the sft stage
// of 'align run' fill it from their settings.
type SFTSpec struct {
	Config      Config    // the shape keys (layers, dim, heads, ctx, vocab) are taken from the base
	Base        string    // pretrained model directory (not needed on Resume)
	Data        string    // SFT JSONL, or "embedded" for the generated instruction set
	EvalPrompts string    // prompts JSONL of the final sampling evaluation ("" = the data's own)
	Out         string    // output directory (see the package doc)
	Resume      bool      // continue the run in Out from Out/last
	Overwrite   bool      // discard the run Out holds (finished or not) instead of refusing to start
	Log         io.Writer // progress bar, notes and warnings (nil = discard)

	// AfterStep, if set, is handed to Trainer.AfterStep: tests interrupt a
	// run at a chosen step with it.
	AfterStep func(step int)
}

// SFTResult is a finished SFT run and its sampling evaluation.
type SFTResult struct {
	Result
	Eval     *SFTEval // nil when no evaluation ran
	EvalPath string   // where Eval was written (Out/eval.json)
}

// SFT fine-tunes the model of s.Base to answer as an assistant: each
// example of s.Data is rendered with the tokenizer's chat template and only
// the assistant's replies count in the loss (see renderRows). Afterwards the
// best model answers up to Config.EvalSamples held-out prompts, scored by
// EvaluateSFT and written to Out/eval.json. On Resume the model and
// tokenizer come from Out/last. A bad setting is reported as a
// *yamlconf.KeyError, an interrupted run as an error wrapping
// ErrInterrupted (Result.Steps is the step the checkpoint holds). Out is
// guarded as in Pretrain (its inputs: Base, Data, EvalPrompts; the fixed
// settings of a resumed run: data and optimizer).
func SFT(ctx context.Context, s SFTSpec) (SFTResult, error) {
	cfg := s.Config
	if err := cfg.Validate(); err != nil {
		return SFTResult{}, err
	}
	if s.Out == "" {
		return SFTResult{}, errors.New("sft: no output directory")
	}
	if s.Base == "" && !s.Resume {
		return SFTResult{}, yamlconf.Keyf("base", "a pretrained model directory is required")
	}
	if err := outguard.Check(outputs(s.Out), s.Resume, s.Overwrite, filepath.Join(s.Out, ConfigFile), cfg, []outguard.Fixed{fixedData, fixedRows, fixedOptimizer, trainkit.FixedLoRA},
		outguard.In("base", s.Base), dataInput("data", s.Data), outguard.In("eval_prompts", s.EvalPrompts)); err != nil {
		return SFTResult{}, err
	}
	log := logWriter(s.Log)

	var m *model.Model
	var tok *tokenizer.Tokenizer
	var err error
	switch {
	case s.Resume && !cfg.LoRA.On():
		if m, tok, err = ResumeModel(s.Out); err != nil {
			return SFTResult{}, fmt.Errorf("sft: %w", err)
		}
	case s.Resume && s.Base == "":
		// The checkpoint of a LoRA run holds only the adapters.
		return SFTResult{}, yamlconf.Keyf("base", "a LoRA run resumes on the base model it started from: give it again")
	default:
		hm, err := checkpoint.LoadKind(s.Base, checkpoint.KindPolicy)
		if err != nil {
			return SFTResult{}, yamlconf.WrapKey("base", err)
		}
		m, tok = hm.Model, hm.Tokenizer
		if cfg.LoRA.On() {
			// The adapters are drawn from the seed, so a resumed run
			// attaches the same ones before its checkpoint overwrites them.
			if err := cfg.LoRA.Attach(m, cfg.Seed); err != nil {
				return SFTResult{}, err
			}
		}
	}
	if tok == nil {
		return SFTResult{}, fmt.Errorf("sft: the base model has no tokenizer")
	}
	if _, err := tok.ChatFormat(); err != nil {
		return SFTResult{}, fmt.Errorf("sft: %w", err)
	}
	mc := m.Config
	cfg.Layers, cfg.Dim, cfg.Heads, cfg.Ctx, cfg.Vocab = mc.Layers, mc.Channels, mc.Heads, mc.Context, mc.VocabSize

	trainEx, heldEx, genEx, evalEx, err := loadSFTData(s.Data, s.EvalPrompts, cfg)
	if err != nil {
		return SFTResult{}, err
	}
	sets, err := renderRows(tok, cfg, trainEx, heldEx, genEx)
	if err != nil {
		return SFTResult{}, err
	}
	trainRows, heldRows, genRows := sets[0], sets[1], sets[2]
	if len(genEx) == 0 {
		genRows = nil
	}
	fmt.Fprintf(log, "sft: %s; %d training examples in %d rows of %d tokens, %d validation examples in %d rows\n",
		mc.Shape(), len(trainEx), trainRows.Len(), trainRows.T, len(heldEx), heldRows.Len())
	if genRows != nil {
		fmt.Fprintf(log, "sft: %d held-out-template examples in %d rows (generalization_loss in metrics.jsonl)\n", len(genEx), genRows.Len())
	}
	if err := outputs(s.Out).Begin(s.Resume, s.Overwrite); err != nil {
		return SFTResult{}, fmt.Errorf("sft: %w", err)
	}
	tr := &Trainer{
		Config: cfg, Model: m, Tokenizer: tok, Train: trainRows, HeldOut: heldRows, Generalization: genRows,
		Out: s.Out, Stage: "sft", Base: s.Base, Resume: s.Resume, AfterStep: s.AfterStep,
	}
	res, err := runWithProgress(ctx, tr, log)
	out := SFTResult{Result: res}
	if err != nil {
		return out, err
	}

	finish := func() error { return outputs(s.Out).Finish(finishInfo{Stage: "sft", Steps: res.Steps}) }
	if cfg.EvalSamples == 0 || len(evalEx) == 0 {
		return out, finish()
	}
	evalEx = evalEx[:min(len(evalEx), cfg.EvalSamples)]
	fmt.Fprintf(log, "sft: answering %d held-out prompts\n", len(evalEx))
	ev, err := EvaluateSFT(m, tok, evalEx, chat.SampleOptions{SampleOptions: model.SampleOptions{
		MaxNewTokens: cfg.MaxNewTokens, Temperature: float32(cfg.Temperature),
	}}, cfg.Seed)
	if err != nil {
		return out, fmt.Errorf("sft: %w", err)
	}
	path := filepath.Join(s.Out, EvalFile)
	if err := atomicfile.WriteJSON(path, ev); err != nil {
		return out, fmt.Errorf("sft: %w", err)
	}
	out.Eval, out.EvalPath = &ev, path
	return out, finish()
}

// loadSFTData returns the training and validation examples, the examples
// of the generalization loss (none for a data file) and the prompts of the
// final evaluation.
//
// For the embedded set the validation examples are a hash split (fraction
// HeldOut) of the training half: same templates and vocabulary, so their
// loss picks the best model and drives early stopping and the overfitting
// warning. The held-out half, built from templates and vocabulary training
// never shows, is logged as generalization_loss and answered in the final
// evaluation; its loss rises as soon as the model fits the training
// templates, so early stopping on it would stop before the model reads
// prompts at all.
func loadSFTData(path, evalPrompts string, cfg Config) (trainEx, heldEx, genEx []data.SFT, evalEx []data.Example, err error) {
	if path == data.Embedded {
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
			return nil, nil, nil, nil, yamlconf.WrapKey("data", err)
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
			return nil, nil, nil, nil, yamlconf.WrapKey("eval_prompts", err)
		}
		evalEx = evalEx[:0]
		for _, p := range ps {
			evalEx = append(evalEx, data.ExampleFromPrompt(p))
		}
	}
	if len(trainEx) == 0 {
		return nil, nil, nil, nil, yamlconf.Keyf("data", "%s has no training examples", path)
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
func renderRows(tok *tokenizer.Tokenizer, cfg Config, sets ...[]data.SFT) ([]*Rows, error) {
	cf, err := tok.ChatFormat()
	if err != nil {
		return nil, err
	}
	exs := make([][]Example, len(sets))
	longest := 1
	for s, recs := range sets {
		exs[s] = make([]Example, 0, len(recs))
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
			exs[s] = append(exs[s], Example{IDs: tokenizer.Int32s(ids), Mask: mask})
			longest = max(longest, len(ids)-1) // a row of T holds T+1 tokens
		}
	}
	T := cfg.Ctx
	if !cfg.Pack {
		T = min(cfg.Ctx, (longest+7)/8*8)
	}
	rows := make([]*Rows, len(sets))
	for s := range sets {
		rows[s] = PackExamples(exs[s], T, cfg.Pack, int32(cf.EndOfTurn))
	}
	return rows, nil
}
