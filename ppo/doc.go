// Package ppo fine-tunes a language model policy with proximal policy
// optimisation against a reward signal, the reinforcement-learning stage of
// RLHF and RLAIF.
//
// One iteration of Trainer.Run follows the known implementation details of
// PPO for language models (Ziegler et al. 2019; Huang et al., "The N
// Implementation Details of RLHF with PPO"; TRL's PPOTrainer), each of them a
// field of Config:
//
//  1. Rollout: sample a response to each prompt of the batch with the KV-cache
//     sampler at Config.Temperature. Generation stops at a stop token, so a
//     response ends with its EOS or runs to MaxNewTokens; the log-probabilities
//     are those of softmax(logits / temperature), the distribution sampled.
//  2. Score: a RewardSource scores the (prompt, response) texts. A response
//     that never emitted EOS gets MissingEOSScore (−1) instead; the score is
//     clipped to ±ScoreClip and, with a cost constraint, combined with the
//     cost as (r − λ·c)/(1 + λ).
//  3. Reference: the frozen reference policy (the SFT model) gives its
//     log-probabilities of the same tokens at the same temperature, and the
//     value model its values. The per-token reward is −β·KL_t at every token
//     (KL estimator k1, k2 or k3) plus the score at the last token; it may be
//     whitened.
//  4. Advantages: GAE (γ, λ) on each response, returns = advantages +
//     values, advantages whitened over all response tokens of the batch.
//  5. Update: Epochs passes over shuffled minibatches, each one Adam step of
//     the policy on the clipped surrogate (minus an entropy bonus) and one of
//     the value model on the clipped value loss, all as means over response
//     tokens. An epoch stops early when the approximate KL to the rollout
//     policy passes ApproxKLStop.
//  6. Controllers: β follows the adaptive KL controller towards TargetKL per
//     sequence; the Lagrange multiplier λ of the cost constraint rises while
//     the batch's mean cost exceeds CostLimit and falls below it.
//
// Critic-free advantages (Config.Advantage grpo, rloo or dr_grpo; see
// Advantage) change steps 1, 3, 4 and 5 and nothing else: the rollout
// answers each of its BatchSize prompts GroupSize times; no value model is
// built, evaluated, trained or saved; each response's sequence reward (its
// score, minus β·ΣKL_t unless KLInLoss moves the KL into the loss) is
// compared with the other responses to its prompt and the result is the
// advantage of every one of its tokens, unwhitened. Groups whose scores
// are all equal carry no signal; Stats counts them and ResampleFlat
// replaces some. The update may clip the ratio asymmetrically
// (ClipRangeHigh) and average per response (LossNorm). GRPOConfig holds
// the defaults of 'align grpo'. With the default Config (advantage gae)
// every draw, metric and weight is what it was before these existed.
//
// Only response tokens count: the prompt, the padding of a minibatch and
// anything after the stop token take no part in any loss, mean or whitening.
//
// The value model is a separate network with one scalar head (NewValueModel),
// initialised from the reward model when there is one; in a LoRA run it
// shares the frozen base of the policy or the reward model instead of
// copying it and trains adapters and its head (NewLoRAValueModel). Reward sources sit
// behind the small RewardSource interface and give a reward.Score per
// response: reward.ModelSource for a reward model checkpoint, RateSource for
// pointwise judges (direct RLAIF; Train adapts a judge.Rater to it),
// FuncSource for Go functions (tests), VerifySource for checked answers
// (verifiable rewards), HTTPSource for a scoring service, and
// WeightedSource for a weighted sum of several. ChatPrompts renders prompt texts the way SFT and the
// reward model saw them.
//
// Run writes metrics.jsonl (one Stats per iteration), samples.jsonl (sample
// tables every SampleEvery iterations) and a resumable checkpoint; a resumed
// run continues bit-identically for the same seed and thread count.
package ppo
