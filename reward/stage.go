package reward

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"time"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/atomicfile"
	"github.com/align-project/align/internal/outguard"
	"github.com/align-project/align/internal/progress"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
)

// DefaultHeldOutFrac is the share of the preferences held out by prompt
// when no held-out file is given ('align reward train --heldout-frac').
const DefaultHeldOutFrac = 0.1

// ErrInterrupted is returned (wrapped) by Train and Trainer.Run when their
// context is cancelled; nothing is written then.
var ErrInterrupted = errors.New("interrupted")

// TrainSpec is one reward-model training run: the stage of the loop
// between labelling and PPO.
type TrainSpec struct {
	Config Config // the settings, Weights and Seed included
	Base   string // SFT checkpoint directory the model starts from
	Data   string // preferences JSONL
	// HeldOut is a held-out preferences JSONL; "" holds out HeldOutFrac of
	// Data instead, chosen by a hash of the prompt (data.Split).
	HeldOut     string
	HeldOutFrac float64
	Out         string    // receives the model, metrics.jsonl and eval.json ("" = nothing written)
	Overwrite   bool      // replace the reward model Out holds instead of refusing to start
	Log         io.Writer // progress bar, notes and warnings (nil = discarded)
	// Init is a reward model (Train's output) whose weights the model
	// starts from instead of Base's: a reward model that goes on learning
	// as labels come in, as in a later round of iterated RLAIF. Base still
	// gives the SFT samples the rewards are normalised on; the two must be
	// the same network shape.
	Init string
}

// Validate reports the first setting of s that cannot work, as a
// *yamlconf.KeyError naming its key.
func (s TrainSpec) Validate() error {
	if err := s.Config.Validate(); err != nil {
		return err
	}
	switch {
	case s.Base == "":
		return yamlconf.Keyf("base", "an SFT checkpoint directory is required")
	case s.Data == "":
		return yamlconf.Keyf("data", "a preferences file is required")
	case !(s.HeldOutFrac >= 0 && s.HeldOutFrac < 1):
		return yamlconf.Keyf("heldout_frac", "%v: must be in [0, 1)", s.HeldOutFrac)
	}
	return nil
}

// Train reads the preferences, holds some out, starts a reward model from
// the SFT checkpoint s.Base (or the reward model s.Init) and trains it (see
// Trainer.Run), writing s.Out.
// Settings that cannot work and files named by a setting that cannot be
// read come back as errors wrapping a *yamlconf.KeyError. Out must not be,
// hold or lie inside an input (Base, Init, Data, HeldOut), and one that holds a
// reward model or the outputs of a failed run is refused unless
// Overwrite. A run that fails or is interrupted leaves Out as it found it.
func Train(ctx context.Context, s TrainSpec) (Result, error) {
	if err := s.Validate(); err != nil {
		return Result{}, err
	}
	if err := outguard.Check(outputs(s.Out), false, s.Overwrite, "", s.Config, nil,
		outguard.In("base", s.Base), outguard.In("init", s.Init), outguard.In("data", s.Data), outguard.In("heldout", s.HeldOut)); err != nil {
		return Result{}, err
	}
	log := s.Log
	if log == nil {
		log = io.Discard
	}
	cfg := s.Config
	prefs, err := readPreferences(s.Data, log)
	if err != nil {
		return Result{}, yamlconf.WrapKey("data", err)
	}
	trainSet, held := prefs, []data.Preference(nil)
	if s.HeldOut != "" {
		if held, err = readPreferences(s.HeldOut, log); err != nil {
			return Result{}, yamlconf.WrapKey("heldout", err)
		}
	} else {
		trainSet, held = data.Split(prefs, s.HeldOutFrac)
		if len(trainSet) == 0 {
			return Result{}, yamlconf.Keyf("heldout", "every prompt of %s fell into the held-out part: name a held-out file", s.Data)
		}
	}
	m, err := LoadBase(s.Base, cfg.MaxLen, cfg.Seed)
	if err != nil {
		return Result{}, fmt.Errorf("reward train: %w", yamlconf.WrapKey("base", err))
	}
	mc := m.Net.Config
	fmt.Fprintf(log, "reward train: base %s (L%d C%d T%d V%d); %d training and %d held-out preferences\n",
		s.Base, mc.Layers, mc.Channels, mc.Context, mc.VocabSize, len(trainSet), len(held))
	var sft *model.Model // nil: the network as it starts is the SFT policy
	if s.Init != "" {
		prev, err := Load(s.Init)
		if err != nil {
			return Result{}, fmt.Errorf("reward train: %w", yamlconf.WrapKey("init", err))
		}
		if pc := prev.Net.Config; pc != mc {
			return Result{}, yamlconf.Keyf("init", "%s (L%d C%d T%d V%d) is not a reward model of the base %s: train it from the same SFT checkpoint",
				s.Init, pc.Layers, pc.Channels, pc.Context, pc.VocabSize, s.Base)
		}
		sft, m.Net = m.Net, prev.Net
		fmt.Fprintf(log, "reward train: going on from the reward model %s\n", s.Init)
	}

	if err := outputs(s.Out).Begin(false, s.Overwrite); err != nil {
		return Result{}, fmt.Errorf("reward train: %w", err)
	}
	tr := &Trainer{Config: cfg, Model: m, Train: trainSet, HeldOut: held, Out: s.Out, SFT: sft}
	bar := progress.New(log, progress.IsTerminal(log), "reward", cfg.Steps, "pair", 10*time.Second)
	tr.Progress = func(st Status) {
		fields := fmt.Sprintf("loss %.3f", st.Loss)
		if !math.IsNaN(st.HeldOutAcc) {
			fields += fmt.Sprintf(" held-out acc %.3f (best %.3f)", st.HeldOutAcc, st.BestAcc)
		}
		fields += fmt.Sprintf(" lr %.2e", st.LR)
		bar.Update(st.Step, float64(st.Step*cfg.Batch)/st.Elapsed.Seconds(), st.ETA, fields, st.Evaluated)
	}
	tr.Warn = func(msg string) { bar.Log("align: warning: " + msg) }
	res, err := tr.Run(ctx)
	bar.Done()
	res.Out = s.Out
	return res, err
}

