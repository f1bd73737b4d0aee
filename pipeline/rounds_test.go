package pipeline

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/align-project/align/chat"
	"github.com/align-project/align/data"
	"github.com/align-project/align/eval"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/judge"
	"github.com/align-project/align/ppo"
	"github.com/align-project/align/reward"
	"github.com/align-project/align/rundir"
)

// specsOf are the specs of one kind the fake steps were called with.
func specsOf[T any](f *fakeSteps) []T {
	var out []T
	for _, s := range f.specs {
		if v, ok := s.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// TestOneRoundIsTheLoopAsBefore: rounds: 1 (the default) runs the stages
// of a run without rounds, under their plain names, on the files they
// always had: generation samples the SFT model on generate.prompts with
// generate.limit, and PPO starts from SFT with no reference of its own.
func TestOneRoundIsTheLoopAsBefore(t *testing.T) {
	dir := t.TempDir()
	cfg := Quick()
	cfg.PPO.Reward = RewardModel // the default is the judge; rounds need a reward model
	if cfg.Rounds != 1 || Default().Rounds != 1 {
		t.Fatalf("profiles' rounds %d, %d; want 1", cfg.Rounds, Default().Rounds)
	}
	f := &fakeSteps{}
	res, err := run(t, dir, cfg, f)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Ran, rundir.Stages()) {
		t.Fatalf("ran %v, want %v", res.Ran, rundir.Stages())
	}
	g := specsOf[chat.GenerateSpec](f)
	if len(g) != 1 || g[0].GenerateConfig != cfg.Generate || g[0].Model != rundir.Stage(dir, rundir.SFT) || g[0].Out != rundir.Data(dir, rundir.PairsFile) {
		t.Errorf("generate spec %+v", g)
	}
	p := specsOf[ppo.TrainSpec](f)
	if len(p) != 1 || p[0].Policy != rundir.Stage(dir, rundir.SFT) || p[0].Reference != "" || p[0].Config != cfg.PPO.Config ||
		p[0].Reward.Dir != rundir.Stage(dir, rundir.Reward) || p[0].Reward.Judge.Kind != "" {
		t.Errorf("ppo spec %+v", p)
	}
	if _, err := os.Stat(rundir.Data(dir, rundir.GeneratePromptsFile)); err == nil {
		t.Errorf("one round wrote %s", rundir.GeneratePromptsFile)
	}
	var sum eval.Summary
	b, err := os.ReadFile(res.Summary)
	if err != nil || json.Unmarshal(b, &sum) != nil || len(sum.Rounds) != 1 || sum.Rounds[0].AllPreferences == nil || *sum.Rounds[0].AllPreferences != 1 {
		t.Errorf("summary rounds %+v (%v)", sum.Rounds, err)
	}
}

// TestTwoRounds: round 2 samples round 1's policy on the other half of
// the generation prompts, its reward model goes on from round 1's on both
// rounds' preferences, its PPO starts from round 1's policy with the SFT model as
// the reference, the rounds share ppo.iterations, and the evaluation and
// report take round 2's policy and reward model.
func TestTwoRounds(t *testing.T) {
	dir := t.TempDir()
	cfg := Quick()
	cfg.PPO.Reward = RewardModel // the default is the judge; rounds need a reward model
	cfg.Rounds = 2
	f := &fakeSteps{}
	res, err := run(t, dir, cfg, f)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pretrain", "sft", "generate", "label", "reward", "ppo", "generate-2", "label-2", "reward-2", "ppo-2", "eval"}
	if got := f.commands(); !slices.Equal(got, want) {
		t.Fatalf("commands %v, want %v", got, want)
	}
	if !slices.Equal(res.Ran, rundir.RunStages(2)) {
		t.Errorf("ran %v, want %v", res.Ran, rundir.RunStages(2))
	}
	stage := func(s string) string { return rundir.Stage(dir, s) }
	file := func(f string, k int) string { return rundir.Data(dir, rundir.RoundFile(f, k)) }

	// Generation: SFT, then round 1's policy, each on its half of the
	// first generate.limit training prompts.
	all, err := data.LoadPrompts(cfg.Generate.Prompts, cfg.Seed, data.TrainPrompts)
	if err != nil {
		t.Fatal(err)
	}
	all = all[:cfg.Generate.Limit]
	g := specsOf[chat.GenerateSpec](f)
	if len(g) != 2 {
		t.Fatalf("%d generate calls", len(g))
	}
	for k, model := range []string{stage(rundir.SFT), stage(rundir.PPO)} {
		s := g[k]
		if s.Model != model || s.Prompts != file(rundir.GeneratePromptsFile, k+1) || s.Limit != 0 || s.Out != file(rundir.PairsFile, k+1) {
			t.Errorf("round %d generate spec %+v", k+1, s)
		}
		got, _, err := data.ReadAll[data.Prompt](s.Prompts, data.ReadOptions{Strict: true})
		half := all[k*len(all)/2 : (k+1)*len(all)/2]
		if err != nil || len(got) != len(half) || got[0].Prompt != half[0].Prompt || got[len(got)-1].Prompt != half[len(half)-1].Prompt {
			t.Errorf("round %d prompts: %d (%v), want the %d of its half", k+1, len(got), err, len(half))
		}
	}

	// Labels: round 2's preferences hold round 1's and its own.
	b, err := os.ReadFile(file(rundir.PreferencesFile, 2))
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); strings.Count(s, "\n") != 2 || !strings.Contains(s, `"chosen":"ai_preferences.jsonl"`) || !strings.Contains(s, `"chosen":"ai_preferences-2.jsonl"`) {
		t.Errorf("round 2 preferences:\n%s", s)
	}
	rm := specsOf[reward.TrainSpec](f)
	if len(rm) != 2 || rm[0].Init != "" || rm[1].Data != file(rundir.PreferencesFile, 2) || rm[1].Base != stage(rundir.SFT) ||
		rm[1].Init != stage(rundir.Reward) || rm[1].Out != stage("reward-2") {
		t.Errorf("reward specs %+v", rm)
	}

	// PPO: round 2 from round 1's policy, against round 2's reward model,
	// the SFT model its reference; each round half the iterations, round
	// 2 with a seed of its own.
	p := specsOf[ppo.TrainSpec](f)
	if len(p) != 2 {
		t.Fatalf("%d ppo calls", len(p))
	}
	if p[0].Policy != stage(rundir.SFT) || p[0].Reference != "" || p[0].Config.Iterations != 2 || p[0].Config.Seed != cfg.Seed {
		t.Errorf("round 1 ppo spec %+v", p[0])
	}
	if p[1].Policy != stage(rundir.PPO) || p[1].Reference != stage(rundir.SFT) || p[1].Reward.Dir != stage("reward-2") ||
		p[1].Out != stage("ppo-2") || p[1].Config.Iterations != 2 || p[1].Config.Seed != cfg.Seed+1 {
		t.Errorf("round 2 ppo spec %+v", p[1])
	}
	if e := specsOf[eval.Spec](f); len(e) != 1 || e[0].Policy != stage("ppo-2") || e[0].Reward != stage("reward-2") || e[0].Baseline != stage(rundir.SFT) {
		t.Errorf("eval spec %+v", e)
	}

	// The summary has both rounds.
	var sum eval.Summary
	if b, err = os.ReadFile(res.Summary); err != nil || json.Unmarshal(b, &sum) != nil {
		t.Fatal(err)
	}
	if len(sum.Rounds) != 2 || *sum.Rounds[0].AllPreferences != 1 || *sum.Rounds[1].AllPreferences != 2 || *sum.Rounds[1].Preferences != 1 {
		t.Errorf("summary rounds %+v", sum.Rounds)
	}
	if _, ok := sum.Timings["ppo-2"]; !ok {
		t.Errorf("timings %v lack round 2", sum.Timings)
	}

	// A second run skips every stage; going back to one round keeps
	// pretraining and SFT.
	if _, err := run(t, dir, cfg, f); err != nil || len(f.calls) != 0 {
		t.Fatalf("rerun: calls %v, %v", f.calls, err)
	}
	cfg.Rounds = 1
	if _, err := run(t, dir, cfg, f); err != nil {
		t.Fatal(err)
	}
	if got := f.commands(); !slices.Equal(got, []string{"generate", "label", "reward", "ppo", "eval"}) {
		t.Errorf("back to one round: commands %v", got)
	}
}

