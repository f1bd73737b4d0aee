package eval

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/align-project/align/rundir"
)

// roundsRun writes the files of a two-round run directory that ReadRounds
// reads: label stats, preferences, reward-model evaluations and PPO
// metrics, round k's numbers made from k.
func roundsRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(path, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lines := func(n int) string { return strings.Repeat(`{"prompt":"p","chosen":"a","rejected":"b"}`+"\n", n) }
	for k := 1; k <= 2; k++ {
		stage := func(s string) string { return rundir.Stage(dir, rundir.Round(s, k)) }
		data := func(f string) string { return rundir.Data(dir, rundir.RoundFile(f, k)) }
		write(filepath.Join(stage(rundir.Label), "stats.json"), fmt.Sprintf(`{"judge":"builtin","label":{"pairs":%d,"written":%d}}`, 10*k, 3*k))
		write(data(rundir.AIPrefsFile), lines(3*k))
		write(data(rundir.PreferencesFile), lines(3*k*(k+1)/2))
		write(filepath.Join(stage(rundir.Reward), "eval.json"), fmt.Sprintf(`{"steps":5,"train":{"pairs":9,"accuracy":0.9},"heldout":{"pairs":4,"accuracy":%g}}`, 0.5+0.1*float64(k)))
		var m strings.Builder
		for i := range 2 {
			fmt.Fprintf(&m, `{"iteration":%d,"reward":%g,"kl":%g,"refusal":%g,"over_refusal":0.1,"elapsed":1}`+"\n", i+1, float64(k+i), float64(k)+0.5*float64(i), 0.25*float64(k+i))
		}
		write(filepath.Join(stage(rundir.PPO), rundir.MetricsFile), m.String())
	}
	return dir
}

