package ppo

import (
	"fmt"
	"strings"
)

// Stats is one iteration's line of metrics.jsonl and what the progress
// display shows. Means over responses are per sequence; means over tokens
// count every response token once.
type Stats struct {
	Iteration  int `json:"iteration"`
	Iterations int `json:"iterations"`

	// Rewards (means over the batch's responses).
	RewardRaw      float64 `json:"reward_raw"`       // the source's score before its normalisation
	Reward         float64 `json:"reward"`           // the source's normalised reward
	RewardStd      float64 `json:"reward_std"`       // spread of Reward over the batch
	Score          float64 `json:"score"`            // what entered the last token: after the EOS penalty, clipping and the constraint
	NonScoreReward float64 `json:"non_score_reward"` // Σ_t −β·KL_t per response
	KL             float64 `json:"kl"`               // Σ_t KL_t per response, with the configured estimator
	Beta           float64 `json:"beta"`             // β used for this batch
	Entropy        float64 `json:"entropy"`          // policy entropy per token (nats), at the sampling temperature
	ResponseLen    float64 `json:"response_len"`     // tokens per response, stop token included
	EOSRate        float64 `json:"eos_rate"`         // fraction of responses that emitted a stop token
	// Refusals by data.LooksLikeRefusal: the share of the responses to
	// harmful prompts that refuse, and of those to the other prompts (nil
	// when the batch has none of them).
	Refusal     *float64 `json:"refusal"`
	OverRefusal *float64 `json:"over_refusal"`

	// Groups of responses to one prompt (critic-free advantages only):
	// those whose scores were all equal carry no signal.
	FlatGroups int     `json:"flat_groups,omitempty"` // flat groups of the first draw
	FlatFrac   float64 `json:"flat_frac,omitempty"`   // their share of the batch's groups
	Resampled  int     `json:"resampled,omitempty"`   // flat groups replaced by resampled ones (resample_flat)

	// Constraint.
	Cost   float64 `json:"cost"`   // mean cost of the batch
	Lambda float64 `json:"lambda"` // Lagrange multiplier used for this batch

	// Update (token means over every minibatch step taken).
	PolicyLoss     float64 `json:"policy_loss"`
	KLLoss         float64 `json:"kl_loss,omitempty"` // β·KL_t per token in the loss (kl_in_loss)
	ValueLoss      float64 `json:"value_loss"`        // ½·mean of the clipped squared error, before vf_coef
	PolicyClipFrac float64 `json:"policy_clipfrac"`
	ValueClipFrac  float64 `json:"value_clipfrac"`
	ApproxKL       float64 `json:"approx_kl"`  // ½·mean (log ρ)² against the rollout policy
	RatioMean      float64 `json:"ratio_mean"` // mean of ρ = π/π_rollout
	Advantage      float64 `json:"advantage"`  // mean advantage before whitening
	Return         float64 `json:"return"`     // mean return (the value targets)
	Value          float64 `json:"value"`      // mean value at rollout
	GradNorm       float64 `json:"grad_norm"`  // policy gradient norm of the last step, before clipping
	ValueGradNorm  float64 `json:"value_grad_norm"`
	Steps          int     `json:"steps"`      // minibatch steps taken this iteration
	EarlyStop      bool    `json:"early_stop"` // approx_kl_stop ended the update early

	// Time split, seconds.
	TimeGenerate float64 `json:"time_generate"`
	TimeScore    float64 `json:"time_score"`
	TimeRef      float64 `json:"time_ref"` // reference log-probs, values and rewards
	TimeUpdate   float64 `json:"time_update"`
	TimeIter     float64 `json:"time_iteration"`
	Elapsed      float64 `json:"elapsed"` // seconds over all resumed runs
}

// Line is a one-line summary for a progress display.
func (s Stats) Line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "iter %d/%d  reward %.3f (raw %.3f)  kl %.3f  β %.4f  entropy %.3f  len %.1f  eos %.0f%%",
		s.Iteration, s.Iterations, s.Reward, s.RewardRaw, s.KL, s.Beta, s.Entropy, s.ResponseLen, 100*s.EOSRate)
	fmt.Fprintf(&b, "  clip %.2f/%.2f  vloss %.4f", s.PolicyClipFrac, s.ValueClipFrac, s.ValueLoss)
	if s.FlatFrac > 0 {
		fmt.Fprintf(&b, "  flat %.0f%%", 100*s.FlatFrac)
	}
	if s.Lambda != 0 || s.Cost != 0 {
		fmt.Fprintf(&b, "  cost %.3f λ %.3f", s.Cost, s.Lambda)
	}
	fmt.Fprintf(&b, "  %.1fs (gen %.1f score %.1f ref %.1f update %.1f)",
		s.TimeIter, s.TimeGenerate, s.TimeScore, s.TimeRef, s.TimeUpdate)
	if s.EarlyStop {
		b.WriteString("  [kl stop]")
	}
	return b.String()
}

// SampleRow is one row of a sample table.
type SampleRow struct {
	Iteration int     `json:"iteration"`
	Prompt    string  `json:"prompt"`
	Response  string  `json:"response"`
	Reward    float64 `json:"reward"` // the source's normalised reward
	Score     float64 `json:"score"`  // after the EOS penalty, clipping and the constraint
	Cost      float64 `json:"cost,omitempty"`
	KL        float64 `json:"kl"`
	EOS       bool    `json:"eos"`
}