// TestResumeInRoundTwo: a run killed in round 2 resumes there, the stages
// before it skipped; PPO resumes from its checkpoint, labelling from what
// it wrote.
func TestResumeInRoundTwo(t *testing.T) {
	cfg := Quick()
	cfg.PPO.Reward = RewardModel // the default is the judge; rounds need a reward model
	cfg.Rounds = 2
	for _, tc := range []struct {
		stop string
		want []string
	}{
		{"ppo-2", []string{"ppo-2 --resume", "eval"}},
		{"label-2", []string{"label-2 --resume", "reward-2", "ppo-2", "eval"}},
		{"generate-2", []string{"generate-2", "label-2", "reward-2", "ppo-2", "eval"}},
	} {
		dir := t.TempDir()
		f := &fakeSteps{stopAt: tc.stop}
		if _, err := run(t, dir, cfg, f); !errors.Is(err, ErrInterrupted) {
			t.Fatalf("stop at %s: %v", tc.stop, err)
		}
		f.stopAt = ""
		res, err := run(t, dir, cfg, f)
		if err != nil {
			t.Fatal(err)
		}
		got := f.commands()
		if tc.stop == "label-2" {
			// The fake's label call does not tell a resume; the stage does.
			if !slices.Equal(res.Resumed, []string{"label-2"}) {
				t.Errorf("stop at label-2: resumed %v", res.Resumed)
			}
			got[0] += " --resume"
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("stop at %s: rerun commands %v, want %v", tc.stop, got, tc.want)
		}
		if !slices.Contains(res.Skipped, "ppo") || !slices.Contains(res.Skipped, "reward") {
			t.Errorf("stop at %s: round 1 not skipped: %v", tc.stop, res.Skipped)
		}
	}
}

