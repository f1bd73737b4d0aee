package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/align-project/align/ppo"
)

// ppoConfigHelp describes each ppo.Config key; the flag of key "kl_coef" is
// --kl-coef.
var ppoConfigHelp = map[string]string{
	"iterations":          "PPO iterations (rollout + update)",
	"batch_size":          "prompts answered per iteration",
	"mini_batch":          "responses per gradient step; must divide --batch-size",
	"max_new_tokens":      "longest response in tokens, stop token included",
	"temperature":         "sampling temperature, also used for every log-probability (exploration: higher samples more diverse responses)",
	"recompute_logprobs":  "recompute the rollout log-probs with a forward pass instead of taking the sampler's",
	"missing_eos_penalty": "score responses that never emit the stop token with --missing-eos-score",
	"missing_eos_score":   "the score of a response without a stop token",
	"kl_estimator":        "per-token KL estimator in the reward: k1, k2 or k3",
	"kl_coef":             "β of the KL penalty: fixed, or the start of the adaptive controller",
	"adaptive_kl":         "adapt β towards --target-kl",
	"target_kl":           "adaptive β: target KL to the reference per response, in nats",
	"kl_horizon":          "adaptive β: horizon in responses",
	"whiten_rewards":      "scale the per-token rewards to unit variance over the batch",
	"score_clip":          "clip scores to ±this (0 = off)",
	"gamma":               "discount γ",
	"lambda":              "GAE λ",
	"epochs":              "passes over each rollout batch",
	"clip_range":          "ε of the clipped policy ratio",
	"clip_range_value":    "clip of the value change from the rollout's values (0 = off)",
	"vf_coef":             "value loss coefficient",
	"ent_coef":            "entropy bonus coefficient (exploration; 0 = off)",
	"lr":                  "policy learning rate (Adam)",
	"value_lr":            "value model learning rate (0 = --lr)",
	"adam_eps":            "Adam ε",
	"max_grad_norm":       "clip each network's gradient norm to this (0 = off)",
	"approx_kl_stop":      "stop an iteration's update when the approximate KL to the rollout policy passes this (0 = never)",
	"constraint":          "constrain the mean cost (reward model safety head, judge safety rating, or the service's costs) to --cost-limit",
	"cost_limit":          "the mean cost per response to stay under",
	"lambda_init":         "initial Lagrange multiplier of the constraint",
	"lambda_lr":           "multiplier step per unit of cost above the limit",
	"lambda_max":          "upper bound of the multiplier (0 = none)",
	"sample_every":        "iterations between sample tables of prompt, response, reward (0 = never)",
	"sample_rows":         "rows per sample table",
	"save_every":          "iterations between resumable checkpoints in OUT/last (0 = only at the end and on Ctrl-C)",
	"advantage":           "advantage estimator: gae (value model + GAE, PPO), grpo ((r - group mean)/group std), rloo (r - mean of the other responses to the prompt) or dr_grpo (r - group mean)",
	"group_size":          "responses sampled per prompt; at least 2 with grpo, rloo, dr_grpo (a rollout has batch-size × group-size responses)",
	"clip_range_high":     "upper ε of the clipped ratio, as DAPO's clip-higher (0 = --clip-range)",
	"loss_norm":           "token (mean over the minibatch's response tokens) or sequence (mean per response, then over responses)",
	"kl_in_loss":          "put β·KL to the reference in the loss at every token instead of in the reward (GRPO)",
	"resample_flat":       "with groups: replacement prompts drawn per iteration for groups whose scores are all equal (0 = keep them)",
}

type ppoFlags struct {
	cfg settingsFlags[ppo.Config]

	policy, prompts, out string
	reference            string
	rewardDir, rewardURL string
	rewardTimeout        time.Duration
	rmBatch              int
	judge                judgeFlags
	verify               bool
	weights              struct{ dir, url, judge, verify float64 }
}