// WriteText prints the summary of a training run: steps, accuracies,
// normalisation and where the files went.
func (r Result) WriteText(w io.Writer) {
	fmt.Fprintf(w, "reward train: %d steps in %s; best held-out accuracy at step %d\n",
		r.Steps, progress.Duration(time.Duration(r.Elapsed*float64(time.Second))), r.BestStep)
	if r.EarlyStopped {
		fmt.Fprintf(w, "  stopped early: the held-out accuracy stopped improving\n")
	}
	if r.TrainEval != nil {
		fmt.Fprintf(w, "  train accuracy    %.4f (%d pairs)\n", r.TrainEval.Accuracy, r.TrainEval.Pairs)
	}
	if r.HeldOutEval != nil && r.Gap != nil {
		fmt.Fprintf(w, "  held-out accuracy %.4f (%d pairs), gap %.4f, ECE %.4f\n",
			r.HeldOutEval.Accuracy, r.HeldOutEval.Pairs, *r.Gap, r.HeldOutEval.ECE)
	}
	if r.Norm != nil {
		fmt.Fprintf(w, "  normalised on %d SFT samples (raw preference mean %.3f, std %.3f)\n",
			r.Norm.Samples, r.Norm.Mean[HeadPreference], r.Norm.Std[HeadPreference])
	}
	if r.Out != "" {
		fmt.Fprintf(w, "  model: %s  metrics: %s  evaluation: %s\n", r.Out,
			filepath.Join(r.Out, MetricsFile), filepath.Join(r.Out, EvalFile))
	}
}

// readPreferences is ReadPreferences with the read's warnings (unknown
// fields) written to log.
func readPreferences(path string, log io.Writer) ([]data.Preference, error) {
	prefs, rep, err := ReadPreferences(path)
	if err != nil {
		return nil, err
	}
	for _, p := range rep.Problems {
		if p.Warning {
			fmt.Fprintf(log, "align: warning: %v\n", p)
		}
	}
	return prefs, nil
}

// EvaluateFile evaluates m on the preferences file at path (batch
// sequences per forward pass), writing the read's warnings to log.
func EvaluateFile(m *Model, path string, batch int, log io.Writer) (*Eval, error) {
	if log == nil {
		log = io.Discard
	}
	prefs, err := readPreferences(path, log)
	if err != nil {
		return nil, err
	}
	return Evaluate(m, prefs, batch)
}

