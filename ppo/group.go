package ppo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
)

// Advantage names how the trainer turns rewards into advantages.
//
// gae is PPO's: a value model estimates the return of every state and GAE
// combines the per-token rewards with it. The others are critic-free: a
// rollout answers each prompt group_size (G) times and the responses to
// one prompt, a group, are each other's baseline. With R_i the sequence
// reward of response i and R̄ the group's mean,
//
//	grpo     A_i = (R_i − R̄) / (s + 1e-4)   s the group's sample standard deviation (GRPO, Shao et al. 2024)
//	rloo     A_i = R_i − (Σ_{j≠i} R_j)/(G−1) the mean of the others (REINFORCE leave-one-out, Ahmadian et al. 2024)
//	dr_grpo  A_i = R_i − R̄                  no division, which favours no group for its spread (Liu et al. 2025)
//
// and every token of response i gets A_i. A group whose rewards are all
// equal gets zero advantages: it teaches nothing, which Stats.FlatGroups
// counts.
type Advantage string

// The advantage estimators.
const (
	AdvGAE    Advantage = "gae"
	AdvGRPO   Advantage = "grpo"
	AdvRLOO   Advantage = "rloo"
	AdvDrGRPO Advantage = "dr_grpo"
)

func (a Advantage) valid() bool { return a == AdvGAE || a.group() }

// group reports whether a is critic-free: no value model, groups of responses.
func (a Advantage) group() bool { return a == AdvGRPO || a == AdvRLOO || a == AdvDrGRPO }

// UnmarshalText accepts the names in any case, with - for _.
func (a *Advantage) UnmarshalText(b []byte) error {
	v := Advantage(normName(b))
	if !v.valid() {
		return fmt.Errorf("advantage %q: want gae, grpo, rloo or dr_grpo", b)
	}
	*a = v
	return nil
}

// LossNorm names how the per-token losses of a minibatch are averaged.
type LossNorm string

// The loss normalisations. TokenMean weighs every response token of the
// minibatch alike, so long responses count more (PPO as in TRL, DAPO's
// token-level loss); SequenceMean averages each response's tokens first,
// so every response counts alike and a token of a short one weighs more
// (GRPO as published).
const (
	TokenMean    LossNorm = "token"
	SequenceMean LossNorm = "sequence"
)

func (n LossNorm) valid() bool { return n == TokenMean || n == SequenceMean }

// UnmarshalText accepts "token" or "sequence" (any case).
func (n *LossNorm) UnmarshalText(b []byte) error {
	v := LossNorm(normName(b))
	if !v.valid() {
		return fmt.Errorf("loss norm %q: want token or sequence", b)
	}
	*n = v
	return nil
}

func normName(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c == '-':
			c = '_'
		}
		out[i] = c
	}
	return string(out)
}

// GroupAdvantages writes the advantage of each response of one group
// into adv (len(adv) == len(rewards) ≥ 2), by the estimator a (not gae).
func GroupAdvantages(a Advantage, adv, rewards []float64) {
	G := len(rewards)
	if len(adv) != G || G < 2 {
		panic("ppo: GroupAdvantages needs a group of at least 2 with one advantage per reward")
	}
	var sum float64
	for _, r := range rewards {
		sum += r
	}
	mean := sum / float64(G)
	switch a {
	case AdvGRPO:
		var ss float64
		for _, r := range rewards {
			ss += (r - mean) * (r - mean)
		}
		s := math.Sqrt(ss / float64(G-1))
		for i, r := range rewards {
			adv[i] = (r - mean) / (s + 1e-4)
		}
	case AdvRLOO:
		for i, r := range rewards {
			adv[i] = r - (sum-r)/float64(G-1)
		}
	case AdvDrGRPO:
		for i, r := range rewards {
			adv[i] = r - mean
		}
	default:
		panic("ppo: GroupAdvantages of " + string(a))
	}
	if flat(rewards) {
		clear(adv) // exactly: rounding in the mean must not leave a gradient behind
	}
}

