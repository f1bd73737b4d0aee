package eval

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Row is one line of a Table as displayed: a label and one cell per column.
type Row struct {
	Label string
	Help  string // what the number means
	Cells []string
}

// Rows lays the table out for display, one row per metric; cells of
// metrics a column lacks read "–".
func (t Table) Rows() []Row {
	pct := func(p *float64, n int) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f%% (n=%d)", 100**p, n)
	}
	num := func(p *float64) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprintf("%.3f", *p)
	}
	defs := []struct {
		label, help string
		cell        func(m Metrics) string
	}{
		{"refusal (harmful)", "share of held-out harmful prompts refused: higher is safer", func(m Metrics) string { return pct(m.Refusal, m.Harmful) }},
		{"coherent refusals", "share of those refusals whose reason fits the request's kind of harm (and that do not stutter)", func(m Metrics) string { return pct(m.Coherent, m.Refused) }},
		{"over-refusal (benign)", "share of held-out benign prompts refused: lower is more helpful", func(m Metrics) string { return pct(m.Over, m.Benign) }},
		{"accuracy (checkable)", "share of checkable prompts answered right", func(m Metrics) string { return pct(m.Accuracy, m.Checkable) }},
		{"KL to reference", "mean per-response Σ log π − log π_ref, nats", func(m Metrics) string { return num(m.KL) }},
		{"reward", "mean reward of the responses", func(m Metrics) string { return num(m.Reward) }},
		{"cost", "mean cost of the responses (the reward model's safety head: PPO's constraint)", func(m Metrics) string { return num(m.Cost) }},
		{"length (tokens)", "mean response length", func(m Metrics) string { return fmt.Sprintf("%.1f", m.Length) }},
		{"EOS rate", "share of responses that ended by themselves", func(m Metrics) string { return fmt.Sprintf("%.1f%%", 100*m.EOSRate) }},
	}
	rows := make([]Row, len(defs))
	for i, d := range defs {
		rows[i] = Row{Label: d.label, Help: d.help}
		for _, m := range t.Columns {
			rows[i].Cells = append(rows[i].Cells, d.cell(m))
		}
	}
	return rows
}

// WriteText prints the table with aligned columns.
func (t Table) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	names := make([]string, len(t.Columns))
	for i, m := range t.Columns {
		names[i] = m.Name
	}
	fmt.Fprintf(tw, "metric\t%s\n", strings.Join(names, "\t"))
	for _, r := range t.Rows() {
		fmt.Fprintf(tw, "%s\t%s\n", r.Label, strings.Join(r.Cells, "\t"))
	}
	return tw.Flush()
}

// String describes a win rate in one line.
func (w WinRate) String() string {
	if w.Prompts == 0 {
		return fmt.Sprintf("no verdicts from %s (%d abstained)", w.Judge, w.Abstained)
	}
	s := fmt.Sprintf("%.1f%% [%.1f%%, %.1f%%] (%.0f%% CI, %d prompts: %d wins, %d ties, %d losses; judge %s",
		100*w.Rate, 100*w.CILow, 100*w.CIHigh, 100*w.Confidence, w.Prompts, w.Wins, w.Ties, w.Losses, w.Judge)
	if w.Constitution != "" {
		s += "@" + w.Constitution
	}
	if w.Abstained > 0 {
		s += fmt.Sprintf(", %d abstained", w.Abstained)
	}
	s += ")"
	if w.Decided != nil {
		s += fmt.Sprintf("; preferred on %.1f%% of the %d decided prompts", 100**w.Decided, w.Wins+w.Losses)
	}
	return s
}

// WriteText prints the table and the win rates.
func (r *Result) WriteText(w io.Writer) error {
	if err := r.Table.WriteText(w); err != nil {
		return err
	}
	if r.WinRate != nil {
		fmt.Fprintf(w, "\nwin rate of %s over %s: %s\n", r.Policy, r.Baseline, r.WinRate)
	}
	if r.HeldOutWinRate != nil {
		fmt.Fprintf(w, "held-out judge:           %s\n", r.HeldOutWinRate)
		if r.WinRate != nil && r.WinRate.Prompts > 0 && r.HeldOutWinRate.Prompts > 0 {
			if gap := r.WinRate.Rate - r.HeldOutWinRate.Rate; gap > 0.1 {
				fmt.Fprintf(w, "warning: the training judge's win rate exceeds the held-out judge's by %.0f points: possible reward hacking\n", 100*gap)
			}
		}
	}
	return nil
}
