package reward_test

import (
	"context"
	"fmt"

	"github.com/align-project/align/data"
	"github.com/align-project/align/model"
	"github.com/align-project/align/reward"
	"github.com/align-project/align/tokenizer"
)

// Train a reward model on a tiny base model to prefer answers that start
// with "good" over those that start with "bad", then score a new pair.
func ExampleTrainer() {
	tok, err := tokenizer.Train(tokenizer.TrainConfig{VocabSize: 300},
		"a good answer is good. a bad answer is bad. write something nice.")
	if err != nil {
		fmt.Println(err)
		return
	}
	base, err := model.New(model.Config{VocabSize: tok.VocabSize(), Context: 48, Layers: 1, Heads: 2, Channels: 16}, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	rm, err := reward.New(base, tok, 0, 7)
	if err != nil {
		fmt.Println(err)
		return
	}
	var prefs []data.Preference
	words := []string{"answer", "nice", "something", "write", "is", "a"}
	for _, w := range words {
		for _, v := range words {
			prefs = append(prefs, data.Preference{Prompt: "say a word", Chosen: "good " + w, Rejected: "bad " + v})
		}
	}
	c := reward.DefaultConfig()
	c.Steps, c.Batch, c.LR, c.Warmup, c.EvalEvery, c.NormSamples = 60, 8, 3e-3, 5, 20, 0
	c.Group = false
	tr := &reward.Trainer{Config: c, Model: rm, Train: prefs[:30], HeldOut: prefs[30:]}
	res, err := tr.Run(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("held-out accuracy %.2f after %d steps\n", res.HeldOutEval.Accuracy, res.Steps)
	sc, err := rm.Score([]string{"say a word", "say a word"}, []string{"good word", "bad word"}, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("reward(good word) > reward(bad word): %v\n", sc[0].Reward > sc[1].Reward)
	// Output:
	// held-out accuracy 1.00 after 60 steps
	// reward(good word) > reward(bad word): true
}
