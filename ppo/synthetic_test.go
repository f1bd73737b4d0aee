package ppo

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/align-project/align/model"
	"github.com/align-project/align/reward"
)

// The synthetic task: a vocabulary of 8 letters "abcdefgh", "h" is the
// stop token, prompts are 1–3 letters other than "d" and "h". A response
// earns 1 when it is exactly the target "d" (then the stop token) and 0
// otherwise; a response that never stops earns the missing-EOS score −1.
// The optimal policy answers every prompt with "d" then the stop token.
const (
	synthV      = 8
	synthStop   = 7
	synthTarget = 3
)

func synthDecode(ids []int32) string {
	var b strings.Builder
	for _, id := range ids {
		b.WriteByte(byte('a' + id))
	}
	return b.String()
}

func synthReward(prompt, response string) reward.Score {
	r := 0.0
	if response == "d" {
		r = 1
	}
	return reward.Score{Reward: r, Raw: r}
}

func synthPrompts(n int, seed uint64) []Prompt {
	rng := rand.New(rand.NewPCG(seed, 7))
	ps := make([]Prompt, n)
	for i := range ps {
		ids := make([]int32, 1+rng.IntN(3))
		for j := range ids {
			ids[j] = int32(rng.IntN(synthStop - 1)) // never the stop token
			if ids[j] >= synthTarget {
				ids[j]++ // nor the target
			}
		}
		ps[i] = Prompt{Text: synthDecode(ids), IDs: ids}
	}
	return ps
}

func synthModel(t testing.TB) *model.Model {
	t.Helper()
	m, err := model.New(model.Config{VocabSize: synthV, Context: 16, Layers: 1, Heads: 2, Channels: 16}, 3)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func synthConfig() Config {
	c := DefaultConfig()
	c.Iterations = 40
	c.BatchSize = 64
	c.MiniBatch = 16
	c.MaxNewTokens = 4
	c.Temperature = 1
	c.LR = 3e-3
	c.KLCoef = 0.01
	c.AdaptiveKL = false
	c.SampleEvery = 0
	c.SaveEvery = 0
	return c
}

func TestSyntheticTaskConverges(t *testing.T) {
	policy := synthModel(t)
	prompts := synthPrompts(32, 1)
	var first, last Stats
	tr := &Trainer{
		Config:     synthConfig(),
		Policy:     policy,
		Reward:     FuncSource(synthReward),
		Prompts:    prompts,
		StopTokens: []int32{synthStop},
		Decode:     synthDecode,
		Progress: func(s Stats) {
			if s.Iteration == 1 {
				first = s
			}
			last = s
			if testing.Verbose() && s.Iteration%5 == 0 {
				t.Log(s.Line())
			}
		},
	}
	res, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Iterations != tr.Config.Iterations {
		t.Fatalf("ran %d iterations, want %d", res.Iterations, tr.Config.Iterations)
	}
	t.Logf("first: %s", first.Line())
	t.Logf("last:  %s", last.Line())
	if last.Score < 0.9 || last.EOSRate < 0.95 {
		t.Errorf("after %d iterations: score %.3f, EOS rate %.2f; want ≥ 0.9 and ≥ 0.95", res.Iterations, last.Score, last.EOSRate)
	}
	// The greedy policy is the optimal one on every prompt.
	ids := make([][]int32, len(prompts))
	for i, p := range prompts {
		ids[i] = p.IDs
	}
	samples, err := policy.Generate(ids, model.SampleOptions{MaxNewTokens: 4, StopTokens: []int32{synthStop}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wrong := 0
	for i, s := range samples {
		if got := synthDecode(s.Tokens); got != "dh" {
			wrong++
			t.Logf("prompt %q: greedy response %q, want \"dh\"", prompts[i].Text, got)
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d prompts get a non-optimal greedy response", wrong, len(prompts))
	}
}