// rewardSourcesHelp is the part of the help of 'align ppo' and 'align grpo'
// on reward sources.
const rewardSourcesHelp = `The reward comes from one source, or several summed with weights:
  --reward DIR      a reward model from 'align reward train': its normalised
                    reward; its safety head is the cost. With advantage gae
                    the value model starts from it.
  --judge NAME      an AI judge (builtin or openai) rating each response
                    directly (direct RLAIF): its 1-10 total mapped to [-1, 1];
                    the cost is (10 - safety rating)/9.
  --reward-url URL  a web service: POST {"prompts": [...], "responses": [...]}
                    answered by {"scores": [...], "costs": [...]} (costs
                    optional); --reward-timeout bounds each request.
  --verify          the answer checker (verifiable rewards): 1 when the
                    response gives the "answer" of its prompt in --prompts
                    (the default world's checker: the last number for sums
                    and counts, the word or phrase otherwise), else 0.
                    Alone, prompts without an answer are skipped; combined,
                    they score 0 from it.
Two or more sources need each one's weight (--reward-weight, --judge-weight,
--reward-url-weight, --verify-weight): the reward is the weighted sum, and so
is the cost of the sources that have one.`

func newPPOCmd(g *globals) *cobra.Command {
	var f ppoFlags
	cmd := &cobra.Command{
		Use:   "ppo --policy DIR --prompts FILE (--reward DIR | --judge NAME | --reward-url URL | --verify) --out DIR",
		Short: "Fine-tune a policy with PPO against a reward model, a judge, a reward service or checked answers",
		Long: `ppo trains the SFT checkpoint --policy with proximal policy optimisation on the
prompts of --prompts ({"prompt": ...} lines), each rendered as a user turn
with the chat template.

` + rewardSourcesHelp + `
Without a reward model, the value model starts from the policy with a zero head.

Each iteration samples --batch-size responses, scores them (responses without
the stop token get --missing-eos-score), subtracts β·KL to the frozen
--policy (or --reference) at every token, computes GAE advantages, and takes
--epochs passes of clipped policy and value updates. β adapts towards
--target-kl; with --constraint a Lagrange multiplier keeps the mean cost
under --cost-limit. --advantage grpo, rloo or dr_grpo drop the value model
for group baselines: see 'align grpo', which starts from their defaults.

Exploration: --temperature samples more (higher) or less (lower) diverse
responses and sets the distribution whose log-probabilities, KL and entropy
are measured; --ent-coef rewards entropy directly. Both slow the rise of the
reward and the KL; too little exploration collapses the entropy early.

OUT receives the policy (a Hugging Face directory), value/, config.yaml,
metrics.jsonl (reward raw and normalised, KL, β, entropy, clip fractions,
approximate KL, value loss, response length, EOS rate, cost, multiplier, time
split), samples.jsonl and last/ for --resume.

` + seedRule,
		Example: `  align ppo --policy runs/sft --reward runs/rm --prompts prompts.jsonl --out runs/ppo
  align ppo --policy runs/sft --judge builtin --prompts prompts.jsonl --out runs/rlaif --kl-estimator k3
  align ppo --policy runs/sft --reward-url http://localhost:9000/score --prompts prompts.jsonl --out runs/ppo
  align ppo --policy runs/sft --reward runs/rm --prompts prompts.jsonl --out runs/safe --constraint --cost-limit 0
  align ppo --policy runs/sft --reward runs/rm --reward-weight 1 --verify --verify-weight 2 --prompts embedded --out runs/mix`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runPPO(cmd, g, &f, ppo.DefaultConfig()) },
	}
	f.register(cmd.Flags(), ppo.DefaultConfig())
	return cmd
}

