package dpo

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"time"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/outguard"
	"github.com/align-project/align/internal/progress"
	"github.com/align-project/align/internal/trainkit"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
	"github.com/align-project/align/reward"
	"github.com/align-project/align/tokenizer"
)

// DefaultHeldOutFrac is the share of the preferences held out by prompt
// when no held-out file is given, as for the reward model.
const DefaultHeldOutFrac = reward.DefaultHeldOutFrac

// TrainSpec is one DPO run: the stage of the loop that replaces the reward
// model and PPO with one supervised objective on the preferences.
type TrainSpec struct {
	Config Config // the settings, Seed included
	// Policy is the checkpoint directory of the starting policy: the SFT
	// model, or an earlier policy to train further.
	Policy string
	// Reference is the checkpoint directory of the frozen reference; "" is
	// Policy. Training a DPO policy further against its SFT model keeps the
	// implicit reward relative to where the whole journey started.
	Reference string
	Data      string // preferences JSONL
	// HeldOut is a held-out preferences JSONL; "" holds out HeldOutFrac of
	// Data instead, chosen by a hash of the prompt (data.Split).
	HeldOut     string
	HeldOutFrac float64
	Out         string    // the policy, config.yaml, metrics.jsonl, last/, ref_logprobs.bin ("" = nothing written)
	Resume      bool      // continue the interrupted run in Out from Out/last
	Overwrite   bool      // discard the run Out holds (finished or not) instead of refusing to start
	Log         io.Writer // progress bar, notes and warnings (nil = discarded)
}

// Validate reports the first setting of s that cannot work, as a
// *yamlconf.KeyError naming its key.
func (s TrainSpec) Validate() error {
	if err := s.Config.Validate(); err != nil {
		return err
	}
	switch {
	case s.Policy == "":
		return yamlconf.Keyf("policy", "an SFT checkpoint directory is required")
	case s.Data == "":
		return yamlconf.Keyf("data", "a preferences file is required")
	case !(s.HeldOutFrac >= 0 && s.HeldOutFrac < 1):
		return yamlconf.Keyf("heldout_frac", "%v: must be in [0, 1)", s.HeldOutFrac)
	case s.Resume && s.Out == "":
		return yamlconf.Keyf("resume", "resuming needs the output directory of the run")
	}
	return nil
}

