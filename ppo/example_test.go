package ppo_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/align-project/align/model"
	"github.com/align-project/align/ppo"
	"github.com/align-project/align/reward"
)

// Train a tiny policy to answer "d" then stop, with a verifiable reward
// written as a Go function.
func ExampleTrainer() {
	policy, _ := model.New(model.Config{VocabSize: 8, Context: 16, Layers: 1, Heads: 2, Channels: 16}, 3)
	decode := func(ids []int32) string {
		var b strings.Builder
		for _, id := range ids {
			b.WriteByte(byte('a' + id))
		}
		return b.String()
	}
	cfg := ppo.DefaultConfig()
	cfg.Iterations, cfg.MaxNewTokens, cfg.Temperature, cfg.LR = 30, 4, 1, 3e-3
	tr := &ppo.Trainer{
		Config: cfg,
		Policy: policy,
		Reward: ppo.FuncSource(func(prompt, response string) reward.Score {
			if response == "d" {
				return reward.Score{Reward: 1, Raw: 1}
			}
			return reward.Score{}
		}),
		Prompts:    []ppo.Prompt{{Text: "a", IDs: []int32{0}}, {Text: "bc", IDs: []int32{1, 2}}},
		StopTokens: []int32{7}, // "h"
		Decode:     decode,
	}
	res, err := tr.Run(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d iterations\n", res.Iterations)
	// The greedy answer to each prompt is now the rewarded one.
	for _, p := range tr.Prompts {
		s, err := policy.Generate([][]int32{p.IDs}, model.SampleOptions{MaxNewTokens: 4, StopTokens: tr.StopTokens}, nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s → %s\n", p.Text, decode(s[0].Tokens))
	}
	// Output:
	// 30 iterations
	// a → dh
	// bc → dh
}
