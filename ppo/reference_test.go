package ppo

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/internal/trainkit"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/judge"
	"github.com/align-project/align/model"
)

// TestTrainFromAnEarlierPolicyKeepsTheReference: a later round of
// iterated RLAIF starts from the previous round's policy with the SFT
// model as the KL reference. The first rollout of such a run is already
// away from the reference; without Reference the policy is its own and
// the first KL is zero.
func TestTrainFromAnEarlierPolicyKeepsTheReference(t *testing.T) {
	sft, prompts := sftFixture(t)
	net, tok, err := checkpoint.LoadPolicy(sft)
	if err != nil {
		t.Fatal(err)
	}
	// An "earlier round": the SFT weights moved far enough to change every
	// next-token distribution.
	for i, p := range net.Params() {
		net.Params()[i] = p + float32(0.3*math.Sin(float64(i)))
	}
	dir := t.TempDir()
	round1 := filepath.Join(dir, "round1")
	if err := checkpoint.SaveHF(round1, net, tok, checkpoint.HFOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg := tinyStageConfig()
	cfg.Iterations = 1
	firstKL := func(name, reference string) float64 {
		t.Helper()
		out := filepath.Join(dir, name)
		_, err := Train(context.Background(), TrainSpec{Config: cfg, Policy: round1, Reference: reference, Prompts: prompts, Out: out,
			Reward: RewardSpec{Judge: judge.DefaultSpec()}})
		if err != nil {
			t.Fatal(err)
		}
		lines, err := trainkit.ReadLog[Stats](filepath.Join(out, MetricsFile))
		if err != nil || len(lines) != 1 {
			t.Fatalf("%s: metrics %v, %v", name, lines, err)
		}
		return lines[0].KL
	}
	if kl := firstKL("own", ""); math.Abs(kl) > 1e-3 {
		t.Errorf("without a reference the first KL is %g, want 0 (the policy is its own reference)", kl)
	}
	if kl := firstKL("sft-ref", sft); !(kl > 0.05) {
		t.Errorf("with the SFT reference the first KL is %g, want it clearly above 0", kl)
	}

	// A checkpoint that interrupted with one reference does not resume
	// with another.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(dir, "interrupted")
	spec := TrainSpec{Config: cfg, Policy: round1, Reference: sft, Prompts: prompts, Out: out, Reward: RewardSpec{Judge: judge.DefaultSpec()}}
	if _, err := Train(ctx, spec); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("cancelled run: %v", err)
	}
	spec.Resume, spec.Reference = true, ""
	if _, err := Train(context.Background(), spec); err == nil || !strings.Contains(err.Error(), "reference policy differs") {
		t.Errorf("resumed with another reference: %v", err)
	}

	// A reference of another vocabulary, or one that is missing, is an
	// error of the setting "reference"; so is an Out inside it.
	other, err := model.New(model.Config{VocabSize: tok.VocabSize() + 8, Context: 40, Layers: 1, Heads: 2, Channels: 16}, 3)
	if err != nil {
		t.Fatal(err)
	}
	otherDir := filepath.Join(dir, "other")
	if err := checkpoint.SaveHF(otherDir, other, tok, checkpoint.HFOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ reference, out string }{
		{otherDir, ""},
		{filepath.Join(dir, "missing"), ""},
		{sft, filepath.Join(sft, "ppo")},
	} {
		_, err := Train(context.Background(), TrainSpec{Config: cfg, Policy: round1, Reference: tc.reference, Prompts: prompts, Out: tc.out,
			Reward: RewardSpec{Judge: judge.DefaultSpec()}})
		if ke, ok := errors.AsType[*yamlconf.KeyError](err); !ok || ke.Key != "reference" && ke.Key != "out" {
			t.Errorf("reference %s, out %q: %v, want an error of the setting reference", tc.reference, tc.out, err)
		}
	}
}

// TestRefusalsSplitByHarm: the refusal statistics of a batch count the
// responses to harmful prompts and to the others apart, and say nothing of
// a group the batch does not hold.
func TestRefusalsSplitByHarm(t *testing.T) {
	prompts := []Prompt{{Harmful: true}, {Harmful: true}, {}, {}, {}}
	refuse, answer := "I can't help with that.", "Sure, here it is."
	harmful, other := refusals(prompts, []int{0, 1, 2, 3, 4, 0}, []string{refuse, answer, refuse, answer, answer, refuse})
	if harmful == nil || other == nil || math.Abs(*harmful-2.0/3) > 1e-12 || math.Abs(*other-1.0/3) > 1e-12 {
		t.Errorf("refusals %v, %v; want 2/3 and 1/3", harmful, other)
	}
	harmful, other = refusals(prompts, []int{2, 3}, []string{answer, answer})
	if harmful != nil || other == nil || *other != 0 {
		t.Errorf("a batch without harmful prompts: %v, %v; want nil and 0", harmful, other)
	}
}
