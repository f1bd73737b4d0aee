package eval

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/rundir"
)

// ReportInput is what WriteReport puts together. Every part is optional:
// what is missing is said so in the report and is null in summary.json.
type ReportInput struct {
	Title string
	// Metrics files (or the stage directories holding metrics.jsonl) of the
	// stages: pretraining and SFT (train.Metrics lines), reward-model
	// training (reward.Metrics lines) and PPO (ppo.Stats lines). A path that
	// does not exist is a stage that did not run.
	Pretrain, SFT, Reward, PPO string
	// RL names the method whose ppo.Stats lines PPO holds in the plots'
	// titles: PPO (the default) or GRPO, which the same trainer runs.
	RL string
	// Eval is the evaluation of the policies side by side.
	Eval *Result
	// Config is the run's effective configuration (YAML), shown verbatim.
	Config string
	// Timings are the seconds each stage took, in order; when empty, they
	// are taken from the last "elapsed" of each metrics file.
	Timings []StageTiming
	// Samples is how many prompts of each split of Eval to show with
	// every policy's response; 0 means 8.
	Samples int
	// Now stamps the report; zero means time.Now.
	Now time.Time
	// Checks are targets the run is held to, shown first and copied into
	// summary.json.
	Checks []Check

	RoundsInput // iterated RLAIF (rounds_report.go)

	// Methods are the methods of a run that compares them, the run's
	// policy first (methods_report.go); fewer than two: no comparison.
	Methods []MethodRun
}

// Check is one target of a run: Value Op Target, e.g. a refusal rate >= 0.9.
// A value that could not be measured is nil and fails.
type Check struct {
	Name   string   `json:"name"`
	Value  *float64 `json:"value"`
	Op     string   `json:"op"` // ">=" or "<="
	Target float64  `json:"target"`
	Pass   bool     `json:"pass"`
}

// StageTiming is the wall time of one stage.
type StageTiming struct {
	Stage   string  `json:"stage"`
	Seconds float64 `json:"seconds"`
}

// Files WriteReport writes into its directory besides the plots.
const (
	ReportHTML    = "index.html"
	ReportSummary = "summary.json"
)

// Plot is one figure of the report.
type Plot struct {
	File    string `json:"file"` // PNG file name in the report directory
	Title   string `json:"title"`
	Caption string `json:"caption"`
}

// Summary is summary.json: every headline number of a run. Numbers that
// could not be measured are null.
type Summary struct {
	Title     string `json:"title"`
	Generated string `json:"generated"`
	Policy    string `json:"policy"`   // the column the headline metrics are of
	Baseline  string `json:"baseline"` // the column the win rates are against
	// Splits holds the headline of each split of the evaluation, in its
	// order (empty without an evaluation).
	Splits []SplitSummary `json:"splits"`
	// Training holds the final numbers of the training stages.
	Training TrainingSummary `json:"training"`
	// Timings are seconds per stage; TotalSeconds their sum.
	Timings      map[string]float64 `json:"timings"`
	TotalSeconds float64            `json:"total_seconds"`
	Plots        []string           `json:"plots"`
	// Checks are the run's targets and whether they were met.
	Checks []Check `json:"checks"`

	RoundsSummary // iterated RLAIF (rounds_report.go)

	// Methods holds a comparison of methods: a row per method and split
	// (methods_report.go); empty without one.
	Methods []ComparisonVariant `json:"methods"`
}

// SplitSummary is the headline of one split of the evaluation: the win
// rates and the Policy column's numbers.
type SplitSummary struct {
	Name           string   `json:"name"`
	Kind           string   `json:"kind"`
	Prompts        int      `json:"prompts"`
	WinRate        *WinRate `json:"win_rate"`
	HeldOutWinRate *WinRate `json:"heldout_win_rate"`
	RefusalRate    *float64 `json:"refusal_rate"`
	// CoherentRefusals is the share of the policy's refusals of harmful
	// prompts whose reason fits the request (Metrics.Coherent).
	CoherentRefusals *float64 `json:"coherent_refusals"`
	OverRefusal      *float64 `json:"over_refusal"`
	Accuracy         *float64 `json:"accuracy"`
	KL               *float64 `json:"kl"`
	Reward           *float64 `json:"reward"`
	ResponseLength   *float64 `json:"response_length"`
	// Policies holds every column of the split's table by name.
	Policies map[string]Metrics `json:"policies"`
}

