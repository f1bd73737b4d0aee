package rundir

import (
	"slices"
	"testing"
)

func TestRoundNames(t *testing.T) {
	if got, want := Stages(), []string{Pretrain, SFT, Generate, Label, Reward, PPO, Eval, Report}; !slices.Equal(got, want) {
		t.Errorf("one round: %v, want %v", got, want)
	}
	want := []string{"pretrain", "sft", "generate", "label", "reward", "ppo", "generate-2", "label-2", "reward-2", "ppo-2", "eval", "report"}
	if got := RunStages(2); !slices.Equal(got, want) {
		t.Errorf("two rounds: %v, want %v", got, want)
	}
	for _, tc := range []struct {
		file string
		k    int
		want string
	}{
		{PairsFile, 1, "pairs.jsonl"},
		{PairsFile, 2, "pairs-2.jsonl"},
		{PreferencesFile, 12, "preferences-12.jsonl"},
		{"noext", 3, "noext-3"},
	} {
		if got := RoundFile(tc.file, tc.k); got != tc.want {
			t.Errorf("RoundFile(%q, %d) = %q, want %q", tc.file, tc.k, got, tc.want)
		}
	}
	if Round(PPO, 1) != PPO || Round(PPO, 3) != "ppo-3" {
		t.Errorf("Round: %q, %q", Round(PPO, 1), Round(PPO, 3))
	}
}