// Train loads the policy, the reference and the preferences, holds some
// out, and runs DPO (see Trainer.Run). Preference files are read with
// reward.ReadPreferences (a bad line is an error naming file and line) and
// encoded as the reward model encodes them (EncodePairs): sequences longer
// than the context are cut, and pairs left without a difference are skipped
// with a warning. Settings that cannot work and files named by a setting
// that cannot be read come back as errors wrapping a *yamlconf.KeyError; a
// cancelled ctx saves a checkpoint and returns an error wrapping
// ErrInterrupted.
//
// Out must not be, hold or lie inside an input. A fresh run refuses an Out
// that holds a run, finished or not, unless Overwrite; a resumed run
// refuses changes to the settings its checkpoint carries state for. A run
// that fails before its first checkpoint leaves Out as it found it; a
// finished one ends by writing outguard.FinishedFile.
func Train(ctx context.Context, s TrainSpec) (Result, error) {
	if err := s.Validate(); err != nil {
		return Result{}, err
	}
	if err := outguard.Check(outputs(s.Out), s.Resume, s.Overwrite, filepath.Join(s.Out, ConfigFile), s.Config, fixedOnResume,
		outguard.In("policy", s.Policy), outguard.In("reference", s.Reference), outguard.In("data", s.Data), outguard.In("heldout", s.HeldOut)); err != nil {
		return Result{}, err
	}
	log := s.Log
	if log == nil {
		log = io.Discard
	}
	cfg := s.Config
	policy, tok, err := checkpoint.LoadPolicy(s.Policy)
	if err != nil {
		return Result{}, fmt.Errorf("dpo: load policy: %w", yamlconf.WrapKey("policy", err))
	}
	var ref *model.Model // nil: the trainer copies the policy
	if s.Reference != "" {
		if ref, _, err = checkpoint.LoadPolicy(s.Reference); err != nil {
			return Result{}, fmt.Errorf("dpo: load reference: %w", yamlconf.WrapKey("reference", err))
		}
		ref = ref.Base() // frozen: no gradients, one layer's activations
		if rc, pc := ref.Config, policy.Config; rc.VocabSize != pc.VocabSize || rc.Context < pc.Context {
			return Result{}, yamlconf.Keyf("reference", "%s (vocabulary %d, context %d) cannot be the reference of %s (vocabulary %d, context %d): use the checkpoint the policy was trained from",
				s.Reference, rc.VocabSize, rc.Context, s.Policy, pc.VocabSize, pc.Context)
		}
	}
	if cfg.LoRA.On() {
		// Drawn from the seed: a resumed run attaches the same adapters
		// before its checkpoint overwrites them.
		if err := cfg.LoRA.Attach(policy, cfg.Seed); err != nil {
			return Result{}, err
		}
	}
	train, held, err := s.pairs(tok, policy.Config.Context, log)
	if err != nil {
		return Result{}, err
	}
	stop, err := stopTokens(tok)
	if err != nil {
		return Result{}, fmt.Errorf("dpo: %w", err)
	}
	mc := policy.Config
	fmt.Fprintf(log, "dpo: policy %s (L%d C%d T%d V%d); %d training and %d held-out pairs; %s loss, β %g\n",
		s.Policy, mc.Layers, mc.Channels, mc.Context, mc.VocabSize, len(train), len(held), cfg.Loss, cfg.Beta)
	if err := outputs(s.Out).Begin(s.Resume, s.Overwrite); err != nil {
		return Result{}, fmt.Errorf("dpo: %w", err)
	}
	steps := cfg.TotalSteps(len(train))
	bar := progress.New(log, progress.IsTerminal(log), "dpo", steps, "step", 10*time.Second)
	tr := &Trainer{
		Config: cfg, Policy: policy, Ref: ref, Tokenizer: tok, Train: train, HeldOut: held, StopTokens: stop,
		Out: s.Out, Base: s.Policy, Resume: s.Resume,
		Progress: func(st Stats) {
			eta := time.Duration(float64(st.Steps-st.Step) * st.TimeStep * float64(time.Second))
			fields := fmt.Sprintf("loss %.4f acc %.3f margin %+.3f lr %.2e", st.Loss, st.Accuracy, st.Margin, st.LR)
			if e := st.Eval; e != nil {
				fields += fmt.Sprintf(" | held-out acc %.3f (best %.3f) margin %+.3f chosen %+.2f rejected %+.2f", e.HeldOutAccuracy, e.BestAccuracy, e.HeldOutMargin, e.ChosenDelta, e.RejectedDelta)
				if e.KL != nil {
					fields += fmt.Sprintf(" kl %.3f", *e.KL)
				}
			}
			bar.Update(st.Step, 1/max(st.TimeStep, 1e-9), eta, fields, st.Eval != nil)
		},
		Warn: func(msg string) { bar.Log("align: warning: " + msg) },
		Note: func(msg string) { bar.Log("dpo: " + msg) },
	}
	res, err := tr.Run(ctx)
	bar.Done()
	if err == nil && s.Out != "" {
		if err := outputs(s.Out).Finish(map[string]any{"stage": "dpo", "steps": res.Steps}); err != nil {
			return res, fmt.Errorf("dpo: %w", err)
		}
	}
	return res, err
}

