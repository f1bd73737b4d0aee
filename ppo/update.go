package ppo

import (
	"fmt"
	"math"

	"github.com/align-project/align/model"
	"github.com/align-project/align/tensor"
)

// stepStats sums the token statistics of minibatch steps.
type stepStats struct {
	tokens                   int
	pgLoss, pgClip, approxKL float64
	ratio, entropy           float64
	vLoss, vClip             float64
	klLoss                   float64 // Σ β·KL_t of kl_in_loss
	entTokens                int     // tokens whose entropy was summed (first epoch)
	policyNorm, valueNorm    float64
	steps                    int
	earlyStop                bool
}

// update runs the PPO epochs over the rollout and fills the update
// statistics of st.
func (r *run) update(ro *rollout, st *Stats) error {
	cfg := r.cfg
	order := make([]int, ro.n)
	for i := range order {
		order[i] = i
	}
	var acc stepStats
epochs:
	for epoch := range cfg.Epochs {
		r.rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for lo := 0; lo < ro.n; lo += cfg.MiniBatch {
			mb := order[lo:min(lo+cfg.MiniBatch, ro.n)]
			stop, err := r.policyStep(ro, mb, epoch == 0, &acc)
			if err != nil {
				return err
			}
			if stop {
				acc.earlyStop = true
				break epochs
			}
			if r.Value != nil {
				if err := r.valueStep(ro, mb, &acc); err != nil {
					return err
				}
			}
			acc.steps++
		}
	}
	n := float64(max(acc.tokens, 1))
	st.PolicyLoss, st.PolicyClipFrac = acc.pgLoss/n, acc.pgClip/n
	st.ApproxKL, st.RatioMean = acc.approxKL/n, acc.ratio/n
	st.ValueLoss, st.ValueClipFrac = acc.vLoss/n, acc.vClip/n
	st.Entropy = acc.entropy / float64(max(acc.entTokens, 1))
	st.GradNorm, st.ValueGradNorm = acc.policyNorm, acc.valueNorm
	st.Steps, st.EarlyStop = acc.steps, acc.earlyStop
	st.KLLoss = acc.klLoss / n
	return nil
}

// tokenStat is one token's share of a policy step.
type tokenStat struct {
	loss, dlogp, kl, ratio, ent float64
	klLoss                      float64 // β·KL_t to the reference with kl_in_loss
	clipped                     bool
}

// policyStep takes one Adam step of the policy on the clipped surrogate of
// the minibatch mb (indices into the rollout) minus the entropy bonus, as a
// mean over its response tokens. With ApproxKLStop set and the minibatch's
// approximate KL beyond it, no step is taken and stop is true.
func (r *run) policyStep(ro *rollout, mb []int, firstEpoch bool, acc *stepStats) (stop bool, err error) {
	stats, N, err := r.policyLoss(ro, mb)
	if err != nil {
		return false, err
	}
	var approxKL float64
	for _, ts := range stats {
		for _, s := range ts {
			approxKL += s.kl
		}
	}
	if r.cfg.ApproxKLStop > 0 && approxKL/float64(N) > r.cfg.ApproxKLStop {
		return true, nil
	}
	if err := r.policyGrad(ro, mb, stats, N); err != nil {
		return false, err
	}
	for _, ts := range stats {
		for _, s := range ts {
			acc.pgLoss += s.loss
			acc.klLoss += s.klLoss
			acc.ratio += s.ratio
			if s.clipped {
				acc.pgClip++
			}
			if firstEpoch {
				acc.entropy += s.ent
			}
		}
	}
	if firstEpoch {
		acc.entTokens += N
	}
	acc.approxKL += approxKL
	acc.tokens += N
	m := r.Policy
	m.ZeroGrad()
	if err := m.Backward(); err != nil {
		return false, fmt.Errorf("ppo: policy backward: %w", err)
	}
	norm, err := r.popt.Step(float32(r.cfg.LR))
	if err != nil {
		return false, fmt.Errorf("ppo: policy step: %w: %w", ErrDiverged, err)
	}
	acc.policyNorm = norm
	return false, nil
}

