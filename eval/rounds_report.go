package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/align-project/align/internal/progress"
	"github.com/align-project/align/judge"
	"github.com/align-project/align/reward"
	"github.com/align-project/align/rundir"
)

// The report's part on iterated RLAIF (pipeline's rounds) and on
// experiments/rlaif_rounds: the numbers of each round, and the comparison
// of one round, several rounds and the judge as the reward.

// RoundsInput is what ReportInput carries for iterated RLAIF.
type RoundsInput struct {
	// Rounds are the numbers of each round (ReadRounds); plotted when
	// there are two or more.
	Rounds []RoundMetrics
	// Comparison is the one experiments/rlaif_rounds wrote for the run
	// (ReadComparison); nil: none.
	Comparison *Comparison
}

// RoundsSummary is the part of summary.json on iterated RLAIF.
type RoundsSummary struct {
	Rounds     []RoundMetrics `json:"rounds"`
	Comparison *Comparison    `json:"comparison"`
}

// RoundMetrics are the numbers of one round of iterated RLAIF. Numbers of
// a stage that did not run are null.
type RoundMetrics struct {
	Round int `json:"round"`
	// Pairs are the samples of the round the judge labelled; Preferences
	// the preferences it drew from them; AllPreferences those of every
	// round so far, on which the round's reward model trained (its
	// held-out part included).
	Pairs          *int `json:"pairs"`
	Preferences    *int `json:"preferences"`
	AllPreferences *int `json:"all_preferences"`
	// RewardHeldOutAcc is the held-out pairwise accuracy of the round's
	// reward model (on the held-out part of AllPreferences).
	RewardHeldOutAcc *float64 `json:"reward_heldout_acc"`
	// The PPO numbers are means over the round's iterations of the batch
	// means in its metrics: the reward (each round's reward model has its
	// own scale), the KL to the SFT model (the reference of every round),
	// and the rollouts' refusal of harmful prompts and of the others.
	PPOIterations  int      `json:"ppo_iterations"`
	PPOReward      *float64 `json:"ppo_reward"`
	PPOKL          *float64 `json:"ppo_kl"`
	PPORefusal     *float64 `json:"ppo_refusal"`
	PPOOverRefusal *float64 `json:"ppo_over_refusal"`
	// PPOLastKL is the KL of the round's last iteration: where the next
	// round starts from.
	PPOLastKL *float64 `json:"ppo_last_kl"`

	ppoLines []map[string]float64 // the round's metrics lines, for the plots
}

// ReadRounds reads the numbers of rounds 1 to n of the run directory
// runDir (laid out as 'align run' does, package rundir). Files that are
// missing leave their numbers null; a file that cannot be read is an error.
func ReadRounds(runDir string, n int) ([]RoundMetrics, error) {
	var out []RoundMetrics
	for k := 1; k <= n; k++ {
		m := RoundMetrics{Round: k}
		stage := func(s string) string { return rundir.Stage(runDir, rundir.Round(s, k)) }
		dataFile := func(f string) string { return rundir.Data(runDir, rundir.RoundFile(f, k)) }

		var stats judge.LabelResult
		if ok, err := readJSONOptional(filepath.Join(stage(rundir.Label), "stats.json"), &stats); err != nil {
			return nil, err
		} else if ok {
			m.Pairs = &stats.Report.Pairs
		}
		var err error
		if m.Preferences, err = countLines(dataFile(rundir.AIPrefsFile)); err != nil {
			return nil, err
		}
		if m.AllPreferences, err = countLines(dataFile(rundir.PreferencesFile)); err != nil {
			return nil, err
		}
		var rm reward.Result
		if ok, err := readJSONOptional(filepath.Join(stage(rundir.Reward), reward.EvalFile), &rm); err != nil {
			return nil, err
		} else if ok && rm.HeldOutEval != nil {
			m.RewardHeldOutAcc = &rm.HeldOutEval.Accuracy
		}
		lines, err := readOptional(filepath.Join(stage(rundir.PPO), rundir.MetricsFile))
		if err != nil {
			return nil, fmt.Errorf("round %d: ppo metrics: %w", k, err)
		}
		m.ppoLines, m.PPOIterations = lines, len(lines)
		m.PPOReward, m.PPOKL = meanOf(lines, "reward"), meanOf(lines, "kl")
		m.PPORefusal, m.PPOOverRefusal = meanOf(lines, "refusal"), meanOf(lines, "over_refusal")
		m.PPOLastKL = last(lines, "kl")
		out = append(out, m)
	}
	return out, nil
}

