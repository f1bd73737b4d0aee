package dpo

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/align-project/align/internal/trainkit"
	"github.com/align-project/align/model"
)

// evaluate scores the held-out pairs and measures the KL into st.Eval,
// keeps the best policy, counts towards early stopping and warns when the
// chosen responses lose probability.
func (r *run) evaluate(st *Stats) error {
	ev, err := r.heldOut()
	if err != nil {
		return err
	}
	if r.cfg.KLPrompts > 0 && len(r.klPrompts) > 0 {
		kl, err := r.kl()
		if err != nil {
			return err
		}
		ev.KL = &kl
	}
	lp := &r.loop
	trainAcc := lp.TrainCorrect / float64(max(lp.TrainPairs, 1))
	lp.TrainCorrect, lp.TrainPairs = 0, 0
	stopper := trainkit.EarlyStopper{HigherIsBetter: true, Patience: r.cfg.Patience, MinDelta: r.cfg.MinDelta}
	v := stopper.Observe(&lp.Stop, lp.Step, trainAcc, ev.HeldOutAccuracy)
	var warnings []string
	if d := r.cfg.ChosenDropWarn; d > 0 && ev.ChosenDelta < -d {
		warnings = append(warnings, fmt.Sprintf("the held-out chosen log-prob fell %.2f nats below the reference's (rejected: %+.2f): DPO is lowering the likelihood of the preferred responses too; consider a larger beta, a lower lr or fewer steps",
			-ev.ChosenDelta, ev.RejectedDelta))
	}
	if v.Improved {
		if err := r.saveBest(); err != nil {
			return err
		}
	} else if v.Stop {
		warnings = append(warnings, fmt.Sprintf("early stopping: no better held-out accuracy in %d evaluations; keeping step %d (accuracy %.4f)", lp.Stop.BadEvals, lp.Stop.BestStep, *lp.Stop.Best))
	}
	for _, w := range warnings {
		r.warn(fmt.Sprintf("step %d: %s", lp.Step, w))
	}
	ev.Warning = joinWarnings(warnings)
	ev.BestAccuracy, ev.BestStep = *lp.Stop.Best, lp.Stop.BestStep
	st.Eval = ev
	return nil
}

func joinWarnings(ws []string) string {
	out := ""
	for i, w := range ws {
		if i > 0 {
			out += "; "
		}
		out += w
	}
	return out
}

// heldOut scores every held-out pair with the policy against the cached
// reference log-probs.
func (r *run) heldOut() (*Eval, error) {
	cfg := r.cfg
	ev := &Eval{}
	n := float64(len(r.HeldOut))
	for lo := 0; lo < len(r.HeldOut); lo += cfg.BatchSize {
		part := r.HeldOut[lo:min(lo+cfg.BatchSize, len(r.HeldOut))]
		lc, lr, err := pairLogProbs(r.Policy, part)
		if err != nil {
			return nil, fmt.Errorf("dpo: evaluate: %w", err)
		}
		for k, p := range part {
			c, rj := f64(lc[k]), f64(lr[k])
			ref := r.refHeld[lo+k]
			loss, h, _, _ := cfg.pairLoss(c, rj, pairTerms{refC: ref.c, refR: ref.r, target: cfg.target(p.PChosen)})
			nc, nr := 1.0, 1.0
			if cfg.LengthNormalize {
				nc, nr = float64(len(c)), float64(len(rj))
			}
			ev.HeldOutLoss += loss / n
			ev.HeldOutMargin += h / n
			ev.HeldOutAccuracy += won(h) / n
			ev.ChosenLogp += sum(c) / nc / n
			ev.RejectedLogp += sum(rj) / nr / n
			ev.ChosenDelta += (sum(c) - ref.c) / nc / n
			ev.RejectedDelta += (sum(rj) - ref.r) / nr / n
		}
	}
	if !finite(ev.HeldOutLoss) {
		return nil, fmt.Errorf("dpo: step %d: %w: the held-out loss is %v", r.loop.Step, ErrDiverged, ev.HeldOutLoss)
	}
	return ev, nil
}

// klPrompts are the distinct prompts of the first held-out pairs, up to n,
// that leave room for a response in the context: the prompts the KL to the
// reference is measured on.
func klPrompts(held []Pair, n, context int) [][]int32 {
	var out [][]int32
	for _, p := range held {
		if len(out) == n {
			break
		}
		prompt := p.Chosen[:p.PromptLen]
		if len(prompt) >= context-1 || slices.ContainsFunc(out, func(q []int32) bool { return slices.Equal(q, prompt) }) {
			continue
		}
		out = append(out, prompt)
	}
	return out
}

// klSeedStream names the random stream of the KL samples.
const klSeedStream = 0x6b6c // "kl"

// kl samples a response to each KL prompt from the policy (temperature 1,
// the KV-cache sampler) and returns the mean over responses of
// Σ(log π − log π_ref) of its tokens: a Monte Carlo estimate of
// KL(π ‖ π_ref) per response. Every evaluation draws from the same seeded
// stream, so the estimate depends on the seed and the policy only (and a
// resumed run measures what an uninterrupted one does).
func (r *run) kl() (float64, error) {
	rng := rand.New(rand.NewPCG(r.cfg.Seed, klSeedStream))
	opts := model.SampleOptions{MaxNewTokens: r.cfg.KLMaxNewTokens, Temperature: 1, StopTokens: r.StopTokens}
	samples, err := r.Policy.Generate(r.klPrompts, opts, rng)
	if err != nil {
		return 0, fmt.Errorf("dpo: kl: %w", err)
	}
	seqs, plens := make([][]int32, len(samples)), make([]int, len(samples))
	for i, s := range samples {
		seqs[i] = append(slices.Clone(r.klPrompts[i]), s.Tokens...)
		plens[i] = len(r.klPrompts[i])
	}
	lp, _, err := r.Policy.LogProbs(seqs, plens, 1)
	if err != nil {
		return 0, fmt.Errorf("dpo: kl: %w", err)
	}
	lref, _, err := r.Ref.LogProbs(seqs, plens, 1)
	if err != nil {
		return 0, fmt.Errorf("dpo: kl: %w", err)
	}
	var kl float64
	for i := range seqs {
		kl += sum32(lp[i]) - sum32(lref[i])
	}
	return kl / float64(len(seqs)), nil
}