// policyLoss runs the policy forward on the minibatch mb and returns every
// response token's log-probability, entropy and clipped surrogate, with the
// number N of response tokens. The objective minimised is
// Σ w·(loss + β·KL) − ent_coef·Σ w·entropy, w the tokenWeight (1/N by
// default) and the KL term only with kl_in_loss.
func (r *run) policyLoss(ro *rollout, mb []int) (stats [][]tokenStat, N int, err error) {
	cfg := r.cfg
	m := r.Policy
	seqs := make([][]int32, len(mb))
	for b, i := range mb {
		seqs[b] = ro.seqs[i]
		N += ro.respLen(i)
	}
	inputs, T := pad(seqs)
	if err := m.Forward(inputs, len(mb), T); err != nil {
		return nil, 0, fmt.Errorf("ppo: policy forward: %w", err)
	}
	V := m.Config.VocabSize
	logits := m.Logits()
	stats = make([][]tokenStat, len(mb))
	tensor.ParallelFor(len(mb), func(lo, hi int) {
		for b := lo; b < hi; b++ {
			i := mb[b]
			p := ro.plen[i]
			ts := make([]tokenStat, ro.respLen(i))
			for j := range ts {
				row := logits[(b*T+p+j-1)*V:][:V]
				lp, ent := model.LogProbEntropy(row, int(ro.seqs[i][p+j]), cfg.Temperature)
				old := float64(ro.logp[i][j])
				var ref float64
				if cfg.KLInLoss {
					ref = float64(ro.ref[i][j])
				}
				loss, kl, dlogp, clipped := cfg.tokenLoss(lp, old, ref, float64(ro.adv[i][j]), ro.beta)
				d := lp - old
				ts[j] = tokenStat{loss: loss, dlogp: dlogp, kl: 0.5 * d * d, ratio: math.Exp(d), ent: ent, clipped: clipped, klLoss: kl}
			}
			stats[b] = ts
		}
	})
	return stats, N, nil
}

// policyGrad writes the gradient of the objective of policyLoss into the
// policy's DLogits, only at the positions that predict response tokens:
// the prompt and the padding get a zero gradient.
func (r *run) policyGrad(ro *rollout, mb []int, stats [][]tokenStat, N int) error {
	seqs, plens := make([][]int32, len(mb)), make([]int, len(mb))
	dlogps, dents := make([][]float64, len(mb)), make([][]float64, len(mb))
	for b, i := range mb {
		seqs[b], plens[b] = ro.seqs[i], ro.plen[i]
		dlogps[b], dents[b] = make([]float64, len(stats[b])), make([]float64, len(stats[b]))
		w := r.cfg.tokenWeight(len(stats[b]), len(mb), N)
		dent := -r.cfg.EntCoef * w
		for j, s := range stats[b] {
			dlogps[b][j], dents[b][j] = s.dlogp*w, dent
		}
	}
	if err := r.Policy.LogProbGrads(seqs, plens, r.cfg.Temperature, dlogps, dents); err != nil {
		return fmt.Errorf("ppo: policy gradient: %w", err)
	}
	return nil
}

// valueStep takes one Adam step of the value model on vf_coef times the
// clipped value loss of the minibatch, as a mean over its response tokens.
func (r *run) valueStep(ro *rollout, mb []int, acc *stepStats) error {
	loss, clipped, err := r.valueLoss(ro, mb)
	if err != nil {
		return err
	}
	acc.vLoss += loss
	acc.vClip += float64(clipped)
	m := r.Value
	m.ZeroGrad()
	if err := m.Backward(); err != nil {
		return fmt.Errorf("ppo: value backward: %w", err)
	}
	norm, err := r.vopt.Step(float32(r.cfg.valueLR()))
	if err != nil {
		return fmt.Errorf("ppo: value step: %w: %w", ErrDiverged, err)
	}
	acc.valueNorm = norm
	return nil
}

// valueLoss runs the value model forward on the minibatch mb, writes the
// gradient of vf_coef·Σ loss/N into DScalars at the positions of response
// tokens only, and returns Σ loss (before the coefficient and the mean)
// and the number of clipped tokens.
func (r *run) valueLoss(ro *rollout, mb []int) (loss float64, clipped int, err error) {
	cfg := r.cfg
	m := r.Value
	seqs := make([][]int32, len(mb))
	N := 0
	for b, i := range mb {
		seqs[b] = ro.seqs[i]
		N += ro.respLen(i)
	}
	inputs, T := pad(seqs)
	if err := m.Forward(inputs, len(mb), T); err != nil {
		return 0, 0, fmt.Errorf("ppo: value forward: %w", err)
	}
	K := m.Config.ScalarHeads
	s, ds := m.Scalars(), m.DScalars()
	scale := cfg.VFCoef / float64(N)
	for b, i := range mb {
		p := ro.plen[i]
		for j := range ro.respLen(i) {
			k := (b*T + p + j - 1) * K
			l, dv, c := ValueLoss(float64(s[k]), float64(ro.values[i][j]), float64(ro.ret[i][j]), cfg.ClipRangeValue)
			ds[k] = float32(dv * scale)
			loss += l
			if c {
				clipped++
			}
		}
	}
	return loss, clipped, nil
}
