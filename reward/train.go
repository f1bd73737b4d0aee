package reward

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/align-project/align/chat"
	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/atomicfile"
	"github.com/align-project/align/internal/trainkit"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
)

// Config holds the hyper-parameters of reward-model training. The YAML keys
// are the flag names of 'align reward train'.
type Config struct {
	Steps       int     `yaml:"steps"`        // optimizer updates
	Batch       int     `yaml:"batch"`        // batch elements (groups of comparisons) per update
	MaxSeqs     int     `yaml:"max_seqs"`     // sequences per forward pass at most; larger batches are accumulated
	LR          float64 `yaml:"lr"`           // peak learning rate
	MinLR       float64 `yaml:"min_lr"`       // learning rate at the end of the cosine decay
	Warmup      int     `yaml:"warmup"`       // steps of linear warm-up
	WeightDecay float64 `yaml:"weight_decay"` // AdamW decoupled decay on matrices
	Clip        float64 `yaml:"clip"`         // gradient-norm clipping; 0 = off
	MaxLen      int     `yaml:"max_len"`      // tokens per sequence at most (0: the context)
	// HeadLRMult multiplies the learning rate of the scalar heads (the body
	// keeps LR): a fresh head can learn fast over a body that moves slowly.
	// 0 or 1: one learning rate for all.
	HeadLRMult float64 `yaml:"head_lr_mult"`

	// Group puts the comparisons of one ranking (records sharing an id and
	// a prompt) into one batch element, as InstructGPT does (see MakeGroups).
	Group bool `yaml:"group"`
	// MaxGroupPairs is the most pairs per element (0: no limit); the default
	// 36 is InstructGPT's largest ranking, 9 responses.
	MaxGroupPairs int `yaml:"max_group_pairs"`

	LossConfig `yaml:",inline"`

	// Weights combine the normalised heads into the reward, by head name;
	// absent heads weigh 0. Empty means {"preference": 1}.
	Weights map[string]float64 `yaml:"weights"`

	EvalEvery      int     `yaml:"eval_every"`       // steps between held-out evaluations; 0 = only at the end
	Patience       int     `yaml:"patience"`         // stop after this many evaluations without a better held-out accuracy; 0 = never
	MinDelta       float64 `yaml:"min_delta"`        // an improvement must exceed this
	GapEvals       int     `yaml:"gap_evals"`        // warn when the train minus held-out accuracy gap grows this many evaluations running; 0 = never
	TrainEvalPairs int     `yaml:"train_eval_pairs"` // training pairs the train accuracy is measured on (0: all)
	LogEvery       int     `yaml:"log_every"`        // steps between metrics lines

	NormSamples     int     `yaml:"norm_samples"`     // reference samples of the SFT policy; 0 = no normalisation
	NormMaxNew      int     `yaml:"norm_max_new"`     // longest reference sample
	NormTemperature float64 `yaml:"norm_temperature"` // sampling temperature of the reference samples

	Seed uint64 `yaml:"seed"` // head initialisation, data order, sampling
}

// DefaultConfig returns the defaults of 'align reward train'.
func DefaultConfig() Config {
	return Config{
		Steps: 400, Batch: 16, MaxSeqs: 64,
		LR: 3e-4, MinLR: 3e-5, Warmup: 20, WeightDecay: 0.1, Clip: 1,
		Group: true, MaxGroupPairs: 36,
		LossConfig: LossConfig{UseMargin: true, RatingWeight: 1},
		EvalEvery:  50, Patience: 4, GapEvals: 3, TrainEvalPairs: 1000, LogEvery: 10,
		NormSamples: 64, NormMaxNew: 48, NormTemperature: 1,
		Seed: 1,
	}
}

