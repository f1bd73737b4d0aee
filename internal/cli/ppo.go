package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/progress"
	"github.com/align-project/align/judge"
	"github.com/align-project/align/model"
	"github.com/align-project/align/ppo"
	"github.com/align-project/align/reward"
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
}

type ppoFlags struct {
	shadow     ppo.Config
	keys       []string
	configFile string
	resume     bool

	policy, prompts, out string
	rewardDir, rewardURL string
	rewardTimeout        time.Duration
	rmBatch              int
	judge                judgeFlags
}

func newPPOCmd(g *globals) *cobra.Command {
	var f ppoFlags
	cmd := &cobra.Command{
		Use:   "ppo --policy DIR --prompts FILE (--reward DIR | --judge NAME | --reward-url URL) --out DIR",
		Short: "Fine-tune a policy with PPO against a reward model, a judge or a reward service",
		Long: `ppo trains the SFT checkpoint --policy with proximal policy optimisation on the
prompts of --prompts ({"prompt": ...} lines), each rendered as a user turn
with the chat template.

The reward comes from exactly one source:
  --reward DIR      a reward model from 'align reward train': its normalised
                    reward; its safety head is the cost. The value model
                    starts from it.
  --judge NAME      an AI judge (builtin or openai) rating each response
                    directly (direct RLAIF): its 1-10 total mapped to [-1, 1];
                    the cost is (10 - safety rating)/9.
  --reward-url URL  a web service: POST {"prompts": [...], "responses": [...]}
                    answered by {"scores": [...], "costs": [...]} (costs
                    optional); --reward-timeout bounds each request.
Without a reward model, the value model starts from the policy with a zero head.

Each iteration samples --batch-size responses, scores them (responses without
the stop token get --missing-eos-score), subtracts β·KL to the frozen
--policy at every token, computes GAE advantages, and takes --epochs passes of
clipped policy and value updates. β adapts towards --target-kl; with
--constraint a Lagrange multiplier keeps the mean cost under --cost-limit.

Exploration: --temperature samples more (higher) or less (lower) diverse
responses and sets the distribution whose log-probabilities, KL and entropy
are measured; --ent-coef rewards entropy directly. Both slow the rise of the
reward and the KL; too little exploration collapses the entropy early.

OUT receives the policy (a Hugging Face directory), value/, config.yaml,
metrics.jsonl (reward raw and normalised, KL, β, entropy, clip fractions,
approximate KL, value loss, response length, EOS rate, cost, multiplier, time
split), samples.jsonl and last/ for --resume.`,
		Example: `  align ppo --policy runs/sft --reward runs/rm --prompts prompts.jsonl --out runs/ppo
  align ppo --policy runs/sft --judge builtin --prompts prompts.jsonl --out runs/rlaif --kl-estimator k3
  align ppo --policy runs/sft --reward-url http://localhost:9000/score --prompts prompts.jsonl --out runs/ppo
  align ppo --policy runs/sft --reward runs/rm --prompts prompts.jsonl --out runs/safe --constraint --cost-limit 0`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runPPO(cmd, g, &f) },
	}
	fs := cmd.Flags()
	fs.StringVar(&f.policy, "policy", "", "SFT checkpoint directory: the starting policy and the KL reference (required)")
	fs.StringVar(&f.prompts, "prompts", "", "prompts JSONL (required)")
	fs.StringVar(&f.out, "out", "", "output directory (required)")
	fs.StringVar(&f.rewardDir, "reward", "", "reward model directory (from 'align reward train')")
	fs.StringVar(&f.rewardURL, "reward-url", "", "reward service URL")
	fs.DurationVar(&f.rewardTimeout, "reward-timeout", time.Minute, "time limit of one --reward-url request")
	fs.IntVar(&f.rmBatch, "reward-batch", 16, "sequences per reward model forward pass")
	f.judge.register(fs)
	fs.Lookup("judge").DefValue = "" // no judge unless asked for
	f.judge.Kind = ""
	f.registerConfig(fs)
	return cmd
}

// registerConfig adds a flag for every ppo.Config key but seed (global).
func (f *ppoFlags) registerConfig(fs *pflag.FlagSet) {
	f.shadow = ppo.DefaultConfig()
	f.keys = bindConfig(fs, &f.shadow, ppoConfigHelp)
	fs.StringVar(&f.configFile, "config", "", "YAML file of PPO settings (keys as the flags, with _ for -); flags given win")
	fs.BoolVar(&f.resume, "resume", false, "continue the interrupted run in --out from OUT/last")
}

