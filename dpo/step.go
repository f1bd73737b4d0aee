package dpo

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/align-project/align/model"
)

// batch returns the training pairs of a step (0-based): its BatchSize pairs
// are positions step·BatchSize onwards of the endless sequence of passes
// over the pairs, and pass k is a permutation drawn from the seed and k, so
// the order needs no state and a resumed run draws the same pairs.
func (r *run) batch(step int) []int {
	n, B := len(r.Train), r.cfg.BatchSize
	out := make([]int, B)
	for k := range out {
		g := step*B + k
		if pass := g / n; pass != r.permPass {
			r.perm = rand.New(rand.NewPCG(r.cfg.Seed, uint64(pass)+1)).Perm(n)
			r.permPass = pass
		}
		out[k] = r.perm[g%n]
	}
	return out
}

// step takes one optimizer step on a batch of pairs: the loss and its
// gradient (batchLoss), one backward pass and AdamW.
func (r *run) step() (Stats, error) {
	t0 := time.Now()
	cfg := r.cfg
	idx := r.batch(r.loop.Step)
	pairs, refs := make([]Pair, len(idx)), make([]refLogps, len(idx))
	for k, i := range idx {
		pairs[k], refs[k] = r.Train[i], r.refTrain[i]
	}
	st := Stats{Step: r.loop.Step + 1, Steps: r.steps, Epoch: float64((r.loop.Step+1)*cfg.BatchSize) / float64(len(r.Train)), LR: cfg.schedule(r.steps).At(r.loop.Step)}
	m := r.Policy
	b, err := cfg.batchLoss(m, pairs, refs, true)
	if err != nil {
		return st, err
	}
	st.Loss, st.Accuracy, st.Margin = b.loss, b.correct/float64(len(pairs)), b.margin
	st.TimeForward, st.TimeLoss = b.timeForward, b.timeLoss
	if !finite(st.Loss) {
		return st, fmt.Errorf("dpo: step %d: %w: the loss is %v; lower lr (%g at this step) or raise beta (%g)", st.Step, ErrDiverged, st.Loss, st.LR, cfg.Beta)
	}
	t2 := time.Now()
	m.ZeroGrad()
	if err := m.Backward(); err != nil {
		return st, fmt.Errorf("dpo: policy backward: %w", err)
	}
	t3 := time.Now()
	if st.GradNorm, err = r.opt.Step(float32(st.LR)); err != nil {
		return st, fmt.Errorf("dpo: step %d: %w: %w", st.Step, ErrDiverged, err)
	}
	r.loop.Step++
	r.loop.TrainCorrect += b.correct
	r.loop.TrainPairs += len(pairs)
	st.TimeBackward, st.TimeOptim = t3.Sub(t2).Seconds(), time.Since(t3).Seconds()
	st.TimeStep = time.Since(t0).Seconds()
	st.Elapsed = r.elapsed()
	return st, nil
}

// batchStats are a batch's loss and implicit-reward statistics.
type batchStats struct {
	loss, margin float64 // batch means
	correct      float64 // pairs won (ties ½)

	timeForward, timeLoss float64 // seconds
}

// batchLoss runs m forward once over the chosen and rejected sequences of
// pairs and scores each pair against its reference log-probs refs. With
// grad it also writes the gradient of the mean loss into m's DLogits, ready
// for Backward.
func (c Config) batchLoss(m *model.Model, pairs []Pair, refs []refLogps, grad bool) (batchStats, error) {
	t0 := time.Now()
	lc, lr, err := pairLogProbs(m, pairs)
	if err != nil {
		return batchStats{}, fmt.Errorf("dpo: policy forward: %w", err)
	}
	t1 := time.Now()
	var b batchStats
	inv := 1 / float64(len(pairs))
	dlogp := make([][]float64, 2*len(pairs))
	for k, p := range pairs {
		pc, pr := f64(lc[k]), f64(lr[k])
		loss, h, dc, dr := c.pairLoss(pc, pr, pairTerms{refC: refs[k].c, refR: refs[k].r, target: c.target(p.PChosen)})
		b.loss += loss * inv
		b.margin += h * inv
		b.correct += won(h)
		dlogp[2*k], dlogp[2*k+1] = fill(len(pc), dc*inv), fill(len(pr), dr*inv)
	}
	if grad {
		seqs, plens := pairRows(pairs)
		if err := m.LogProbGrads(seqs, plens, 1, dlogp, nil); err != nil {
			return b, fmt.Errorf("dpo: policy gradient: %w", err)
		}
	}
	b.timeForward, b.timeLoss = t1.Sub(t0).Seconds(), time.Since(t1).Seconds()
	return b, nil
}

// won is 1 when the policy prefers the chosen response more than the
// reference does, ½ on a tie, 0 otherwise: the implicit reward's accuracy.
func won(h float64) float64 {
	switch {
	case h > 0:
		return 1
	case h == 0:
		return 0.5
	}
	return 0
}

func f64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func fill(n int, v float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}