// Validate reports the first setting that cannot work as a
// *yamlconf.KeyError naming its key.
func (c Config) Validate() error {
	for _, k := range []struct {
		bad  bool
		name string
		val  any
		msg  string
	}{
		{c.Steps < 1, "steps", c.Steps, "must be at least 1"},
		{c.Batch < 1, "batch", c.Batch, "must be at least 1"},
		{c.MaxSeqs < 2, "max_seqs", c.MaxSeqs, "must be at least 2"},
		// The bounds of the real-valued settings keep every term of the
		// loss finite (see MaxLossWeight): beyond them a run only
		// diverges, or ends in a NaN or an Inf.
		{!(c.LR > 0 && c.LR <= 1), "lr", c.LR, "must be in (0, 1]"},
		{!(c.MinLR >= 0 && c.MinLR <= c.LR), "min_lr", c.MinLR, "must be in [0, lr]"},
		{c.Warmup < 0, "warmup", c.Warmup, "must not be negative"},
		{!(c.WeightDecay >= 0 && c.WeightDecay <= 1), "weight_decay", c.WeightDecay, "must be in [0, 1]"},
		{!(c.Clip >= 0 && !math.IsInf(c.Clip, 1)), "clip", c.Clip, "must be a number, 0 or more"},
		{!(c.HeadLRMult >= 0 && c.HeadLRMult <= MaxLossWeight), "head_lr_mult", c.HeadLRMult, fmt.Sprintf("must be in [0, %g]", float64(MaxLossWeight))},
		{!(c.FlipRate >= 0 && c.FlipRate < 0.5), "flip_rate", c.FlipRate, "must be in [0, 0.5)"},
		{c.MaxLen < 0 || c.MaxLen == 1, "max_len", c.MaxLen, "must be 0 or at least 2"},
		{c.MaxGroupPairs < 0, "max_group_pairs", c.MaxGroupPairs, "must not be negative"},
		{!(c.MarginScale >= 0 && c.MarginScale <= data.MaxMargin), "margin_scale", c.MarginScale,
			fmt.Sprintf("must be in [0, %d]: the largest rating gap gets this margin, a reward difference (the log-odds of preferring chosen), bounded like a record's margin", data.MaxMargin)},
		{!(c.Center >= 0 && c.Center <= MaxLossWeight), "center", c.Center, fmt.Sprintf("must be in [0, %g]", float64(MaxLossWeight))},
		{!(c.RatingWeight >= 0 && c.RatingWeight <= MaxLossWeight), "rating_weight", c.RatingWeight, fmt.Sprintf("must be in [0, %g]", float64(MaxLossWeight))},
		{c.EvalEvery < 0, "eval_every", c.EvalEvery, "must not be negative"},
		{c.Patience < 0, "patience", c.Patience, "must not be negative"},
		{!(c.MinDelta >= 0 && c.MinDelta < 1), "min_delta", c.MinDelta, "must be in [0, 1): it is a change of accuracy"},
		{c.GapEvals < 0, "gap_evals", c.GapEvals, "must not be negative"},
		{c.TrainEvalPairs < 0, "train_eval_pairs", c.TrainEvalPairs, "must not be negative"},
		{c.LogEvery < 1, "log_every", c.LogEvery, "must be at least 1"},
		{c.NormSamples < 0 || c.NormSamples == 1, "norm_samples", c.NormSamples, "must be 0 or at least 2"},
		{c.NormSamples > 0 && c.NormMaxNew < 1, "norm_max_new", c.NormMaxNew, "must be at least 1"},
		{!(c.NormTemperature >= 0 && c.NormTemperature <= 10), "norm_temperature", c.NormTemperature, "must be in [0, 10]"},
	} {
		if k.bad {
			return yamlconf.Keyf(k.name, "%v: %s", k.val, k.msg)
		}
	}
	if _, err := headWeights(c.Weights); err != nil {
		return yamlconf.WrapKey("weights", err)
	}
	return nil
}

// MaxLossWeight bounds the weights of the loss's terms and the heads'
// learning-rate multiplier. The pair loss starts near log 2 ≈ 0.69, so a
// term weighted 100 already drowns it; far larger weights only overflow.
const MaxLossWeight = 100

// headWeights turns a name → weight map into per-head weights.
func headWeights(w map[string]float64) ([]float64, error) {
	out := make([]float64, NumHeads)
	if len(w) == 0 {
		out[HeadPreference] = 1
		return out, nil
	}
	for name, v := range w {
		k := slices.Index(HeadNames, name)
		if k < 0 {
			return nil, fmt.Errorf("unknown head %q (the heads are %q)", name, HeadNames)
		}
		if !(math.Abs(v) <= MaxLossWeight) {
			return nil, fmt.Errorf("head %q: weight %v is outside [-%g, %g]", name, v, float64(MaxLossWeight), float64(MaxLossWeight))
		}
		out[k] = v
	}
	return out, nil
}