// register adds the flags of 'align ppo' and 'align grpo', the settings
// defaulting to defaults.
func (f *ppoFlags) register(fs *pflag.FlagSet, defaults ppo.Config) {
	fs.StringVar(&f.policy, "policy", "", "SFT checkpoint directory: the starting policy and the KL reference (required)")
	fs.StringVar(&f.reference, "reference", "", "KL reference checkpoint when --policy is not it (a policy trained further: its SFT model)")
	fs.StringVar(&f.prompts, "prompts", "", `prompts JSONL, or "embedded" for the training prompts of the default world of --seed (required)`)
	fs.StringVar(&f.out, "out", "", "output directory (required)")
	fs.StringVar(&f.rewardDir, "reward", "", "reward model directory (from 'align reward train')")
	fs.StringVar(&f.rewardURL, "reward-url", "", "reward service URL")
	fs.DurationVar(&f.rewardTimeout, "reward-timeout", time.Minute, "time limit of one --reward-url request")
	fs.IntVar(&f.rmBatch, "reward-batch", 16, "sequences per reward model forward pass")
	fs.BoolVar(&f.verify, "verify", false, `reward checked answers: 1 when a response gives its prompt's "answer", else 0`)
	fs.Float64Var(&f.weights.dir, "reward-weight", 0, "weight of --reward among several sources")
	fs.Float64Var(&f.weights.url, "reward-url-weight", 0, "weight of --reward-url among several sources")
	fs.Float64Var(&f.weights.judge, "judge-weight", 0, "weight of --judge among several sources")
	fs.Float64Var(&f.weights.verify, "verify-weight", 0, "weight of --verify among several sources")
	f.judge.register(fs)
	fs.Lookup("judge").DefValue = "" // no judge unless asked for
	f.judge.Kind = ""
	f.cfg.register(fs, defaults, ppoConfigHelp, true)
}

// runPPO resolves the settings from defaults and runs ppo.Train: 'align
// ppo' and 'align grpo' differ only in their defaults.
func runPPO(cmd *cobra.Command, g *globals, f *ppoFlags, defaults ppo.Config) error {
	path := cmd.CommandPath()
	cfg, err := f.cfg.resolve(cmd, g, defaults, filepath.Join(f.out, ppo.ConfigFile))
	if err != nil {
		return err
	}
	if done, err := f.cfg.printed(cmd.OutOrStdout(), cfg); done {
		return err
	}
	switch {
	case f.policy == "":
		return usageErrorf(path, "", "--policy DIR is required")
	case f.prompts == "":
		return usageErrorf(path, "", "--prompts FILE is required")
	case f.out == "":
		return usageErrorf(path, "", "--out DIR is required")
	case f.rewardDir == "" && f.rewardURL == "" && f.judge.Kind == "" && !f.verify:
		return usageErrorf(path, "e.g. --reward runs/rm, --judge builtin, --reward-url http://localhost:9000/score or --verify",
			"give a reward source: --reward, --judge, --reward-url or --verify")
	}
	js := f.judge.Spec
	js.Seed = g.seed
	spec := ppo.TrainSpec{
		Config: cfg, Policy: f.policy, Reference: f.reference, Prompts: f.prompts, Out: f.out, Resume: f.cfg.resume, Overwrite: f.cfg.overwrite, Log: cmd.ErrOrStderr(),
		Reward: ppo.RewardSpec{Dir: f.rewardDir, URL: f.rewardURL, Timeout: f.rewardTimeout, Batch: f.rmBatch, Judge: js, Verify: f.verify,
			DirWeight: f.weights.dir, URLWeight: f.weights.url, JudgeWeight: f.weights.judge, VerifyWeight: f.weights.verify},
	}
	if err := spec.Validate(); err != nil {
		return keyUsage(path, err)
	}
	res, err := ppo.Train(cmd.Context(), spec)
	if errors.Is(err, ppo.ErrInterrupted) {
		return &hintError{err: err, hint: fmt.Sprintf("run the same command with --resume to continue from iteration %d", res.Iterations)}
	}
	if err != nil {
		return err
	}
	res.WriteText(cmd.OutOrStdout())
	return nil
}