// pairs reads and encodes the training and held-out preferences.
func (s TrainSpec) pairs(tok *tokenizer.Tokenizer, context int, log io.Writer) (train, held []Pair, err error) {
	prefs, err := readPreferences(s.Data, log)
	if err != nil {
		return nil, nil, yamlconf.WrapKey("data", err)
	}
	trainPrefs, heldPrefs := prefs, []data.Preference(nil)
	if s.HeldOut != "" {
		if heldPrefs, err = readPreferences(s.HeldOut, log); err != nil {
			return nil, nil, yamlconf.WrapKey("heldout", err)
		}
	} else {
		trainPrefs, heldPrefs = data.Split(prefs, s.HeldOutFrac)
		if len(trainPrefs) == 0 {
			return nil, nil, yamlconf.Keyf("heldout", "every prompt of %s fell into the held-out part: name a held-out file", s.Data)
		}
	}
	maxLen := context
	if s.Config.MaxLen > 0 {
		maxLen = min(maxLen, s.Config.MaxLen)
	}
	enc, err := reward.NewEncoder(tok, maxLen)
	if err != nil {
		return nil, nil, fmt.Errorf("dpo: %w", err)
	}
	for _, part := range []struct {
		prefs []data.Preference
		out   *[]Pair
		key   string
		what  string
	}{{trainPrefs, &train, "data", "training"}, {heldPrefs, &held, "heldout", "held-out"}} {
		pairs, skipped, err := EncodePairs(enc, part.prefs)
		if err != nil {
			return nil, nil, yamlconf.WrapKey(part.key, err)
		}
		if skipped > 0 {
			fmt.Fprintf(log, "align: warning: %d of %d %s preferences are skipped: their two sequences are identical within %d tokens (equal responses, or a prompt that leaves no room for them)\n",
				skipped, len(part.prefs), part.what, maxLen)
		}
		*part.out = pairs
	}
	if len(train) == 0 {
		return nil, nil, yamlconf.Keyf("data", "no preference of %s is left to train on", s.Data)
	}
	return train, held, nil
}

// readPreferences is reward.ReadPreferences with the read's warnings
// (unknown fields) written to log.
func readPreferences(path string, log io.Writer) ([]data.Preference, error) {
	prefs, rep, err := reward.ReadPreferences(path)
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

// stopTokens are the tokens that end a reply of the chat template.
func stopTokens(tok *tokenizer.Tokenizer) ([]int32, error) {
	f, err := tok.ChatFormat()
	if err != nil {
		return nil, err
	}
	return tokenizer.Int32s(f.Stop), nil
}

// WriteText prints the summary of a run: its length, the best held-out
// accuracy, the last evaluation and where the files went.
func (r Result) WriteText(w io.Writer) {
	fmt.Fprintf(w, "dpo: %d steps in %s (%s loss, β %g)\n", r.Steps, progress.Duration(r.Elapsed), r.Config.Loss, r.Config.Beta)
	if r.EarlyStopped {
		fmt.Fprintf(w, "  stopped early: the held-out accuracy stopped improving\n")
	}
	if !math.IsNaN(r.BestAccuracy) {
		fmt.Fprintf(w, "  best held-out accuracy %.4f at step %d (the policy kept)\n", r.BestAccuracy, r.BestStep)
	}
	if e := r.Last.Eval; e != nil {
		fmt.Fprintf(w, "  last evaluation: accuracy %.4f, margin %+.3f, chosen log-prob %+.3f and rejected %+.3f from the reference",
			e.HeldOutAccuracy, e.HeldOutMargin, e.ChosenDelta, e.RejectedDelta)
		if e.KL != nil {
			fmt.Fprintf(w, ", KL %.3f", *e.KL)
		}
		fmt.Fprintln(w)
	}
	if r.Out != "" {
		fmt.Fprintf(w, "  policy: %s  metrics: %s\n", r.Out, filepath.Join(r.Out, MetricsFile))
	}
}

// outputs is what a run writes in its output directory out; the run is
// finished once outguard.FinishedFile is there.
func outputs(out string) outguard.Run {
	return outguard.Run{Dir: out, Finished: outguard.FinishedFile, Resumable: true, Files: []string{
		LastDir, ConfigFile, MetricsFile, RefCacheFile, checkpoint.AdapterDir,
		checkpoint.HFConfigFile, checkpoint.HFWeightsFile, checkpoint.HFTokenizerFile,
		checkpoint.HFTokenizerConfigFile, checkpoint.HFSpecialTokensFile, checkpoint.HFGenerationConfigFile,
	}}
}

// fixedOnResume are the settings a resumed run cannot change: the
// checkpoint's state was made with them, or they decide which pairs the
// steps already taken saw.
var fixedOnResume = []outguard.Fixed{
	{Why: "the checkpoint's optimizer state was made with it", Keys: []string{"max_grad_norm", "weight_decay"}},
	{Why: "it decided the pair order and the run length the checkpoint continues", Keys: []string{"seed", "batch_size", "steps", "epochs"}},
	{Why: "the cached reference log-probs and the checkpoint's pairs were made with it", Keys: []string{"max_len"}},
	trainkit.FixedLoRA,
}
