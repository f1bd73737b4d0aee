package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/eval"
	"github.com/align-project/align/pipeline"
	"github.com/align-project/align/rundir"
)

// fakeRun writes a finished run directory of the given rounds and PPO
// reward source: its config, an evaluation whose policy refuses the share
// refusal of the harmful prompts, the last round's preferences and a done
// marker of every stage, each taking as many seconds as its position in
// the run.
func fakeRun(t *testing.T, dir string, rounds int, reward string, refusal float64) string {
	t.Helper()
	cfg := pipeline.Quick()
	cfg.Rounds, cfg.PPO.Reward = rounds, reward
	write := func(path string, b []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, rundir.ConfigFile), cfg.YAML())
	decided := 0.6
	res := eval.Result{Policy: "ppo", Baseline: "sft", Splits: []eval.Split{{Name: eval.NameTest, Kind: eval.SplitTest,
		Table:          eval.Table{Columns: []eval.Metrics{{Name: "sft"}, {Name: "ppo", Refusal: &refusal}}},
		HeldOutWinRate: &eval.WinRate{Prompts: 10, Rate: 0.55, Wins: 5, Ties: 2, Losses: 3, Decided: &decided}}}}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(rundir.Stage(dir, rundir.Eval), rundir.EvalFile), b)
	write(rundir.Data(dir, rundir.RoundFile(rundir.PreferencesFile, rounds)), bytes.Repeat([]byte(`{"prompt":"p","chosen":"a","rejected":"b"}`+"\n"), 7*rounds))
	for i, s := range rundir.RunStages(rounds) {
		write(filepath.Join(rundir.Stage(dir, s), rundir.DoneFile), fmt.Appendf(nil, `{"stage":%q,"hash":"x","seconds":%d}`, s, i+1))
	}
	return dir
}

func TestCompare(t *testing.T) {
	dir := t.TempDir()
	one := fakeRun(t, filepath.Join(dir, "one"), 1, pipeline.RewardModel, 0.5)
	three := fakeRun(t, filepath.Join(dir, "three"), 3, pipeline.RewardModel, 0.7)
	judged := fakeRun(t, filepath.Join(dir, "judge"), 1, pipeline.RewardJudge, 0.9)
	out := filepath.Join(dir, "out")
	var stdout bytes.Buffer
	if err := cmdCompare([]string{"--profile", "quick", "--out", out, "1 round=" + one, "3 rounds=" + three, "judge=" + judged}, &stdout); err != nil {
		t.Fatal(err)
	}
	var c eval.Comparison
	b, err := os.ReadFile(filepath.Join(out, rundir.ComparisonFile))
	if err != nil || json.Unmarshal(b, &c) != nil || len(c.Variants) != 3 {
		t.Fatalf("comparison %s (%v)", b, err)
	}
	// Stages in order: pretrain 1 s, sft 2 s, then the rounds' four
	// stages, eval and report.
	if c.Profile != "quick" || c.SharedSeconds != 3 {
		t.Errorf("profile %q, shared %v s; want quick and 3", c.Profile, c.SharedSeconds)
	}
	for i, want := range []struct {
		name           string
		rounds         int
		prefs          int // 0: none
		refusal        float64
		seconds, ppo   float64
		reward         string
		inRun, inStdio string
	}{
		{"1 round", 1, 7, 0.5, 3 + 4 + 5 + 6 + 7, 6, pipeline.RewardModel, one, "| 1 round | unseen prompts | 60.0% | 55.0% | 5/2/3 | 50.0% |"},
		// Three rounds: stages 3–14 and eval 15; PPO at 6, 10 and 14.
		{"3 rounds", 3, 21, 0.7, 15*16/2 - 3, 30, pipeline.RewardModel, three, "| 3 rounds |"},
		// The judge as the reward: its PPO and evaluation only.
		{"judge", 1, 0, 0.9, 6 + 7, 6, pipeline.RewardJudge, judged, "| judge |"},
	} {
		v := c.Variants[i]
		if v.Name != want.name || v.Rounds != want.rounds || v.Reward != want.reward || v.Run != want.inRun || *v.Refusal != want.refusal {
			t.Errorf("variant %d: %+v", i, v)
		}
		if (want.prefs == 0) != (v.Preferences == nil) || v.Preferences != nil && *v.Preferences != want.prefs {
			t.Errorf("%s: preferences %v, want %d", v.Name, v.Preferences, want.prefs)
		}
		if v.Seconds != want.seconds || v.TrainSeconds != want.ppo {
			t.Errorf("%s: %v s, PPO %v s; want %v and %v", v.Name, v.Seconds, v.TrainSeconds, want.seconds, want.ppo)
		}
		if !strings.Contains(stdout.String(), want.inStdio) {
			t.Errorf("table lacks %q:\n%s", want.inStdio, stdout.String())
		}
		// Each run has the comparison for its report.
		if b2, err := os.ReadFile(filepath.Join(want.inRun, rundir.ComparisonFile)); err != nil || !bytes.Equal(b2, b) {
			t.Errorf("%s: comparison copy %v", want.inRun, err)
		}
	}
	for _, f := range []string{"comparison.md", eval.ComparisonPlot} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}

	for _, bad := range [][]string{
		{"--out", out},
		{"--out", out, "no-equals-sign"},
		{"--out", out, "missing=" + filepath.Join(dir, "nothing")},
	} {
		if err := cmdCompare(bad, &stdout); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	if err := os.Remove(filepath.Join(rundir.Stage(three, rundir.Eval), rundir.EvalFile)); err != nil {
		t.Fatal(err)
	}
	if err := cmdCompare([]string{"--out", out, "3 rounds=" + three}, &stdout); err == nil || !strings.Contains(err.Error(), "variant 3 rounds") {
		t.Errorf("unfinished run: %v", err)
	}
}