// Files written to Trainer.Out besides the model.
const (
	MetricsFile = "metrics.jsonl"
	EvalFile    = "eval.json"
)

// Trainer trains a reward model on preferences. Set the fields, then call
// Run once.
type Trainer struct {
	Config  Config
	Model   *Model // from New or LoadBase; trained in place
	Train   []data.Preference
	HeldOut []data.Preference // empty turns evaluation and early stopping off
	// Out, if set, receives the model, metrics.jsonl and eval.json.
	Out string
	// SFT is the policy whose samples set the normalisation; nil means
	// Model's network as Run finds it, which is the SFT policy when the
	// model starts from it (New, LoadBase).
	SFT *model.Model

	Progress func(Status) // called after every step
	Warn     func(string) // overfitting and other warnings
}

// Status is the progress after one step.
type Status struct {
	Step, Steps int
	Loss        float64 // of this step
	HeldOutAcc  float64 // latest held-out accuracy; NaN before the first
	BestAcc     float64 // NaN before the first evaluation
	LR          float64
	Elapsed     time.Duration
	ETA         time.Duration
	Evaluated   bool
}

// Metrics is one line of metrics.jsonl.
type Metrics struct {
	Step       int      `json:"step"`
	Loss       float64  `json:"train_loss"`      // mean loss since the previous line
	BatchAcc   float64  `json:"train_batch_acc"` // mean accuracy of the training batches since the previous line
	TrainAcc   *float64 `json:"train_acc,omitempty"`
	HeldOutAcc *float64 `json:"heldout_acc,omitempty"`
	Gap        *float64 `json:"gap,omitempty"` // train minus held-out accuracy
	Best       *float64 `json:"best_heldout_acc,omitempty"`
	LR         float64  `json:"lr"`
	GradNorm   float64  `json:"grad_norm"`
	Elapsed    float64  `json:"elapsed"`
	Warning    string   `json:"warning,omitempty"`
}

// Result summarises a training run; it is also written to eval.json.
type Result struct {
	Steps        int        `json:"steps"`
	BestStep     int        `json:"best_step"` // whose parameters the model holds
	EarlyStopped bool       `json:"early_stopped"`
	TrainEval    *Eval      `json:"train"`
	HeldOutEval  *Eval      `json:"heldout,omitempty"`
	Gap          *float64   `json:"gap,omitempty"` // train minus held-out accuracy of the final model
	Norm         *NormStats `json:"normalization,omitempty"`
	Elapsed      float64    `json:"elapsed"`
	Out          string     `json:"-"` // the output directory Train wrote
}

// ErrNoData is returned when there is nothing to train on.
var ErrNoData = errors.New("reward train: no training preferences")

