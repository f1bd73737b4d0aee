package cli

import (
	"github.com/spf13/cobra"

	"github.com/align-project/align/ppo"
)

func newGRPOCmd(g *globals) *cobra.Command {
	var f ppoFlags
	cmd := &cobra.Command{
		Use:   "grpo --policy DIR --prompts FILE (--reward DIR | --judge NAME | --reward-url URL | --verify) --out DIR",
		Short: "Fine-tune a policy with GRPO, RLOO or Dr. GRPO: PPO's update without a value model",
		Long: `grpo trains the SFT checkpoint --policy like 'align ppo' (same flags, same
files, same resume), but answers each prompt --group-size times and uses the
group of answers as its own baseline instead of a value model:

  --advantage grpo     A = (r - group mean) / group standard deviation
                       (GRPO, DeepSeekMath): every group weighs the same,
                       whatever the spread of its rewards.
  --advantage rloo     A = r - mean of the other responses to the prompt
                       (REINFORCE leave-one-out): an unbiased baseline, no
                       division; the advantages are those of dr_grpo times
                       G/(G-1).
  --advantage dr_grpo  A = r - group mean (Dr. GRPO): drops the division,
                       which favours groups that barely differ, and is
                       meant with --loss-norm token, which drops the
                       per-response mean that favours short wrong answers.

Every token of a response gets its advantage. A group whose rewards are all
equal has no signal (zero advantage, no gradient): metrics.jsonl counts them
(flat_groups); --resample-flat N draws up to N other prompts per iteration in
their place. No value model is built, trained or saved.

The defaults (ppo.GRPOConfig) differ from 'align ppo': --batch-size 8 prompts
× --group-size 8 responses, --epochs 1, --temperature 1, the KL to the
reference in the loss (--kl-in-loss, k3, fixed β 0.04), --loss-norm
sequence. --clip-range-high sets DAPO's larger upper clip.

` + rewardSourcesHelp + `

` + seedRule,
		Example: `  align grpo --policy runs/sft --verify --prompts embedded --out runs/rlvr
  align grpo --policy runs/sft --reward runs/rm --prompts prompts.jsonl --out runs/grpo --advantage rloo
  align grpo --policy runs/sft --judge builtin --judge-weight 1 --verify --verify-weight 1 --prompts embedded --out runs/mix
  align grpo --policy runs/sft --verify --prompts embedded --out runs/drgrpo --advantage dr_grpo --loss-norm token`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runPPO(cmd, g, &f, ppo.GRPOConfig()) },
	}
	f.register(cmd.Flags(), ppo.GRPOConfig())
	return cmd
}
