package ppo

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestExploration measures what the sampling temperature and the entropy
// bonus do to reward, KL and entropy on the synthetic task (see
// synthetic_test.go), over three seeds, and checks the findings the notes
// draw from it: the entropy bonus keeps the policy's entropy up and so
// delays convergence, without it every temperature converges, and hotter
// sampling learns slower at first. See the table with
//
//	go test ./ppo -run Exploration -v
func TestExploration(t *testing.T) {
	if testing.Short() {
		t.Skip("36 short PPO runs")
	}
	type cell struct{ reward, kl, ent, at10, first90 float64 }
	temps, ents := []float64{0.7, 1, 1.5}, []float64{0, 0.05, 0.2}
	seeds := []uint64{1, 2, 3}
	cells := map[[2]float64]cell{}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-6s %-8s %8s %8s %8s %10s %10s\n", "temp", "ent_coef", "reward", "kl", "entropy", "reward@10", "iter≥0.9")
	for _, temp := range temps {
		for _, ent := range ents {
			var c cell
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
							c.at10 += s.Reward
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
			c = cell{c.reward / n, c.kl / n, c.ent / n, c.at10 / n, c.first90 / n}
			cells[[2]float64{temp, ent}] = c
			fmt.Fprintf(&b, "%-6.1f %-8.2f %8.3f %8.3f %8.3f %10.3f %10.1f\n", temp, ent, c.reward, c.kl, c.ent, c.at10, c.first90)
		}
	}
	t.Log(b.String())

	for _, temp := range temps {
		none, bonus := cells[[2]float64{temp, 0}], cells[[2]float64{temp, 0.2}]
		if none.reward < 0.9 {
			t.Errorf("temperature %.1f without entropy bonus: final reward %.3f, want ≥ 0.9", temp, none.reward)
		}
		if bonus.ent < 2*none.ent {
			t.Errorf("temperature %.1f: final entropy %.3f with ent_coef 0.2, want at least twice the %.3f without", temp, bonus.ent, none.ent)
		}
		if bonus.first90 <= none.first90 {
			t.Errorf("temperature %.1f: reward 0.9 reached at iteration %.1f with ent_coef 0.2, want later than %.1f without", temp, bonus.first90, none.first90)
		}
	}
	if cold, hot := cells[[2]float64{0.7, 0}], cells[[2]float64{1.5, 0}]; hot.at10 >= cold.at10 {
		t.Errorf("reward at iteration 10: %.3f at temperature 1.5, want below the %.3f at 0.7", hot.at10, cold.at10)
	}
}