// TrainingSummary holds the last or best numbers of each training stage.
type TrainingSummary struct {
	PretrainTrainLoss   *float64 `json:"pretrain_train_loss"`
	PretrainHeldOutLoss *float64 `json:"pretrain_heldout_loss"` // best
	SFTTrainLoss        *float64 `json:"sft_train_loss"`
	SFTHeldOutLoss      *float64 `json:"sft_heldout_loss"` // best
	RewardTrainAcc      *float64 `json:"reward_train_acc"`
	RewardHeldOutAcc    *float64 `json:"reward_heldout_acc"` // best
	PPOReward           *float64 `json:"ppo_reward"`         // last iteration
	PPOKL               *float64 `json:"ppo_kl"`
	PPOBeta             *float64 `json:"ppo_beta"`
	PPOEntropy          *float64 `json:"ppo_entropy"`
	PPOCost             *float64 `json:"ppo_cost"`
	PPOLambda           *float64 `json:"ppo_lambda"`
}

//go:embed report.html.tmpl
var reportHTML string

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(p *float64) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", 100**p)
	},
	"num": func(p *float64) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprintf("%.3f", *p)
	},
	"secs": func(s float64) string {
		return (time.Duration(s * float64(time.Second))).Round(time.Second / 10).String()
	},
	"mul":  func(a, b float64) float64 { return a * b },
	"trim": func(s string) string { return trimText(s, 600) },
}).Parse(reportHTML))

// reportPage is what the template sees.
type reportPage struct {
	Summary Summary
	Eval    *Result
	Splits  []splitPage
	Names   []string // the evaluation's columns, the same in every split
	Plots   []Plot
	Missing []string
	Config  string
	Timings []StageTiming
}

// splitPage is one split of the evaluation as the template shows it.
type splitPage struct {
	Split
	Head     SplitSummary
	Rows     []Row
	Samples  []PromptSamples // the ones shown
	HackWarn bool
}

