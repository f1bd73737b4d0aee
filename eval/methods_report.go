package eval

import (
	"fmt"
	"html/template"
	"os"
	"path/filepath"
)

// The report's part on a run that compares methods (align run --compare):
// each method trained from the same SFT model and preferences, evaluated
// against SFT by the same held-out judge, side by side with its cost and
// its training curves.

// MethodRun is one method of a comparison and what it cost.
type MethodRun struct {
	Method string  // ppo, dpo or grpo
	Eval   *Result // its evaluation against SFT
	// Metrics is its training stage's metrics file: ppo.Stats lines for
	// PPO and GRPO, dpo's for DPO. A missing file is a stage that did not
	// run.
	Metrics string
	// TrainSeconds and EvalSeconds are the wall times of its training and
	// evaluation stages; PeakMemoryMB the peak resident memory of its
	// training stage (0: not measured).
	TrainSeconds, EvalSeconds float64
	PeakMemoryMB              float64
}

// methodsPlots are the report's plots of a comparison of methods.
var methodsPlots = []string{"methods.png", "methods_kl.png", "methods_reward.png", "methods_dpo.png"}

// writeMethods fills summary.json's comparison of methods and draws its
// plots, and DPO's training curves whenever DPO ran; it removes the plots
// of an earlier report that this one has no data for.
func writeMethods(dir string, runs []MethodRun, sum *Summary, add addPlot) error {
	sum.Methods = []ComparisonVariant{}
	for _, f := range methodsPlots {
		_ = os.Remove(filepath.Join(dir, f))
	}
	var kls, rewards, dpoCurves []Series
	for _, m := range runs {
		lines, err := readOptional(m.Metrics)
		if err != nil {
			return fmt.Errorf("report: %s metrics: %w", m.Method, err)
		}
		// Training progress from 0 to 1, so that methods that count steps
		// and iterations differently share an axis.
		x := "iteration"
		if m.Method == "dpo" {
			x = "step"
		}
		kl := progressColumn(lines, x, "kl")
		kl.Name = m.Method
		kls = append(kls, kl)
		if m.Method == "dpo" {
			train, held := progressColumn(lines, x, "train_accuracy"), progressColumn(lines, x, "heldout_accuracy")
			train.Name, held.Name = "training batches", "held-out preferences"
			dpoCurves = append(dpoCurves, train, held)
			continue
		}
		r := progressColumn(lines, x, "reward")
		r.Name = m.Method
		rewards = append(rewards, r)
	}
	if len(dpoCurves) > 0 {
		if err := add(methodsPlots[3], "DPO preference accuracy",
			"Share of preference pairs whose DPO implicit reward β·log(π/π_ref) ranks the chosen response first (ties half): each training batch, and the held-out pairs at each evaluation; a widening gap is overfitting.",
			"share of training", "accuracy", dpoCurves...); err != nil {
			return err
		}
	}
	if len(runs) < 2 {
		return nil
	}
	cmp := &Comparison{Variants: MethodRows(runs)}
	sum.Methods = cmp.Variants
	if err := WriteComparisonPlot(filepath.Join(dir, methodsPlots[0]), "Methods side by side", cmp); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	sum.Plots = append(sum.Plots, methodsPlots[0])
	if err := add(methodsPlots[1], "KL to the SFT model during training",
		"Per-response KL of each method's policy to the SFT model over its training (PPO and GRPO on their rollouts; DPO on held-out prompts at each evaluation).",
		"share of training", "nats", kls...); err != nil {
		return err
	}
	return add(methodsPlots[2], "Reward during training (PPO, GRPO)",
		"Mean reward of each rollout batch: the same reward source for both methods.",
		"share of training", "reward", rewards...)
}

// MethodRows are the rows of a comparison of methods: one per method and
// split of its evaluation, with its times and peak memory.
func MethodRows(runs []MethodRun) []ComparisonVariant {
	var rows []ComparisonVariant
	for _, m := range runs {
		common := ComparisonVariant{Name: m.Method, Method: m.Method, Rounds: 1,
			Seconds: m.TrainSeconds + m.EvalSeconds, TrainSeconds: m.TrainSeconds}
		if m.PeakMemoryMB > 0 {
			mb := m.PeakMemoryMB
			common.PeakMemoryMB = &mb
		}
		if m.Eval != nil {
			rows = append(rows, NewComparisonVariants(common, m.Eval)...)
		}
	}
	return rows
}

// progressColumn is column(lines, x, y) with x scaled to the share of the
// training done: divided by its largest value.
func progressColumn(lines []map[string]float64, x, y string) Series {
	s := column(lines, x, y)
	var top float64
	for _, l := range lines {
		top = max(top, l[x])
	}
	if top > 0 {
		for i := range s.X {
			s.X[i] /= top
		}
	}
	return s
}

// methodsHTML is the report's section on the methods compared, executed
// with the report's page.
const methodsHTML = `{{with .Summary.Methods}}
<h2 id="methods">Methods side by side</h2>
<p class="muted">Each method aligned the same SFT model on the same preferences (DPO) or with the same reward (PPO, GRPO), and was evaluated against SFT by the held-out judge on the same prompts (ties count half in the win rate; the interval is the bootstrap's). Training time is its stage's; peak memory the resident memory at the peak of its training stage.</p>
<table>
<tr><th>method</th><th>split</th><th>preferred where decided</th><th>win rate</th><th>interval</th><th>wins/ties/losses</th><th>refusal</th><th>coherent</th><th>over-refusal</th><th>accuracy</th><th>KL</th><th>training time</th><th>with evaluation</th><th>peak memory</th></tr>
{{range .}}<tr><td>{{.Name}}</td><td>{{.Split}}</td><td class="num">{{pct .Decided}}</td><td class="num">{{pct .WinRate}}</td><td class="num">{{pct .CILow}}–{{pct .CIHigh}}</td><td class="num">{{.Wins}}/{{.Ties}}/{{.Losses}}</td><td class="num">{{pct .Refusal}}</td><td class="num">{{pct .Coherent}}</td><td class="num">{{pct .OverRefusal}}</td><td class="num">{{pct .Accuracy}}</td><td class="num">{{num .KL}}</td><td class="num">{{secs .TrainSeconds}}</td><td class="num">{{secs .Seconds}}</td><td class="num">{{with .PeakMemoryMB}}{{printf "%.0f MB" .}}{{else}}–{{end}}</td></tr>
{{end}}</table>
<figure><img src="methods.png" alt="methods"><figcaption>The methods' rates side by side; their training curves are with the others below.</figcaption></figure>
{{end}}`

var _ = template.Must(reportTmpl.New("methods").Parse(methodsHTML))