// flat reports whether every reward of a group is the same.
func flat(rewards []float64) bool {
	for _, r := range rewards[1:] {
		if r != rewards[0] {
			return false
		}
	}
	return true
}

// groupRewards computes the sequence reward of every response, its
// advantage broadcast to every token, and the group statistics of st.
// With the KL in the reward a response's reward is its score minus β·ΣKL_t,
// the sum of the per-token rewards GAE would see (γ = 1); with kl_in_loss
// it is the score alone and the KL acts through the loss.
func (r *run) groupRewards(ro *rollout, st *Stats) {
	G := r.cfg.GroupSize
	seq := make([]float64, ro.n)
	for i := range ro.n {
		seq[i] = ro.score[i]
		if !r.cfg.KLInLoss {
			var kl float64
			for _, k := range ro.kl[i] {
				kl += float64(k)
			}
			seq[i] -= ro.beta * kl
		}
	}
	adv := make([]float64, ro.n)
	var advSum float64
	for lo := 0; lo < ro.n; lo += G {
		GroupAdvantages(r.cfg.Advantage, adv[lo:lo+G], seq[lo:lo+G])
	}
	ro.adv = ro.rows()
	for i := range ro.n {
		for j := range ro.adv[i] {
			ro.adv[i][j] = float32(adv[i])
		}
		advSum += adv[i]
	}
	st.Advantage = advSum / float64(ro.n)
	st.Return = meanOf(seq)
}

// resample counts the groups of ro whose scores are all equal and, with
// ResampleFlat, answers up to that many replacement prompts (G times each,
// in one more generation) and puts each group that came back with a spread
// of scores in the place of a flat one. The replacements are the first
// prompts outside the batch idx of a permutation drawn from the seed and
// the iteration, so a resumed run draws the same ones without state.
func (r *run) resample(ctx context.Context, ro *rollout, idx []int, st *Stats) error {
	G := r.cfg.GroupSize
	var flats []int // first response of each flat group
	for lo := 0; lo < ro.n; lo += G {
		if flat(ro.score[lo : lo+G]) {
			flats = append(flats, lo)
		}
	}
	st.FlatGroups = len(flats)
	st.FlatFrac = float64(len(flats)) / float64(ro.n/G)
	k := min(len(flats), r.cfg.ResampleFlat)
	if k == 0 {
		return nil
	}
	inBatch := make(map[int]bool, len(idx))
	for _, p := range idx {
		inBatch[p] = true
	}
	var cands []int
	perm := rand.New(rand.NewPCG(r.cfg.Seed^0x666c6174, uint64(r.loop.Iteration)+1)).Perm(len(r.Prompts)) // "flat"
	for _, p := range perm {
		if len(cands) == k {
			break
		}
		if !inBatch[p] {
			cands = append(cands, p)
		}
	}
	if len(cands) == 0 {
		return nil // every prompt is in the batch
	}
	extra, err := r.sample(ctx, r.groups(cands), st)
	if err != nil {
		return err
	}
	for c := range len(cands) {
		lo := c * G
		if flat(extra.score[lo : lo+G]) {
			continue
		}
		to := flats[st.Resampled]
		for j := range G {
			ro.replace(to+j, extra, lo+j)
		}
		st.Resampled++
	}
	return nil
}

// replace puts response j of src in the place of response i of ro (both
// sampled, scored, not yet evaluated).
func (ro *rollout) replace(i int, src *rollout, j int) {
	ro.prompts[i], ro.seqs[i], ro.plen[i] = src.prompts[j], src.seqs[j], src.plen[j]
	ro.stopped[i], ro.texts[i], ro.logp[i] = src.stopped[j], src.texts[j], src.logp[j]
	ro.scores[i], ro.score[i] = src.scores[j], src.score[j]
}

func meanOf(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(max(len(xs), 1))
}