// WriteReport writes dir/index.html (a page that opens from disk: no
// scripts, no network, plots as PNG files beside it), the PNG plots and
// dir/summary.json from the metrics files and evaluation in `in`.
func WriteReport(dir string, in ReportInput) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if in.Title == "" {
		in.Title = "align run"
	}
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	page := reportPage{Eval: in.Eval, Config: in.Config}
	sum := Summary{Title: in.Title, Generated: in.Now.UTC().Format(time.RFC3339), Splits: []SplitSummary{},
		Timings: map[string]float64{}, Plots: []string{}, Checks: in.Checks}
	if sum.Checks == nil {
		sum.Checks = []Check{}
	}

	stages := []struct{ name, path string }{{"pretrain", in.Pretrain}, {"sft", in.SFT}, {"reward", in.Reward}, {"ppo", in.PPO}}
	lines := map[string][]map[string]float64{}
	for _, st := range stages {
		l, err := readOptional(st.path)
		if err != nil {
			return fmt.Errorf("report: %s metrics: %w", st.name, err)
		}
		lines[st.name] = l
	}
	add := func(file, title, caption, xLabel, yLabel string, series ...Series) error {
		ok, err := PlotPNG(filepath.Join(dir, file), title, xLabel, yLabel, series)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if ok {
			page.Plots = append(page.Plots, Plot{File: file, Title: title, Caption: caption})
			sum.Plots = append(sum.Plots, file)
		} else {
			_ = os.Remove(filepath.Join(dir, file)) // a stale plot of an earlier report
			page.Missing = append(page.Missing, title)
		}
		return nil
	}
	named := func(s Series, name string) Series { s.Name = name; return s }
	for _, st := range []struct{ key, title string }{{"pretrain", "Pretraining loss"}, {"sft", "SFT loss"}} {
		l := lines[st.key]
		if err := add(st.key+"_loss.png", st.title,
			"Training loss (mean since the previous line) and held-out loss; a widening gap is overfitting.", "step", "loss (nats/token)",
			named(column(l, "step", "train_loss"), "train"), named(column(l, "step", "heldout_loss"), "held-out")); err != nil {
			return err
		}
	}
	rl := lines["reward"]
	if err := add("reward_accuracy.png", "Reward model accuracy",
		"Pairwise accuracy of the reward model (ties count half): training batches, training set and held-out preferences.", "step", "accuracy",
		named(column(rl, "step", "train_batch_acc"), "train batches"), named(column(rl, "step", "train_acc"), "train"),
		named(column(rl, "step", "heldout_acc"), "held-out")); err != nil {
		return err
	}
	pl := lines["ppo"]
	method := in.RL
	if method == "" {
		method = "PPO"
	}
	ppoPlots := []struct {
		file, title, caption, y string
		series                  []Series
	}{
		{"ppo_reward.png", method + " reward", "Mean reward of each rollout batch: normalised, raw, and the score that entered the last token.", "reward",
			[]Series{named(column(pl, "iteration", "reward"), "reward"), named(column(pl, "iteration", "reward_raw"), "raw"), named(column(pl, "iteration", "score"), "score")}},
		{"ppo_kl.png", method + " KL to the reference", "Per-response KL to the SFT policy; the controller moves β to keep it near the target.", "nats",
			[]Series{named(column(pl, "iteration", "kl"), "KL")}},
		{"ppo_beta.png", method + " KL coefficient β", "β of the KL penalty (adaptive controller).", "β",
			[]Series{named(column(pl, "iteration", "beta"), "β")}},
		{"ppo_entropy.png", method + " policy entropy", "Entropy per token at the sampling temperature; a collapse means little exploration is left.", "nats/token",
			[]Series{named(column(pl, "iteration", "entropy"), "entropy")}},
		{"ppo_cost.png", method + " cost and multiplier", "Mean cost of each batch and the Lagrange multiplier λ of the cost constraint.", "",
			[]Series{named(column(pl, "iteration", "cost"), "cost"), named(column(pl, "iteration", "lambda"), "λ")}},
	}
	for _, p := range ppoPlots {
		if err := add(p.file, p.title, p.caption, "iteration", p.y, p.series...); err != nil {
			return err
		}
	}

	if err := writeRounds(dir, in.RoundsInput, &sum.RoundsSummary, &sum.Plots, add); err != nil {
		return err
	}
	if err := writeMethods(dir, in.Methods, &sum, add); err != nil {
		return err
	}

	// Training numbers.
	tr := &sum.Training
	tr.PretrainTrainLoss, tr.PretrainHeldOutLoss = last(lines["pretrain"], "train_loss"), best(lines["pretrain"], "heldout_loss", false)
	tr.SFTTrainLoss, tr.SFTHeldOutLoss = last(lines["sft"], "train_loss"), best(lines["sft"], "heldout_loss", false)
	tr.RewardTrainAcc, tr.RewardHeldOutAcc = last(rl, "train_acc"), best(rl, "heldout_acc", true)
	tr.PPOReward, tr.PPOKL, tr.PPOBeta = last(pl, "reward"), last(pl, "kl"), last(pl, "beta")
	tr.PPOEntropy, tr.PPOCost, tr.PPOLambda = last(pl, "entropy"), last(pl, "cost"), last(pl, "lambda")

	// Timings.
	page.Timings = in.Timings
	if len(page.Timings) == 0 {
		for _, st := range stages {
			if e := last(lines[st.name], "elapsed"); e != nil {
				page.Timings = append(page.Timings, StageTiming{Stage: st.name, Seconds: *e})
			}
		}
	}
	for _, t := range page.Timings {
		sum.Timings[t.Stage] += t.Seconds
		sum.TotalSeconds += t.Seconds
	}

	// Evaluation.
	if ev := in.Eval; ev != nil {
		sum.Baseline = ev.Baseline
		for _, sp := range ev.Splits {
			head, policy := sp.summary(ev.Policy)
			sum.Policy = policy
			sum.Splits = append(sum.Splits, head)
			_, warn := sp.hackGap()
			page.Splits = append(page.Splits, splitPage{Split: sp, Head: head, Rows: sp.Table.Rows(),
				Samples: pickSamples(sp.Samples, in.Samples), HackWarn: warn})
		}
		if len(ev.Splits) > 0 {
			for _, m := range ev.Splits[0].Table.Columns {
				page.Names = append(page.Names, m.Name)
			}
		}
	}
	page.Summary = sum

	var buf bytes.Buffer
	if err := reportTmpl.Execute(&buf, page); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := writeFile(filepath.Join(dir, ReportHTML), buf.Bytes()); err != nil {
		return err
	}
	js, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return fmt.Errorf("report: summary: %w", err)
	}
	return writeFile(filepath.Join(dir, ReportSummary), append(js, '\n'))
}