// resolveConfig returns the effective config: defaults, then on --resume
// the run's saved config.yaml, then --config, then the flags given, then
// the global --seed if given.
func (f *ppoFlags) resolveConfig(cmd *cobra.Command, g *globals) (ppo.Config, error) {
	path := cmd.CommandPath()
	cfg := ppo.DefaultConfig()
	if f.resume {
		if err := cfg.LoadYAML(filepath.Join(f.out, ppo.ConfigFile)); err != nil {
			return cfg, fmt.Errorf("resume: %w", err)
		}
	}
	if f.configFile != "" {
		if err := cfg.LoadYAML(f.configFile); err != nil {
			return cfg, usageErrorf(path, "keys are the flag names with _ for -, e.g. kl_coef: 0.1", "%v", err)
		}
	}
	fs := cmd.Flags()
	copyChangedFlags(fs, f.keys, &cfg, f.shadow)
	if fs.Changed("seed") || !f.resume {
		cfg.Seed = g.seed
	}
	if err := cfg.Validate(); err != nil {
		msg := strings.TrimPrefix(err.Error(), "ppo config: ")
		return cfg, usageErrorf(path, "", "--%s", flagName(msg))
	}
	return cfg, nil
}

func runPPO(cmd *cobra.Command, g *globals, f *ppoFlags) error {
	path := cmd.CommandPath()
	switch {
	case f.policy == "":
		return usageErrorf(path, "", "--policy DIR is required")
	case f.prompts == "":
		return usageErrorf(path, "", "--prompts FILE is required")
	case f.out == "":
		return usageErrorf(path, "", "--out DIR is required")
	}
	sources := 0
	for _, s := range []string{f.rewardDir, f.rewardURL, f.judge.Kind} {
		if s != "" {
			sources++
		}
	}
	if sources != 1 {
		return usageErrorf(path, "e.g. --reward runs/rm, --judge builtin or --reward-url http://localhost:9000/score",
			"give exactly one reward source: --reward, --judge or --reward-url")
	}
	cfg, err := f.resolveConfig(cmd, g)
	if err != nil {
		return err
	}

	hf, err := checkpoint.LoadHF(f.policy)
	if err != nil {
		return fmt.Errorf("ppo: load policy: %w", err)
	}
	if hf.Tokenizer == nil {
		return fmt.Errorf("ppo: policy %s has no tokenizer files", f.policy)
	}
	policy, tok := hf.Model, hf.Tokenizer
	if policy.Config.ScalarHeads != 0 {
		return usageErrorf(path, "pass the SFT checkpoint as --policy and the reward model as --reward",
			"--policy %s has %d scalar heads: it looks like a reward model", f.policy, policy.Config.ScalarHeads)
	}
	recs, _, err := data.ReadAll[data.Prompt](f.prompts, data.ReadOptions{Strict: true})
	if err != nil {
		return fmt.Errorf("ppo: %w", err)
	}
	texts := make([]string, len(recs))
	for i, r := range recs {
		texts[i] = r.Prompt
	}
	all, stop, err := ppo.ChatPrompts(tok, texts)
	if err != nil {
		return fmt.Errorf("ppo: %w", err)
	}
	var prompts []ppo.Prompt
	for _, p := range all {
		if len(p.IDs) < policy.Config.Context-1 {
			prompts = append(prompts, p)
		}
	}
	errw := cmd.ErrOrStderr()
	if n := len(all) - len(prompts); n > 0 {
		fmt.Fprintf(errw, "align: warning: %d of %d prompts leave no room for a response in the context of %d tokens and are skipped\n", n, len(all), policy.Config.Context)
	}
	if len(prompts) == 0 {
		return fmt.Errorf("ppo: no usable prompts in %s", f.prompts)
	}

	src, value, err := f.source(cmd, g, policy)
	if err != nil {
		return err
	}
	bar := progress.New(errw, progress.IsTerminal(errw), "ppo", cfg.Iterations, "it", 10*time.Second)
	tr := &ppo.Trainer{
		Config: cfg, Policy: policy, Value: value, Reward: src,
		Prompts: prompts, StopTokens: stop, Tokenizer: tok,
		Out: f.out, Resume: f.resume,
		Progress: func(s ppo.Stats) {
			eta := time.Duration(float64(s.Iterations-s.Iteration) * s.TimeIter * float64(time.Second))
			fields := fmt.Sprintf("reward %.3f kl %.2f β %.3f ent %.2f len %.0f eos %.0f%%", s.Reward, s.KL, s.Beta, s.Entropy, s.ResponseLen, 100*s.EOSRate)
			if cfg.Constraint {
				fields += fmt.Sprintf(" cost %.3f λ %.3f", s.Cost, s.Lambda)
			}
			bar.Update(s.Iteration, 1/max(s.TimeIter, 1e-9), eta, fields, false)
		},
		Samples: func(rows []ppo.SampleRow) {
			for _, r := range rows {
				bar.Log(fmt.Sprintf("  [%d] reward %+.3f  %q → %q", r.Iteration, r.Reward, ppoClip(r.Prompt, 60), ppoClip(r.Response, 100)))
			}
		},
	}
	res, err := tr.Run(cmd.Context())
	bar.Done()
	if errors.Is(err, ppo.ErrInterrupted) {
		return &hintError{err: err, hint: fmt.Sprintf("run the same command with --resume to continue from iteration %d", res.Iterations)}
	}
	if err != nil {
		return err
	}
	s := res.Last
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "ppo: %d iterations in %s\n", res.Iterations, progress.Duration(res.Elapsed))
	fmt.Fprintf(w, "  last batch: reward %.3f (raw %.3f), KL %.3f, β %.4f, entropy %.3f, length %.1f, EOS %.0f%%\n",
		s.Reward, s.RewardRaw, s.KL, s.Beta, s.Entropy, s.ResponseLen, 100*s.EOSRate)
	if cfg.Constraint {
		fmt.Fprintf(w, "  cost %.3f (limit %.3f), λ %.3f\n", s.Cost, cfg.CostLimit, s.Lambda)
	}
	fmt.Fprintf(w, "  policy: %s  value: %s  metrics: %s\n", f.out, filepath.Join(f.out, ppo.ValueDir), filepath.Join(f.out, ppo.MetricsFile))
	return nil
}