// Run trains, keeps the parameters of the best held-out accuracy, sets the
// normalisation from the SFT policy's samples, evaluates, and writes Out.
func (t *Trainer) Run(ctx context.Context) (_ Result, err error) {
	c := t.Config
	if err := c.Validate(); err != nil {
		return Result{}, err
	}
	if len(t.Train) == 0 {
		return Result{}, ErrNoData
	}
	// Records read from a file were validated by the reader; these may
	// have been built in code, and a margin of 1e308 must not reach the loss.
	for _, set := range []struct {
		name  string
		prefs []data.Preference
	}{{"training", t.Train}, {"held-out", t.HeldOut}} {
		for i, p := range set.prefs {
			if err := p.Validate(); err != nil {
				return Result{}, fmt.Errorf("reward train: %s preference %d: %w", set.name, i+1, err)
			}
		}
	}
	m := t.Model
	w, _ := headWeights(c.Weights)
	m.Info.Weights = w
	rng := rand.New(rand.NewPCG(c.Seed, 0x726577617264)) // "reward"
	start := time.Now()

	// The reference samples come from the SFT policy: the initial weights
	// unless the model goes on from an earlier reward model.
	var refs [][]int32
	if c.NormSamples > 0 {
		prompts := distinctPrompts(t.Train)
		sft := m.Net
		if t.SFT != nil {
			sft = t.SFT
		}
		var err error
		refs, err = m.ReferenceSamples(sft, prompts, c.NormSamples, chat.SampleOptions{SampleOptions: model.SampleOptions{MaxNewTokens: c.NormMaxNew, Temperature: float32(c.NormTemperature)}}, rng)
		if err != nil {
			return Result{}, fmt.Errorf("reward train: %w", err)
		}
	}

	for k := range m.Info.Trained {
		m.Info.Trained[k] = false
	}
	m.Info.Trained[HeadPreference] = true
	for _, p := range t.Train {
		if p.Ratings != nil && (p.Ratings.Chosen != nil || p.Ratings.Rejected != nil) && c.RatingWeight > 0 {
			m.Info.Trained[HeadCoherence], m.Info.Trained[HeadRelevance], m.Info.Trained[HeadSafety] = true, true, true
		}
	}
	groups := MakeGroups(t.Train, c.Group, c.MaxGroupPairs, c.LossConfig)
	heldSet, err := m.newEvalSet(t.HeldOut)
	if err != nil {
		return Result{}, fmt.Errorf("reward train: held-out data: %w", err)
	}
	trainSub := t.Train
	if c.TrainEvalPairs > 0 && len(trainSub) > c.TrainEvalPairs {
		perm := rand.New(rand.NewPCG(c.Seed, 1)).Perm(len(trainSub))[:c.TrainEvalPairs]
		slices.Sort(perm)
		trainSub = make([]data.Preference, len(perm))
		for i, j := range perm {
			trainSub[i] = t.Train[j]
		}
	}
	trainSet, err := m.newEvalSet(trainSub)
	if err != nil {
		return Result{}, fmt.Errorf("reward train: %w", err)
	}
	encoded, err := m.encodeGroups(groups)
	if err != nil {
		return Result{}, fmt.Errorf("reward train: %w", err)
	}

	opt, err := model.NewOptimizer(m.Net, model.AdamWConfig{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: float32(c.WeightDecay), ClipNorm: c.Clip})
	if err != nil {
		return Result{}, fmt.Errorf("reward train: %w", err)
	}
	var metrics *trainkit.Log // nil without Out
	if t.Out != "" {
		// A reward run has no checkpoint: one that fails or is interrupted
		// leaves Out as it found it.
		created := outputs(t.Out).Track()
		defer func() {
			if err != nil {
				created.Undo() // after metrics.Close, deferred below
			}
		}()
		if err := os.MkdirAll(t.Out, 0o755); err != nil {
			return Result{}, fmt.Errorf("reward train: %w", err)
		}
		if metrics, err = trainkit.OpenLog(filepath.Join(t.Out, MetricsFile), "step", -1); err != nil {
			return Result{}, fmt.Errorf("reward train: %w", err)
		}
		defer metrics.Close()
	}
	logLine := func(mt *Metrics) error {
		if metrics == nil {
			return nil
		}
		if err := checkFinite(fmt.Sprintf("%s, step %d", MetricsFile, mt.Step), mt); err != nil {
			return err
		}
		return metrics.Write(mt)
	}

	sched := trainkit.Schedule{LR: c.LR, MinLR: c.MinLR, Warmup: c.Warmup, Steps: c.Steps}
	order := rng.Perm(len(groups))
	next := 0
	hasHeld := len(heldSet.pairs) > 0
	stopper := trainkit.EarlyStopper{HigherIsBetter: true, Patience: c.Patience, MinDelta: c.MinDelta, GapEvals: c.GapEvals}
	var stop trainkit.StopState
	lastHeld := math.NaN()
	var bestParams []float32
	var res Result
	var logLoss, logAcc float64
	var logN int

	evaluate := func(step int, mt *Metrics) error {
		he, err := m.evaluate(heldSet, c.MaxSeqs)
		if err != nil {
			return err
		}
		te, err := m.evaluate(trainSet, c.MaxSeqs)
		if err != nil {
			return err
		}
		ha, ta := he.Accuracy, te.Accuracy
		v := stopper.Observe(&stop, step, ta, ha)
		mt.HeldOutAcc, mt.TrainAcc, mt.Gap = &ha, &ta, &v.Gap
		lastHeld = ha
		if v.Improved {
			bestParams = append(bestParams[:0], m.Net.Params()...)
		}
		if v.Overfitting {
			mt.Warning = fmt.Sprintf("overfitting: the train–held-out accuracy gap grew %d evaluations running, to %.3f", stop.GapStreak, v.Gap)
			if t.Warn != nil {
				t.Warn(mt.Warning)
			}
		}
		mt.Best = stop.Best
		return nil
	}
	if hasHeld {
		mt := Metrics{Step: 0, LR: sched.At(0)}
		if err := evaluate(0, &mt); err != nil {
			return res, fmt.Errorf("reward train: %w", err)
		}
		if err := logLine(&mt); err != nil {
			return res, fmt.Errorf("reward train: %w", err)
		}
	}

	var bb batchBuf
	var grad []float64
	var headBefore []float32
	step := 0
	for step < c.Steps {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("reward train: %w at step %d: %w", ErrInterrupted, step, err)
		}
		// Deal the next Batch groups, reshuffling at each epoch.
		batch := make([]int, 0, c.Batch)
		for len(batch) < c.Batch {
			if next == len(order) {
				rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
				next = 0
			}
			batch = append(batch, order[next])
			next++
		}
		m.Net.ZeroGrad()
		loss, acc, err := m.accumulate(&bb, &grad, groups, encoded, batch, c)
		if err != nil {
			return res, fmt.Errorf("reward train: step %d: %w", step+1, err)
		}
		// Before the update, so a non-finite loss never reaches the weights.
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			if step == 0 {
				// No update has happened: the starting weights are broken.
				return res, fmt.Errorf("reward train: the loss of the first step is %v, before any update: the base checkpoint's weights hold a NaN or an Inf; train or export it again; nothing was saved", loss)
			}
			return res, fmt.Errorf("reward train: step %d: the loss is %v: %s; nothing was saved", step+1, loss, divergedHint)
		}
		lr := sched.At(step)
		scaleHead := c.HeadLRMult > 0 && c.HeadLRMult != 1
		if scaleHead {
			headBefore = append(headBefore[:0], m.headParams()...)
		}
		norm, err := opt.Step(float32(lr))
		if err != nil { // only for a gradient norm that is not finite
			return res, fmt.Errorf("reward train: step %d: the gradient norm is %v: %s; nothing was saved", step+1, norm, divergedHint)
		}
		if scaleHead {
			// AdamW's update (moment step and decay) is linear in the
			// learning rate: scaling the heads' update is lr·HeadLRMult.
			h, mult := m.headParams(), float32(c.HeadLRMult)
			for i, old := range headBefore {
				h[i] = old + mult*(h[i]-old)
			}
		}
		step++
		logLoss += loss
		logAcc += acc
		logN++
		evalNow := hasHeld && (step == c.Steps || (c.EvalEvery > 0 && step%c.EvalEvery == 0))
		var mt *Metrics
		if evalNow || step%c.LogEvery == 0 || step == c.Steps {
			mt = &Metrics{Step: step, Loss: logLoss / float64(logN), BatchAcc: logAcc / float64(logN), LR: lr, GradNorm: norm, Elapsed: time.Since(start).Seconds()}
			logLoss, logAcc, logN = 0, 0, 0
			if evalNow {
				if err := evaluate(step, mt); err != nil {
					return res, fmt.Errorf("reward train: %w", err)
				}
			}
			if err := logLine(mt); err != nil {
				return res, fmt.Errorf("reward train: %w", err)
			}
		}
		if t.Progress != nil {
			el := time.Since(start)
			t.Progress(Status{Step: step, Steps: c.Steps, Loss: loss, HeldOutAcc: lastHeld, BestAcc: bestOrNaN(stop.Best), LR: lr,
				Elapsed: el, ETA: time.Duration(float64(el) / float64(step) * float64(c.Steps-step)), Evaluated: evalNow})
		}
		if stop.Stopped {
			res.EarlyStopped = true
			break
		}
	}
	res.Steps = step
	res.BestStep = step
	if bestParams != nil {
		copy(m.Net.Params(), bestParams)
		res.BestStep = stop.BestStep
	}

	if len(refs) > 0 {
		st, err := m.Normalize(refs, c.MaxSeqs)
		if err != nil {
			return res, fmt.Errorf("reward train: %w", err)
		}
		res.Norm = &st
	}
	if res.TrainEval, err = m.evaluate(trainSet, c.MaxSeqs); err != nil {
		return res, fmt.Errorf("reward train: %w", err)
	}
	if hasHeld {
		if res.HeldOutEval, err = m.evaluate(heldSet, c.MaxSeqs); err != nil {
			return res, fmt.Errorf("reward train: %w", err)
		}
		gap := res.TrainEval.Accuracy - res.HeldOutEval.Accuracy
		res.Gap = &gap
	}
	res.Elapsed = time.Since(start).Seconds()
	if err := checkFinite("reward train: "+EvalFile, res); err != nil {
		return res, err
	}
	if err := checkFinite("reward train: "+InfoFile, m.Info); err != nil {
		return res, err
	}
	if t.Out != "" {
		if err := m.Save(t.Out); err != nil {
			return res, fmt.Errorf("reward train: %w", err)
		}
		if err := atomicfile.WriteJSON(filepath.Join(t.Out, EvalFile), res); err != nil {
			return res, fmt.Errorf("reward train: %w", err)
		}
	}
	return res, nil
}