// TestJudgeAsTheReward: ppo.reward: judge has the label section's judge
// rate PPO's rollouts, with no reward model.
func TestJudgeAsTheReward(t *testing.T) {
	dir := t.TempDir()
	cfg := Quick()
	cfg.PPO.Reward = RewardJudge
	f := &fakeSteps{}
	if _, err := run(t, dir, cfg, f); err != nil {
		t.Fatal(err)
	}
	p := specsOf[ppo.TrainSpec](f)
	if len(p) != 1 || p[0].Reward.Dir != "" || p[0].Reward.Judge.Kind != judge.KindBuiltin || p[0].Reward.Judge.Seed != cfg.Seed {
		t.Fatalf("ppo spec %+v", p)
	}
	// Only PPO and what follows it run again when the reward source changes.
	cfg.PPO.Reward = RewardModel
	if _, err := run(t, dir, cfg, f); err != nil {
		t.Fatal(err)
	}
	if got := f.commands(); !slices.Equal(got, []string{"ppo", "eval"}) {
		t.Errorf("back to the reward model: commands %v", got)
	}
}

func TestRoundsSettingErrors(t *testing.T) {
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Rounds = 0 }, "rounds: 0"},
		{func(c *Config) { c.Rounds = c.PPO.Iterations + 1 }, "ppo.iterations"},
		{func(c *Config) { c.Rounds, c.Generate.Limit = 3, 2 }, "generate.limit"},
		{func(c *Config) { c.Rounds, c.PPO.Reward = 2, RewardJudge }, "rounds: 2: with ppo.reward: judge"},
		{func(c *Config) { c.Rounds, c.Label.Kind, c.Label.HumanFile = 2, judge.KindNone, "h.jsonl" }, "label.judge is none"},
		{func(c *Config) { c.PPO.Reward = "rm" }, "ppo.reward"},
		{func(c *Config) {
			c.PPO.Reward, c.Label.Kind, c.Label.HumanFile = RewardJudge, judge.KindNone, "h.jsonl"
		}, "ppo.reward"},
	} {
		c := Quick()
		tc.edit(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err %v, want one naming %s", err, tc.want)
		}
		if _, ok := errors.AsType[*yamlconf.KeyError](err); !ok {
			t.Errorf("err %v is not a *yamlconf.KeyError", err)
		}
	}
	// The rounds are a top-level key of the run config.
	c := Default()
	if err := c.Decode(strings.NewReader("rounds: 3\nppo:\n  reward: model\n"), "r.yaml"); err != nil || c.Rounds != 3 {
		t.Fatalf("decoded rounds %d (%v)", c.Rounds, err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestARoundStageErrorNamesItsSection: a setting that fails a later
// round's stage is named by its section (generate.data), not the stage's
// directory.
func TestARoundStageErrorNamesItsSection(t *testing.T) {
	cfg := Quick()
	cfg.PPO.Reward = RewardModel // the default is the judge; rounds need a reward model
	cfg.Rounds = 2
	_, err := run(t, t.TempDir(), cfg, &fakeSteps{keyAt: "generate-2"})
	if err == nil || !strings.Contains(err.Error(), "stage generate-2: read: generate.data:") {
		t.Fatalf("err %v, want one naming generate.data", err)
	}
}