func TestReadRounds(t *testing.T) {
	dir := roundsRun(t)
	rs, err := ReadRounds(dir, 3) // the third round has not run
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 {
		t.Fatalf("%d rounds", len(rs))
	}
	near := func(p *float64, want float64) bool { return p != nil && math.Abs(*p-want) < 1e-12 }
	for k, r := range rs[:2] {
		k++
		if r.Round != k || *r.Pairs != 10*k || *r.Preferences != 3*k || *r.AllPreferences != 3*k*(k+1)/2 || !near(r.RewardHeldOutAcc, 0.5+0.1*float64(k)) {
			t.Errorf("round %d: %+v", k, r)
		}
		if r.PPOIterations != 2 || !near(r.PPOReward, float64(k)+0.5) || !near(r.PPOKL, float64(k)+0.25) || !near(r.PPOLastKL, float64(k)+0.5) ||
			!near(r.PPORefusal, 0.25*float64(k)+0.125) || !near(r.PPOOverRefusal, 0.1) {
			t.Errorf("round %d PPO: %+v", k, r)
		}
	}
	if r := rs[2]; r.Pairs != nil || r.AllPreferences != nil || r.RewardHeldOutAcc != nil || r.PPOReward != nil || r.PPOIterations != 0 {
		t.Errorf("a round that did not run: %+v", r)
	}
	// A file that is there but broken is an error naming it.
	if err := os.WriteFile(filepath.Join(rundir.Stage(dir, "reward-2"), "eval.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRounds(dir, 2); err == nil || !strings.Contains(err.Error(), "reward-2") {
		t.Errorf("broken eval.json: %v", err)
	}
}

func testComparison() *Comparison {
	v := func(name string, decided, refusal float64) ComparisonVariant {
		return ComparisonVariant{Name: name, Decided: &decided, Refusal: &refusal, Wins: 3, Ties: 2, Losses: 1, Seconds: 12, TrainSeconds: 5}
	}
	return &Comparison{Profile: "quick", SharedSeconds: 30, Variants: []ComparisonVariant{v("1 round", 0.5, 0.2), v("3 rounds", 0.6, 0.4), v("judge as reward", 0.55, 0.9)}}
}

// TestReportShowsRoundsAndComparison: a report of several rounds plots them
// and tables them, a comparison is tabled and plotted, and both are in
// summary.json; a one-round report without a comparison shows neither and
// removes their stale plots.
func TestReportShowsRoundsAndComparison(t *testing.T) {
	runDir := roundsRun(t)
	rs, err := ReadRounds(runDir, 2)
	if err != nil {
		t.Fatal(err)
	}
	in := syntheticRun(t, true)
	in.Rounds, in.Comparison = rs, testComparison()
	dir := t.TempDir()
	if err := WriteReport(dir, in); err != nil {
		t.Fatal(err)
	}
	var sum Summary
	b, err := os.ReadFile(filepath.Join(dir, ReportSummary))
	if err != nil || json.Unmarshal(b, &sum) != nil {
		t.Fatal(err)
	}
	if len(sum.Rounds) != 2 || *sum.Rounds[1].AllPreferences != 9 || sum.Comparison == nil || len(sum.Comparison.Variants) != 3 {
		t.Errorf("summary rounds %+v, comparison %+v", sum.Rounds, sum.Comparison)
	}
	for _, f := range append(slices.Clone(roundsPlots), ComparisonPlot) {
		if !slices.Contains(sum.Plots, f) {
			t.Errorf("plots %v lack %s", sum.Plots, f)
		}
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	html := readText(t, filepath.Join(dir, ReportHTML))
	for _, want := range []string{`id="rounds"`, `id="comparison"`, "judge as reward", `<td class="num">70.0%</td>`, `src="comparison.png"`} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}

	in.Rounds, in.Comparison = rs[:1], nil
	if err := WriteReport(dir, in); err != nil {
		t.Fatal(err)
	}
	html = readText(t, filepath.Join(dir, ReportHTML))
	if strings.Contains(html, `id="rounds"`) || strings.Contains(html, `id="comparison"`) {
		t.Errorf("a one-round report without a comparison shows them")
	}
	for _, f := range append(slices.Clone(roundsPlots), ComparisonPlot) {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("stale %s left", f)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, ReportSummary)); err != nil || !strings.Contains(string(b), `"comparison": null`) {
		t.Errorf("summary: %v\n%s", err, b)
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestComparison(t *testing.T) {
	c := testComparison()
	md := c.Markdown()
	if n := strings.Count(md, "\n| "); n != 3 { // a row per variant (the header opens the text, the separator is |---)
		t.Errorf("%d table rows:\n%s", n, md)
	}
	for _, want := range []string{"| 3 rounds |  | 60.0% | – | 3/2/1 | 40.0% |", "Profile quick", "took 30s"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}

	// A variant takes its numbers from the policy column and the held-out
	// judge.
	refusal, over, decided := 0.8, 0.1, 0.7
	res := &Result{Policy: "ppo", Splits: []Split{{Name: NameTest, Table: Table{Columns: []Metrics{{Name: "sft"}, {Name: "ppo", Refusal: &refusal, Over: &over}}},
		HeldOutWinRate: &WinRate{Prompts: 10, Rate: 0.65, Wins: 6, Ties: 1, Losses: 3, Decided: &decided}}, {Name: NameHeldOut}}}
	vs := NewComparisonVariants(ComparisonVariant{Name: "x", Rounds: 2}, res)
	if len(vs) != 2 || vs[1].Split != NameHeldOut || vs[1].Refusal != nil || vs[1].Name != "x" || vs[1].Rounds != 2 {
		t.Fatalf("variants %+v", vs)
	}
	v := vs[0]
	if v.Split != NameTest || v.Refusal == nil || *v.Refusal != 0.8 || *v.OverRefusal != 0.1 || *v.WinRate != 0.65 || *v.Decided != 0.7 || v.Wins != 6 || v.Losses != 3 {
		t.Errorf("variant %+v", v)
	}

	// A run directory without a comparison has none; a broken one is an
	// error.
	dir := t.TempDir()
	if c, err := ReadComparison(dir); c != nil || err != nil {
		t.Errorf("no comparison: %v, %v", c, err)
	}
	if err := os.WriteFile(filepath.Join(dir, rundir.ComparisonFile), []byte(`{"variants": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadComparison(dir); err == nil || !strings.Contains(err.Error(), rundir.ComparisonFile) {
		t.Errorf("broken comparison: %v", err)
	}
}