func bestOrNaN(best *float64) float64 {
	if best == nil {
		return math.NaN()
	}
	return *best
}

// distinctPrompts lists the prompts of prefs in first-seen order.
func distinctPrompts(prefs []data.Preference) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range prefs {
		if !seen[p.Prompt] {
			seen[p.Prompt] = true
			out = append(out, p.Prompt)
		}
	}
	return out
}

// headParams is the scalar heads' part of the parameter buffer (the heads'
// weights and biases, which come last).
func (m *Model) headParams() []float32 {
	p := m.Net.Params()
	n := NumHeads*m.Net.Config.Channels + NumHeads
	return p[len(p)-n:]
}

// encodeGroups encodes every response of every group.
func (m *Model) encodeGroups(groups []Group) ([][][]int32, error) {
	out := make([][][]int32, len(groups))
	for i, g := range groups {
		out[i] = make([][]int32, len(g.Responses))
		for j, r := range g.Responses {
			s, err := m.Encode(g.Prompt, r)
			if err != nil {
				return nil, err
			}
			out[i][j] = s
		}
	}
	return out, nil
}

// accumulate runs the groups of one batch, in forward passes of at most
// MaxSeqs sequences (a larger group runs alone), and accumulates the
// gradient of the mean group loss. It returns that loss and the mean share
// of pairs ranked right.
func (m *Model) accumulate(bb *batchBuf, grad *[]float64, groups []Group, encoded [][][]int32, batch []int, c Config) (loss, acc float64, err error) {
	const K = NumHeads
	scale := 1 / float64(len(batch))
	for lo := 0; lo < len(batch); {
		hi, n := lo, 0
		for hi < len(batch) && (hi == lo || n+len(encoded[batch[hi]]) <= c.MaxSeqs) {
			n += len(encoded[batch[hi]])
			hi++
		}
		var seqs [][]int32
		for _, gi := range batch[lo:hi] {
			seqs = append(seqs, encoded[gi]...)
		}
		// Only the scalar heads are trained: skip the (B·T)×V LM head.
		m.Net.SetComputeLogits(false)
		raw, err := bb.forward(m.Net, seqs)
		if err != nil {
			return 0, 0, err
		}
		ds := m.Net.DScalars()
		row := 0
		for _, gi := range batch[lo:hi] {
			g := &groups[gi]
			nr := len(g.Responses)
			out := make([]float64, nr*K)
			for i := range out {
				out[i] = float64(raw[row*K+i])
			}
			*grad = slices.Grow((*grad)[:0], nr*K)[:nr*K]
			l, a := GroupLoss(out, *grad, g, c.LossConfig)
			loss += scale * l
			acc += scale * a
			for i := range nr {
				e := bb.ends[row+i]
				for k := range K {
					ds[e*K+k] = float32(scale * (*grad)[i*K+k])
				}
			}
			row += nr
		}
		if err := m.Net.Backward(); err != nil {
			return 0, 0, err
		}
		lo = hi
	}
	return loss, acc, nil
}
