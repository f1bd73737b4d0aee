package ppo

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestExplorationExperiment measures what the sampling temperature and the
// entropy bonus do to reward, KL and entropy on the synthetic task (see
// synthetic_test.go), over three seeds. It is an experiment for the notes,
// not a check: run it with
//
//	ALIGN_PPO_EXPERIMENT=1 go test ./ppo -run Exploration -v
func TestExplorationExperiment(t *testing.T) {
	if os.Getenv("ALIGN_PPO_EXPERIMENT") == "" {
		t.Skip("set ALIGN_PPO_EXPERIMENT=1 to run")
	}
	type cell struct{ reward, kl, ent, first90 float64 }
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-6s %-8s %8s %8s %8s %10s %10s\n", "temp", "ent_coef", "reward", "kl", "entropy", "reward@10", "iter≥0.9")
	for _, temp := range []float64{0.7, 1, 1.5} {
		for _, ent := range []float64{0, 0.05, 0.2} {
			var c cell
			var at10 float64
			seeds := []uint64{1, 2, 3}
			for _, seed := range seeds {
				cfg := synthConfig()
				cfg.Iterations, cfg.Temperature, cfg.EntCoef, cfg.Seed = 30, temp, ent, seed
				first := 0
				var last Stats
				tr := &Trainer{
					Config: cfg, Policy: synthModel(t), Reward: FuncSource(synthReward),
					Prompts: synthPrompts(32, seed), StopTokens: []int32{synthStop}, Decode: synthDecode,
					Progress: func(s Stats) {
						if first == 0 && s.Reward >= 0.9 {
							first = s.Iteration
						}
						if s.Iteration == 10 {
							at10 += s.Reward
						}
						last = s
					},
				}
				if _, err := tr.Run(context.Background()); err != nil {
					t.Fatal(err)
				}
				if first == 0 {
					first = cfg.Iterations + 1
				}
				c.reward += last.Reward
				c.kl += last.KL
				c.ent += last.Entropy
				c.first90 += float64(first)
			}
			n := float64(len(seeds))
			fmt.Fprintf(&b, "%-6.1f %-8.2f %8.3f %8.3f %8.3f %10.3f %10.1f\n", temp, ent, c.reward/n, c.kl/n, c.ent/n, at10/n, c.first90/n)
		}
	}
	t.Log(b.String())
}