// meanOf is the mean of key over the lines that have it (nil: none).
func meanOf(lines []map[string]float64, key string) *float64 {
	var sum float64
	n := 0
	for _, l := range lines {
		if v, ok := l[key]; ok && isFinite(v) {
			sum += v
			n++
		}
	}
	if n == 0 {
		return nil
	}
	m := sum / float64(n)
	return &m
}

// readJSONOptional decodes the JSON file at path into v; a missing file
// reports false without error.
func readJSONOptional(path string, v any) (bool, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("%s: %w", path, err)
	}
	return true, nil
}

// countLines counts the records of a JSONL file (nil: no file).
func countLines(path string) (*int, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	n := 0
	for line := range bytes.Lines(b) {
		if len(bytes.TrimSpace(line)) > 0 {
			n++
		}
	}
	return &n, nil
}

// Comparison is what experiments/rlaif_rounds measured: the same SFT model
// aligned by one round of RLAIF, by several, and by PPO with the judge
// rating every rollout, each evaluated as 'align run' evaluates.
type Comparison struct {
	Profile  string              `json:"profile"` // the run profile: quick or default
	Variants []ComparisonVariant `json:"variants"`
	// SharedSeconds is the time of the stages the variants share
	// (pretraining and SFT), run once.
	SharedSeconds float64 `json:"shared_seconds"`
}

// ComparisonVariant is one way to the aligned policy and its evaluation.
type ComparisonVariant struct {
	Name   string `json:"name"`             // e.g. "1 round", "3 rounds", "judge as reward"
	Method string `json:"method,omitempty"` // of a comparison of methods: ppo, dpo or grpo
	Split  string `json:"split"`            // the evaluation split its numbers are of, e.g. "unseen prompts"
	Run    string `json:"run"`              // its run directory
	Rounds int    `json:"rounds"`           // rounds of the run config
	Reward string `json:"reward"`           // ppo.reward: model or judge
	// Preferences are the labels its last reward model trained on (nil for
	// the judge as the reward, whose policy learns from none).
	Preferences *int `json:"preferences"`
	// By the held-out judge on the evaluation prompts: the win rate over
	// SFT (ties half), the share of decided prompts won, and the counts.
	WinRate *float64 `json:"win_rate"`
	CILow   *float64 `json:"ci_low,omitempty"` // the win rate's bootstrap interval
	CIHigh  *float64 `json:"ci_high,omitempty"`
	Decided *float64 `json:"decided"`
	Wins    int      `json:"wins"`
	Ties    int      `json:"ties"`
	Losses  int      `json:"losses"`
	// On the evaluation prompts: the refusal of harmful ones, the share of
	// those refusals that are coherent, the refusal of benign ones, the
	// accuracy on checkable ones and the KL to SFT per response.
	Refusal     *float64 `json:"refusal"`
	Coherent    *float64 `json:"coherent_refusals"`
	OverRefusal *float64 `json:"over_refusal"`
	Accuracy    *float64 `json:"accuracy"`
	KL          *float64 `json:"kl"`
	// Seconds are those of its own stages (after SFT, evaluation
	// included); TrainSeconds those of its policy training (PPO, DPO or
	// GRPO) alone.
	Seconds      float64 `json:"seconds"`
	TrainSeconds float64 `json:"train_seconds"`
	// PeakMemoryMB is the peak resident memory of its training stage (nil:
	// not measured).
	PeakMemoryMB *float64 `json:"peak_memory_mb,omitempty"`
}