// summary is the split's headline, of the column named policy (the last
// column when none is), and the name of that column.
func (s Split) summary(policy string) (SplitSummary, string) {
	h := SplitSummary{Name: s.Name, Kind: s.Kind, Prompts: len(s.Samples), WinRate: s.WinRate, HeldOutWinRate: s.HeldOutWinRate,
		Policies: map[string]Metrics{}}
	for _, m := range s.Table.Columns {
		h.Policies[m.Name] = m
		h.Prompts = m.Prompts // the table's count, which a hand-made Result may not show every sample of
	}
	head := s.Column(policy)
	if head == nil && len(s.Table.Columns) > 0 {
		head = &s.Table.Columns[len(s.Table.Columns)-1]
	}
	if head == nil {
		return h, ""
	}
	h.RefusalRate, h.CoherentRefusals, h.OverRefusal, h.Accuracy = head.Refusal, head.Coherent, head.Over, head.Accuracy
	h.KL, h.Reward = head.KL, head.Reward
	l := head.Length
	h.ResponseLength = &l
	return h, head.Name
}

func writeFile(path string, b []byte) error {
	err := checkpoint.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// pickSamples chooses up to n prompts (0: 8) covering the kinds of prompt:
// harmful, checkable and other, in turn, in their original order.
func pickSamples(all []PromptSamples, n int) []PromptSamples {
	if n <= 0 {
		n = 8
	}
	kind := func(s PromptSamples) int {
		switch {
		case slices.Contains(s.Tags, "harmful"):
			return 0
		case slices.Contains(s.Tags, "checkable"):
			return 1
		}
		return 2
	}
	// Prompts the policy lost by the held-out judge get a quarter of the
	// rows: a report that shows only wins hides what training broke.
	lost := func(s PromptSamples) bool { return s.HeldOut != nil && *s.HeldOut < 0.5 }
	var byKind, lostByKind [3][]int
	for i, s := range all {
		k := kind(s)
		if lost(s) {
			lostByKind[k] = append(lostByKind[k], i)
		} else {
			byKind[k] = append(byKind[k], i)
		}
	}
	var idx []int
	take := func(groups [3][]int, quota int) {
		for round := 0; len(idx) < quota; round++ {
			added := false
			for k := range groups {
				if round < len(groups[k]) && len(idx) < quota {
					idx = append(idx, groups[k][round])
					added = true
				}
			}
			if !added {
				return
			}
		}
	}
	take(lostByKind, n/4)
	take(byKind, n)
	take(lostByKind, n) // fewer other prompts than rows: fill with losses
	slices.Sort(idx)
	out := make([]PromptSamples, len(idx))
	for i, j := range idx {
		out[i] = all[j]
	}
	return out
}

// trimText shortens very long responses for display.
func trimText(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "…"
}

// RunInput fills the stage paths of a ReportInput for a run directory laid
// out as `align run` does (package rundir): each training stage's metrics
// file and the resolved config. Stages that did not run simply have
// no file; a missing config leaves Config empty.
func RunInput(runDir string) ReportInput {
	metrics := func(stage string) string { return filepath.Join(rundir.Stage(runDir, stage), rundir.MetricsFile) }
	in := ReportInput{Title: filepath.Base(filepath.Clean(runDir)),
		Pretrain: metrics(rundir.Pretrain), SFT: metrics(rundir.SFT), Reward: metrics(rundir.Reward), PPO: metrics(rundir.PPO)}
	if b, err := os.ReadFile(filepath.Join(runDir, rundir.ConfigFile)); err == nil {
		in.Config = string(b)
	}
	return in
}
