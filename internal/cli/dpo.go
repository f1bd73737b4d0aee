package cli

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/align-project/align/dpo"
)

// dpoConfigHelp describes each dpo.Config key; the flag of key "beta" is
// --beta.
var dpoConfigHelp = map[string]string{
	"loss":              "sigmoid (DPO), ipo (squared loss towards a margin of 1/(2β)), robust (rDPO: unbiased under labels flipped at rate --label-flip-rate) or conservative (cDPO: labels smoothed by --label-flip-rate)",
	"beta":              "β: how strongly the policy is held to the reference (larger = closer)",
	"label_flip_rate":   "ε: the assumed share of wrong labels (robust, below 0.5) or the label smoothing (conservative)",
	"use_soft_labels":   "conservative loss: a record's p_chosen is its target instead of 1 - ε",
	"length_normalize":  "average log-probs over a response's tokens instead of summing them (counters a bias towards long or short responses)",
	"lr":                "peak learning rate (AdamW)",
	"min_lr":            "learning rate at the end of the cosine decay",
	"warmup":            "steps of linear warm-up",
	"batch_size":        "preference pairs per step",
	"steps":             "optimizer steps (0 = --epochs passes over the training pairs)",
	"epochs":            "passes over the training pairs when --steps is 0",
	"max_len":           "tokens per sequence at most; longer pairs are cut as the reward model cuts them (0 = the policy's context)",
	"max_grad_norm":     "clip the gradient norm to this (0 = off)",
	"weight_decay":      "AdamW decoupled weight decay",
	"eval_every":        "steps between held-out evaluations (0 = only at the end)",
	"patience":          "stop early after this many evaluations without a better held-out accuracy (0 = never)",
	"min_delta":         "held-out accuracy improvement a new best needs",
	"kl_prompts":        "held-out prompts answered by the policy at each evaluation to measure its KL to the reference (0 = no KL)",
	"kl_max_new_tokens": "longest response sampled for the KL",
	"chosen_drop_warn":  "warn when the held-out chosen log-prob falls this many nats below the reference's (0 = never)",
	"save_every":        "steps between resumable checkpoints in OUT/last (0 = only at the end and on Ctrl-C)",
}

type dpoFlags struct {
	cfg settingsFlags[dpo.Config]

	policy, reference, data, heldOut, out string
	heldOutFrac                           float64
}

func newDPOCmd(g *globals) *cobra.Command {
	var f dpoFlags
	cmd := &cobra.Command{
		Use:   "dpo --policy DIR --data prefs.jsonl --out DIR",
		Short: "Fine-tune a policy directly on preference pairs with DPO (no reward model, no sampling)",
		Long: `dpo trains the SFT checkpoint --policy with direct preference optimisation on
the preferences of --data ({"prompt", "chosen", "rejected"} lines, optional
"p_chosen"; 'align label' writes them), each prompt rendered as a user turn
with the chat template and cut to --max-len as the reward model cuts it; a
pair the cut leaves without a difference is skipped with a warning.

The policy is its own reward model: the implicit reward of a response is
β·(log π(response) − log π_ref(response)) against the frozen reference
(--policy itself, or --reference). Each step raises the implicit reward of
the chosen responses over the rejected ones by the loss of --loss. The
reference's log-probabilities are computed once and cached in
OUT/ref_logprobs.bin.

Held-out data is --heldout FILE, else --heldout-frac of --data chosen by a
hash of the prompt. Every --eval-every steps the run measures on it the
implicit reward's accuracy and mean margin, the chosen and rejected
log-probs and their change from the reference (a large fall of the chosen
ones is warned about: DPO can make the preferred answers less likely too),
and the KL to the reference of responses sampled for --kl-prompts prompts.
The policy of the best held-out accuracy is kept; --patience stops early.

OUT receives the policy (a Hugging Face directory), config.yaml,
metrics.jsonl (one line per step, evaluations included), last/ for --resume
and the reference cache.

` + seedRule,
		Example: `  align dpo --policy runs/sft --data prefs.jsonl --out runs/dpo
  align dpo --policy runs/sft --data prefs.jsonl --heldout held.jsonl --out runs/ipo --loss ipo --beta 0.5
  align dpo --policy runs/sft --data noisy.jsonl --out runs/rdpo --loss robust --label-flip-rate 0.2
  align dpo --policy runs/dpo --reference runs/sft --data more.jsonl --out runs/dpo2`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runDPO(cmd, g, &f) },
	}
	fs := cmd.Flags()
	fs.StringVar(&f.policy, "policy", "", "SFT checkpoint directory: the starting policy and, without --reference, the reference (required)")
	fs.StringVar(&f.reference, "reference", "", "reference checkpoint when --policy is not it (a policy trained further: its SFT model)")
	fs.StringVar(&f.data, "data", "", "preferences JSONL (required)")
	fs.StringVar(&f.heldOut, "heldout", "", "held-out preferences JSONL (default: --heldout-frac of --data)")
	fs.Float64Var(&f.heldOutFrac, "heldout-frac", dpo.DefaultHeldOutFrac, "share of --data held out by prompt hash when --heldout is not given")
	fs.StringVar(&f.out, "out", "", "output directory (required)")
	f.cfg.register(fs, dpo.DefaultConfig(), dpoConfigHelp, true)
	return cmd
}

func runDPO(cmd *cobra.Command, g *globals, f *dpoFlags) error {
	path := cmd.CommandPath()
	cfg, err := f.cfg.resolve(cmd, g, dpo.DefaultConfig(), filepath.Join(f.out, dpo.ConfigFile))
	if err != nil {
		return err
	}
	if done, err := f.cfg.printed(cmd.OutOrStdout(), cfg); done {
		return err
	}
	switch {
	case f.policy == "":
		return usageErrorf(path, "", "--policy DIR is required")
	case f.data == "":
		return usageErrorf(path, "", "--data FILE is required")
	case f.out == "":
		return usageErrorf(path, "", "--out DIR is required")
	}
	spec := dpo.TrainSpec{
		Config: cfg, Policy: f.policy, Reference: f.reference, Data: f.data, HeldOut: f.heldOut, HeldOutFrac: f.heldOutFrac,
		Out: f.out, Resume: f.cfg.resume, Overwrite: f.cfg.overwrite, Log: cmd.ErrOrStderr(),
	}
	if err := spec.Validate(); err != nil {
		return keyUsage(path, err)
	}
	res, err := dpo.Train(cmd.Context(), spec)
	if errors.Is(err, dpo.ErrInterrupted) {
		return &hintError{err: err, hint: fmt.Sprintf("run the same command with --resume to continue from step %d", res.Steps)}
	}
	if err != nil {
		return err
	}
	res.WriteText(cmd.OutOrStdout())
	return nil
}