// NewComparisonVariants makes a variant's rows, one per split of its
// evaluation: each is common (its name, run, rounds, times...) with the
// split's numbers, the policy column's and the held-out judge's win rate.
func NewComparisonVariants(common ComparisonVariant, res *Result) []ComparisonVariant {
	var out []ComparisonVariant
	for i := range res.Splits {
		s := &res.Splits[i]
		v := common
		v.Split = s.Name
		if m := s.Column(res.Policy); m != nil {
			v.Refusal, v.Coherent, v.OverRefusal, v.Accuracy, v.KL = m.Refusal, m.Coherent, m.Over, m.Accuracy, m.KL
		}
		if w := s.HeldOutWinRate; w != nil && w.Prompts > 0 {
			rate, lo, hi := w.Rate, w.CILow, w.CIHigh
			v.WinRate, v.Decided, v.Wins, v.Ties, v.Losses = &rate, w.Decided, w.Wins, w.Ties, w.Losses
			v.CILow, v.CIHigh = &lo, &hi
		}
		out = append(out, v)
	}
	return out
}

// ReadComparison reads the comparison of a run directory (nil without
// error when there is none).
func ReadComparison(runDir string) (*Comparison, error) {
	var c Comparison
	ok, err := readJSONOptional(filepath.Join(runDir, rundir.ComparisonFile), &c)
	if !ok || err != nil {
		return nil, err
	}
	return &c, nil
}

// Markdown is the comparison as a markdown table.
func (c *Comparison) Markdown() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "| variant | split | preferred where decided | win rate (ties ½) | W/T/L | refusal | coherent | over-refusal | accuracy | KL | time | PPO time |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, v := range c.Variants {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d/%d/%d | %s | %s | %s | %s | %s | %s | %s |\n", v.Name, v.Split,
			pctText(v.Decided), pctText(v.WinRate), v.Wins, v.Ties, v.Losses, pctText(v.Refusal), pctText(v.Coherent),
			pctText(v.OverRefusal), pctText(v.Accuracy), numText(v.KL), secsText(v.Seconds), secsText(v.TrainSeconds))
	}
	fmt.Fprintf(&b, "\nProfile %s; pretraining and SFT, shared by every variant, took %s.\n", c.Profile, secsText(c.SharedSeconds))
	return b.String()
}

func pctText(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100**p)
}

func secsText(s float64) string { return progress.Duration(time.Duration(s * float64(time.Second))) }

func numText(p *float64) string {
	if p == nil {
		return "–"
	}
	return strconv.FormatFloat(*p, 'f', 3, 64)
}

// ComparisonPlot is the file name of the comparison's plot.
const ComparisonPlot = "comparison.png"