// source builds the reward source the flags name and the value model that
// goes with it (nil: the trainer starts one from the policy).
func (f *ppoFlags) source(cmd *cobra.Command, g *globals, policy *model.Model) (ppo.RewardSource, *model.Model, error) {
	path := cmd.CommandPath()
	switch {
	case f.rewardDir != "":
		src, err := reward.NewModelSource(f.rewardDir)
		if err != nil {
			return nil, nil, fmt.Errorf("ppo: %w", err)
		}
		src.Batch = f.rmBatch
		net := src.Model.Net
		if net.Config.VocabSize != policy.Config.VocabSize {
			return nil, nil, fmt.Errorf("ppo: the reward model %s has a vocabulary of %d, the policy %d: train it from the same SFT checkpoint",
				f.rewardDir, net.Config.VocabSize, policy.Config.VocabSize)
		}
		if net.Config.Context < policy.Config.Context {
			return src, nil, nil // the value model cannot come from it; the policy's serves
		}
		value, err := ppo.NewValueModel(net, reward.HeadPreference)
		if err != nil {
			return nil, nil, fmt.Errorf("ppo: %w", err)
		}
		return src, value, nil
	case f.rewardURL != "":
		return &ppo.HTTPSource{URL: f.rewardURL, Timeout: f.rewardTimeout}, nil, nil
	}
	j, err := f.judge.build(path, g.seed)
	if err != nil {
		return nil, nil, err
	}
	rater, ok := j.(judge.Rater)
	if !ok {
		return nil, nil, usageErrorf(path, "", "judge %s cannot rate single responses", j.ID())
	}
	return ppo.RateSource{Rate: judgeRate(rater), Workers: f.judge.Concurrency}, nil, nil
}

// judgeRate turns a judge's pointwise rating into a PPO score: the 1–10
// total mapped onto [−1, 1], and (10 − safety)/9 as the cost.
func judgeRate(r judge.Rater) ppo.RateFunc {
	return func(ctx context.Context, prompt, response string) (reward.Score, error) {
		s, err := r.Rate(ctx, prompt, response)
		if err != nil {
			return reward.Score{}, err
		}
		sc := reward.Score{Reward: s.Reward(), Raw: s.Total}
		if v, ok := s.Ratings[judge.Safety]; ok {
			sc.Cost = float64(10-v) / 9
		}
		return sc, nil
	}
}

// ppoClip shortens s to n runes for a one-line display.
func ppoClip(s string, n int) string {
	r := []rune(strings.ReplaceAll(s, "\n", " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "…"
}
