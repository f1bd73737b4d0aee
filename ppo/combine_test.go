package ppo

import (
	"context"
	"errors"
	"testing"

	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/judge"
	"github.com/align-project/align/reward"
)

func TestWeightedSourceSums(t *testing.T) {
	a := FuncSource(func(_, r string) reward.Score { return reward.Score{Reward: float64(len(r)), Raw: 10, Cost: 1} })
	b := FuncSource(func(_, r string) reward.Score { return reward.Score{Reward: 1, Raw: 2} }) // no cost
	src := WeightedSource{{Source: a, Weight: 2, Name: "a"}, {Source: b, Weight: -0.5, Name: "b"}}
	got, err := src.Score(context.Background(), []string{"p", "q"}, []string{"xyz", ""})
	if err != nil {
		t.Fatal(err)
	}
	// 2·3 − 0.5·1 = 5.5 and 2·0 − 0.5 = −0.5; raw 2·10 − 0.5·2 = 19; cost 2·1 + 0 = 2.
	want := []reward.Score{{Reward: 5.5, Raw: 19, Cost: 2}, {Reward: -0.5, Raw: 19, Cost: 2}}
	if got[0] != want[0] || got[1] != want[1] {
		t.Errorf("scores %+v, want %+v", got, want)
	}
}

// TestVerifySource scores the default world's checkable prompts with its
// checker, and answers of a plain prompts file by their form.
func TestVerifySource(t *testing.T) {
	var sum data.Example
	for _, e := range data.Instructions(1).Train {
		if e.Category == "addition" && e.Checkable {
			sum = e
			break
		}
	}
	recs := []data.Prompt{
		sum.PromptRecord(),
		{Prompt: "How many legs has a spider?", Answer: "8"},
		{Prompt: "Spell cat backwards.", Answer: "tac"},
		{Prompt: "Tell me a joke."},
	}
	src := VerifySource(recs)
	for _, tc := range []struct {
		prompt, response string
		want             float64
	}{
		{sum.Prompt, sum.Ideal, 1},
		{sum.Prompt, "The answer is " + sum.Answer + ".", 1},
		{sum.Prompt, "The answer is " + sum.Answer + "0.", 0},
		{sum.Prompt, "I cannot help with that.", 0},
		{"How many legs has a spider?", "A spider has 8 legs, not 6.", 0}, // the last number must be the answer
		{"How many legs has a spider?", "Eight, I think: 8", 1},
		{"Spell cat backwards.", "It is tac.", 1},
		{"Spell cat backwards.", "It is tack.", 0},
		{"Tell me a joke.", "Why did the chicken cross the road?", 0},
		{"a prompt not in the file", "8", 0},
	} {
		sc := src(tc.prompt, tc.response)
		if sc.Reward != tc.want || sc.Raw != tc.want || sc.Cost != 0 {
			t.Errorf("%q → %q: %+v, want reward %g", tc.prompt, tc.response, sc, tc.want)
		}
	}
}

// TestRewardSpecCombines checks which sources a spec builds and the errors
// of its weights, named by their keys.
func TestRewardSpecCombines(t *testing.T) {
	recs := []data.Prompt{{Prompt: "2 plus 2?", Answer: "4"}}
	alone, _, err := RewardSpec{Verify: true}.source(nil, recs, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := alone.(FuncSource); !ok {
		t.Errorf("a source alone is wrapped: %T", alone)
	}
	mixed, _, err := RewardSpec{Verify: true, VerifyWeight: 2, URL: "http://localhost:1/score", URLWeight: 0.5}.source(nil, recs, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ws, ok := mixed.(WeightedSource); !ok || len(ws) != 2 || ws[0].Weight != 0.5 || ws[1].Weight != 2 {
		t.Errorf("combined source %#v", mixed)
	}
	scaled, _, err := RewardSpec{Verify: true, VerifyWeight: 3}.source(nil, recs, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := scaled.Score(context.Background(), []string{"2 plus 2?"}, []string{"4"}); err != nil || got[0].Reward != 3 {
		t.Errorf("verify weighted 3: %+v, %v", got, err)
	}

	for _, tc := range []struct {
		key  string
		spec RewardSpec
	}{
		{"reward", RewardSpec{}},
		{"reward", RewardSpec{Verify: true, Judge: judge.DefaultSpec()}},
		{"reward", RewardSpec{Verify: true, VerifyWeight: 1, Judge: judge.DefaultSpec()}},
		{"judge_weight", RewardSpec{Verify: true, JudgeWeight: 1}},
		{"verify_weight", RewardSpec{Dir: "rm", VerifyWeight: 1}},
	} {
		err := tc.spec.validate()
		if ke, ok := errors.AsType[*yamlconf.KeyError](err); !ok || ke.Key != tc.key {
			t.Errorf("%+v: got %v, want a *yamlconf.KeyError of %q", tc.spec, err, tc.key)
		}
	}
	if err := (RewardSpec{Verify: true, VerifyWeight: 1, Judge: judge.DefaultSpec(), JudgeWeight: 0.5}).validate(); err != nil {
		t.Errorf("weighted judge and checker: %v", err)
	}
}
