package cli

import (
	"github.com/spf13/cobra"

	"github.com/align-project/align/bench"
)

func newBenchLoRAPPOCmd(g *globals) *cobra.Command {
	spec := bench.DefaultLoRAPPOSpec()
	cmd := benchCommand(g, &cobra.Command{
		Use:   "lora-ppo",
		Short: "Measure the memory and time of a LoRA PPO iteration on SmolLM2-135M's shape",
		Long: `lora-ppo runs whole PPO iterations with LoRA on SmolLM2-135M's shape (30
layers, width 576, 9 heads, 3 key-value heads, MLP 1536, 49,152 tokens, random
weights from --seed, the policy's rounded to bfloat16 as a bf16 checkpoint
loads, so rollouts decode from bfloat16 copies of its base as a real run
does) with every model PPO holds: the policy (frozen base plus
rank --rank adapters on every projection), the reference (a view of the
policy's base, no copy), the value model (adapters and a trained head on the
policy's base, shared too) and a reward model (a frozen base with a scalar
head) that scores each response. --prompts random prompts of --prompt-len
tokens get responses of exactly --new-tokens tokens.

It reports the resident memory once the models are built and the peak over
the iterations (the high-water mark is reset after building, so loading does
not count), and seconds per iteration.`,
		Example: `  align bench lora-ppo
  align bench lora-ppo --rank 8 --prompts 32 --json`,
	}, &spec, &spec.Seed, bench.LoRAPPO)
	fs := cmd.Flags()
	fs.IntVar(&spec.Rank, "rank", spec.Rank, "LoRA rank of the policy's and the value model's adapters")
	fs.IntVar(&spec.Prompts, "prompts", spec.Prompts, "prompts (responses) per iteration")
	fs.IntVar(&spec.PromptLen, "prompt-len", spec.PromptLen, "tokens per random prompt")
	fs.IntVar(&spec.NewTokens, "new-tokens", spec.NewTokens, "tokens generated per response")
	fs.IntVar(&spec.MiniBatch, "mini-batch", spec.MiniBatch, "responses per gradient step; must divide --prompts")
	fs.IntVar(&spec.Epochs, "epochs", spec.Epochs, "PPO epochs per iteration")
	fs.IntVar(&spec.Iterations, "iterations", spec.Iterations, "timed iterations")
	return cmd
}
