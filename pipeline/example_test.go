package pipeline_test

import (
	"fmt"
	"strings"

	"github.com/align-project/align/pipeline"
)

// A run config starts from a profile and takes a YAML overlay; a setting
// that cannot work is named by its place in the config.
func ExampleConfig_Validate() {
	cfg := pipeline.Quick()
	overlay := "seed: 7\nppo:\n  batch_size: 16\n  mini_batch: 5\n"
	if err := cfg.Decode(strings.NewReader(overlay), "run.yaml"); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("seed of every stage:", cfg.Pretrain.Seed, cfg.SFT.Seed, cfg.Reward.Seed, cfg.PPO.Seed)
	fmt.Println(cfg.Validate())
	// Output:
	// seed of every stage: 7 7 7 7
	// ppo.mini_batch: 5: must divide batch_size
}