// WriteComparisonPlot draws the comparison's rates side by side, one group
// of bars per measure and one bar per variant, into a PNG at path.
func WriteComparisonPlot(path, title string, c *Comparison) error {
	measures := []struct {
		name string
		get  func(ComparisonVariant) *float64
	}{
		{"preferred (decided)", func(v ComparisonVariant) *float64 { return v.Decided }},
		{"win rate", func(v ComparisonVariant) *float64 { return v.WinRate }},
		{"refusal", func(v ComparisonVariant) *float64 { return v.Refusal }},
		{"coherent refusals", func(v ComparisonVariant) *float64 { return v.Coherent }},
		{"over-refusal", func(v ComparisonVariant) *float64 { return v.OverRefusal }},
		{"accuracy", func(v ComparisonVariant) *float64 { return v.Accuracy }},
	}
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "share of prompts"
	p.Y.Min, p.Y.Max = 0, 1+0.1*float64(len(c.Variants)) // room for the legend above the bars
	p.Y.Tick.Marker = plot.ConstantTicks{{Value: 0, Label: "0"}, {Value: 0.25, Label: "0.25"}, {Value: 0.5, Label: "0.5"}, {Value: 0.75, Label: "0.75"}, {Value: 1, Label: "1"}}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	names := make([]string, len(measures))
	for i, m := range measures {
		names[i] = m.name
	}
	p.NominalX(names...)
	n := len(c.Variants)
	width := vg.Points(min(60/float64(max(n, 1)), 18))
	for j, v := range c.Variants {
		vals := make(plotter.Values, len(measures))
		for i, m := range measures {
			if x := m.get(v); x != nil {
				vals[i] = *x
			}
		}
		bars, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return fmt.Errorf("comparison plot: %w", err)
		}
		bars.Color = palette[j%len(palette)]
		bars.LineStyle.Width = 0
		bars.Offset = width * vg.Length(float64(j)-float64(n-1)/2)
		p.Add(bars)
		p.Legend.Add(v.Name+" · "+v.Split, bars)
	}
	if err := p.Save(8*vg.Inch, 3.6*vg.Inch, path); err != nil {
		return fmt.Errorf("comparison plot: %w", err)
	}
	return nil
}

// RoundsComparisonTitle is the title of the plot of experiments/rlaif_rounds' comparison.
const RoundsComparisonTitle = "One round, several rounds, the judge as the reward"

// roundsPlots are the report's plots of a run of several rounds.
var roundsPlots = []string{"rounds.png", "rounds_ppo_reward.png", "rounds_ppo_kl.png"}

// addPlot is WriteReport's way to draw a plot into the report.
type addPlot func(file, title, caption, xLabel, yLabel string, series ...Series) error

// writeRounds draws the plots of the rounds and of the comparison and
// fills their part of summary.json.
func writeRounds(dir string, in RoundsInput, sum *RoundsSummary, plots *[]string, add addPlot) error {
	sum.Rounds, sum.Comparison = in.Rounds, in.Comparison
	if sum.Rounds == nil {
		sum.Rounds = []RoundMetrics{}
	}
	if len(in.Rounds) >= 2 {
		var acc, refusal, over Series
		var rewards, kls []Series
		offset := 0.0 // iterations of the rounds before
		for _, m := range in.Rounds {
			x := float64(m.Round)
			for _, p := range []struct {
				s *Series
				v *float64
			}{{&acc, m.RewardHeldOutAcc}, {&refusal, m.PPORefusal}, {&over, m.PPOOverRefusal}} {
				if p.v != nil {
					p.s.X, p.s.Y = append(p.s.X, x), append(p.s.Y, *p.v)
				}
			}
			name := "round " + strconv.Itoa(m.Round)
			r, kl := column(m.ppoLines, "iteration", "reward"), column(m.ppoLines, "iteration", "kl")
			for i := range r.X {
				r.X[i] += offset
			}
			for i := range kl.X {
				kl.X[i] += offset
			}
			r.Name, kl.Name = name, name
			rewards, kls = append(rewards, r), append(kls, kl)
			offset += float64(m.PPOIterations)
		}
		acc.Name, refusal.Name, over.Name = "reward model held-out accuracy", "PPO refusal (harmful)", "PPO over-refusal (benign)"
		if err := add(roundsPlots[0], "Rounds of RLAIF",
			"Per round: the held-out accuracy of its reward model (trained on every round's labels so far), and the share of its PPO rollouts that refuse, for harmful prompts and for the others (mean over its iterations).",
			"round", "share", acc, refusal, over); err != nil {
			return err
		}
		if err := add(roundsPlots[1], "PPO reward over the rounds",
			"Mean reward of each rollout batch, iterations counted across the rounds; each round is scored by its own reward model, so the levels of two rounds are not on one scale.",
			"iteration (all rounds)", "reward", rewards...); err != nil {
			return err
		}
		if err := add(roundsPlots[2], "PPO KL to SFT over the rounds",
			"Per-response KL of each batch to the SFT model, the KL reference of every round: a later round starts where the previous one stopped.",
			"iteration (all rounds)", "nats", kls...); err != nil {
			return err
		}
	} else {
		for _, f := range roundsPlots {
			_ = os.Remove(filepath.Join(dir, f)) // of an earlier report of several rounds
		}
	}
	cmpPlot := filepath.Join(dir, ComparisonPlot)
	if in.Comparison == nil || len(in.Comparison.Variants) == 0 {
		_ = os.Remove(cmpPlot)
		return nil
	}
	if err := WriteComparisonPlot(cmpPlot, RoundsComparisonTitle, in.Comparison); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	*plots = append(*plots, ComparisonPlot)
	return nil
}

