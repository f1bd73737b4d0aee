package model

import (
	"errors"
	"fmt"
	"math"

	"github.com/align-project/align/tensor"
)

// LMLoss scores the logits of the last Forward against targets (B,T): the
// next token at each position, or a negative id to ignore the position.
// weights (B,T), or nil for all ones, is the per-token loss mask (SFT and PPO
// mask prompts and padding with 0). It returns the weighted mean loss
// Σ w·loss / Σ w over the positions with weight > 0 (the plain mean for a 0/1
// mask) and writes its gradient into DLogits, replacing what was there. With
// no weighted position the loss and the gradient are zero.
func (m *Model) LMLoss(targets []int32, weights []float32) (float32, error) {
	if m.b == 0 {
		return 0, errors.New("model loss: no forward pass to score")
	}
	if m.noLogits {
		return 0, errors.New("model loss: logits are turned off")
	}
	n, V := m.b*m.t, m.Config.VocabSize
	if len(targets) != n {
		return 0, fmt.Errorf("model loss: %d targets for %d positions", len(targets), n)
	}
	if weights != nil && len(weights) != n {
		return 0, fmt.Errorf("model loss: %d weights for %d positions", len(weights), n)
	}
	a := &m.acts
	lw := a.lossW[:n]
	var wsum float64
	for i, tgt := range targets {
		if int(tgt) >= V {
			return 0, fmt.Errorf("model loss: target %d at index %d is outside the vocabulary [0, %d)", tgt, i, V)
		}
		w := float32(1)
		if weights != nil {
			w = weights[i]
			if !(w >= 0) || math.IsInf(float64(w), 0) {
				return 0, fmt.Errorf("model loss: weight %v at index %d must be finite and ≥ 0", w, i)
			}
		}
		if tgt < 0 {
			w = 0
		}
		lw[i] = w
		wsum += float64(w)
	}
	if wsum == 0 {
		clear(a.dlogits[:n*V])
		return 0, nil
	}
	for i := range lw {
		lw[i] = float32(float64(lw[i]) / wsum)
	}
	losses := a.losses[:n]
	tensor.CrossEntropy(losses, a.dlogits[:n*V], a.logits[:n*V], targets, lw, n, V)
	var loss float64
	for i, l := range losses {
		loss += float64(lw[i]) * float64(l)
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return float32(loss), fmt.Errorf("model loss: loss is %v", loss)
	}
	return float32(loss), nil
}

// LogProbs runs one teacher-forced Forward over seqs (right-padded to the
// longest) and returns, for every token after its sequence's prompt, its
// log-probability and the entropy of the predicting distribution, both under
// softmax(logits / temperature) (temperature ≤ 0 means 1). logprobs[i][j]
// belongs to seqs[i][promptLens[i]+j]. The model is left holding this
// Forward, so a caller may fill DLogits (shape: len(seqs) × longest × V) and
// call Backward.
func (m *Model) LogProbs(seqs [][]int32, promptLens []int, temperature float32) (logprobs, entropies [][]float32, err error) {
	cfg := m.Config
	if len(seqs) == 0 || len(seqs) != len(promptLens) {
		return nil, nil, fmt.Errorf("model logprobs: %d sequences with %d prompt lengths", len(seqs), len(promptLens))
	}
	if m.noLogits {
		return nil, nil, errors.New("model logprobs: logits are turned off")
	}
	B, T := len(seqs), 0
	for i, s := range seqs {
		if promptLens[i] < 1 || promptLens[i] > len(s) {
			return nil, nil, fmt.Errorf("model logprobs: prompt length %d of sequence %d must be in [1, %d]", promptLens[i], i, len(s))
		}
		T = max(T, len(s))
	}
	if T > cfg.Context {
		return nil, nil, fmt.Errorf("model logprobs: sequence of %d tokens exceeds the context of %d", T, cfg.Context)
	}
	inputs := make([]int32, B*T)
	for i, s := range seqs {
		copy(inputs[i*T:], s)
	}
	if err := m.Forward(inputs, B, T); err != nil {
		return nil, nil, fmt.Errorf("model logprobs: %w", err)
	}
	tau := float64(temperature)
	if !(tau > 0) {
		tau = 1
	}
	logprobs, entropies = make([][]float32, B), make([][]float32, B)
	for i, s := range seqs {
		logprobs[i] = make([]float32, len(s)-promptLens[i])
		entropies[i] = make([]float32, len(s)-promptLens[i])
	}
	V, logits := cfg.VocabSize, m.Logits()
	tensor.ParallelFor(B, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			s, p := seqs[i], promptLens[i]
			for j := range logprobs[i] {
				row := logits[(i*T+p+j-1)*V:][:V]
				lp, ent := LogProbEntropy(row, int(s[p+j]), tau)
				logprobs[i][j], entropies[i][j] = float32(lp), float32(ent)
			}
		}
	})
	return logprobs, entropies, nil
}

// LogProbEntropy returns log softmax(z/tau)[tok] and the entropy of
// softmax(z/tau) for one row of logits z, accumulated in float64: the
// teacher-forced numbers LogProbs reports, shared with PPO's update so both
// compute them identically.
func LogProbEntropy(z []float32, tok int, tau float64) (logp, ent float64) {
	mx := z[0]
	for _, v := range z {
		mx = max(mx, v)
	}
	var sum, dot float64
	for _, v := range z {
		x := float64(v-mx) / tau
		e := math.Exp(x)
		sum += e
		dot += e * x
	}
	lse := math.Log(sum)
	return float64(z[tok]-mx)/tau - lse, lse - dot/sum
}