// scoreLine is a line of a file to score: any JSON object with a "prompt"
// and a "response" string; its other fields pass through ScoreFile.
type scoreLine map[string]json.RawMessage

// Validate requires the prompt and the response.
func (l scoreLine) Validate() error {
	for _, name := range []string{"prompt", "response"} {
		var s string
		if raw, ok := l[name]; !ok || json.Unmarshal(raw, &s) != nil || s == "" {
			return &data.FieldError{Field: name, Msg: "is missing, empty or not a string"}
		}
	}
	return nil
}

// SplitKey is the prompt, as for every record with one.
func (l scoreLine) SplitKey() string { return l.text("prompt") }

func (l scoreLine) text(name string) string {
	var s string
	json.Unmarshal(l[name], &s) // checked by Validate
	return s
}

// ScoreFileResult is what ScoreFile did.
type ScoreFileResult struct {
	Responses  int
	MeanReward float64 // of the normalised reward
	Out        string
}

// WriteText prints the one-line summary of 'align reward score'.
func (r ScoreFileResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "reward score: %d responses scored (mean score %.3f) -> %s\n", r.Responses, r.MeanReward, r.Out)
}

// ScoreFile reads the JSONL file in, lines of {"prompt", "response", ...},
// and writes each line to out with m's scores added (batch sequences per
// forward pass): "score" the normalised reward, "scores" each normalised
// head by name and "cost" the constraint cost. A line without a prompt or
// response is an error naming it; out is written only when all are scored.
func ScoreFile(ctx context.Context, m *Model, in, out string, batch int) (ScoreFileResult, error) {
	if err := outguard.NotOnInputs("out", out, outguard.In("in", in)); err != nil {
		return ScoreFileResult{}, err
	}
	lines, _, err := data.ReadAll[scoreLine](in, data.ReadOptions{Strict: true})
	if err != nil {
		return ScoreFileResult{}, fmt.Errorf("reward score: %w", err)
	}
	prompts, responses := make([]string, len(lines)), make([]string, len(lines))
	for i, l := range lines {
		prompts[i], responses[i] = l.text("prompt"), l.text("response")
	}
	if err := ctx.Err(); err != nil {
		return ScoreFileResult{}, fmt.Errorf("reward score: %w", err)
	}
	outs, err := m.Score(prompts, responses, batch)
	if err != nil {
		return ScoreFileResult{}, fmt.Errorf("reward score: %w", err)
	}
	for i, o := range outs {
		if atomicfile.FirstNonFinite(o) != "" {
			return ScoreFileResult{}, fmt.Errorf("reward score: %s, record %d: the reward model's score is not a finite number (raw heads %v): its weights or normalisation are broken; train it again", in, i+1, o.Heads)
		}
	}
	err = atomicfile.WriteFile(out, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		for i, l := range lines {
			o := outs[i]
			heads := map[string]float64{}
			for k, name := range HeadNames {
				heads[name] = o.Normalized[k]
			}
			l["score"], _ = json.Marshal(o.Reward)
			l["scores"], _ = json.Marshal(heads)
			l["cost"], _ = json.Marshal(o.Cost)
			b, err := json.Marshal(l)
			if err != nil {
				return err
			}
			bw.Write(append(b, '\n'))
		}
		return bw.Flush()
	})
	if err != nil {
		return ScoreFileResult{}, fmt.Errorf("reward score: %w", err)
	}
	res := ScoreFileResult{Responses: len(outs), Out: out}
	for _, o := range outs {
		res.MeanReward += o.Reward
	}
	if len(outs) > 0 {
		res.MeanReward /= float64(len(outs))
	}
	return res, nil
}

// outputs is what a training run writes in its output directory out; the
// evaluation is written last, so with it the run is finished.
func outputs(out string) outguard.Run {
	return outguard.Run{Dir: out, Finished: EvalFile, Files: []string{
		MetricsFile, InfoFile,
		checkpoint.HFConfigFile, checkpoint.HFWeightsFile, checkpoint.HFTokenizerFile,
		checkpoint.HFTokenizerConfigFile, checkpoint.HFSpecialTokensFile, checkpoint.HFGenerationConfigFile,
	}}
}