// roundsHTML is the report's section on the rounds and the comparison,
// executed with the report's page.
const roundsHTML = `{{with .Summary.Rounds}}{{if gt (len .) 1}}
<h2 id="rounds">Rounds of online RLAIF</h2>
<p class="muted">Each round samples the policy of the round before on prompts no earlier round saw, labels the samples with the judge, trains the reward model on every label so far and continues PPO, the KL reference staying the SFT model. PPO numbers are means over the round's iterations; the plots are with the training curves.</p>
<table>
<tr><th>round</th><th>pairs labelled</th><th>new preferences</th><th>reward model trained on</th><th>its held-out accuracy</th><th>PPO iterations</th><th>PPO reward</th><th>KL to SFT (last)</th><th>refusal (harmful)</th><th>over-refusal</th></tr>
{{range .}}<tr><td>{{.Round}}</td><td class="num">{{with .Pairs}}{{.}}{{else}}–{{end}}</td><td class="num">{{with .Preferences}}{{.}}{{else}}–{{end}}</td><td class="num">{{with .AllPreferences}}{{.}}{{else}}–{{end}}</td><td class="num">{{pct .RewardHeldOutAcc}}</td><td class="num">{{.PPOIterations}}</td><td class="num">{{num .PPOReward}}</td><td class="num">{{num .PPOLastKL}}</td><td class="num">{{pct .PPORefusal}}</td><td class="num">{{pct .PPOOverRefusal}}</td></tr>
{{end}}</table>{{end}}{{end}}
{{with .Summary.Comparison}}
<h2 id="comparison">One round, several rounds, the judge as the reward</h2>
<p class="muted">experiments/rlaif_rounds: the same SFT model aligned three ways, each evaluated as this run (held-out judge; ties count half in the win rate). Profile {{.Profile}}; pretraining and SFT, shared, took {{secs .SharedSeconds}}.</p>
<table>
<tr><th>variant</th><th>split</th><th>preferred where decided</th><th>win rate</th><th>wins/ties/losses</th><th>refusal</th><th>coherent</th><th>over-refusal</th><th>accuracy</th><th>KL</th><th>time</th><th>PPO time</th></tr>
{{range .Variants}}<tr><td>{{.Name}}</td><td>{{.Split}}</td><td class="num">{{pct .Decided}}</td><td class="num">{{pct .WinRate}}</td><td class="num">{{.Wins}}/{{.Ties}}/{{.Losses}}</td><td class="num">{{pct .Refusal}}</td><td class="num">{{pct .Coherent}}</td><td class="num">{{pct .OverRefusal}}</td><td class="num">{{pct .Accuracy}}</td><td class="num">{{num .KL}}</td><td class="num">{{secs .Seconds}}</td><td class="num">{{secs .TrainSeconds}}</td></tr>
{{end}}</table>
<figure><img src="` + ComparisonPlot + `" alt="comparison"><figcaption>The variants' rates side by side.</figcaption></figure>
{{end}}`

// The section is a template of its own beside the report's, which calls it.
var _ = template.Must(reportTmpl.New("rounds").Parse(roundsHTML))
