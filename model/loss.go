package model

import (
	"errors"
	"fmt"
	"math"
	"slices"

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
	if m.frozen {
		return 0, errors.New("model loss: a frozen base view has no gradients to write; use LogProbs")
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
// compute them identically. LogProbGrads differentiates them.
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

// LogProbGrads writes into DLogits the gradient of a loss that depends on
// the model through the log-probabilities and entropies of response tokens,
// given the loss's derivatives with respect to them: dlogp[i][j] and
// dent[i][j] belong to token seqs[i][promptLens[i]+j], laid out as LogProbs
// returns its log-probs and entropies (dent may be nil when the loss has no
// entropy term). The last Forward must have run on seqs right-padded to the
// longest, as LogProbs runs it. The log-probs and entropies are those of
// LogProbEntropy under softmax(logits / temperature) (temperature ≤ 0 means
// 1); it is a float64 so that a caller of LogProbEntropy differentiates
// exactly the function it evaluated (a caller of LogProbs passes its float32
// temperature converted). Like LMLoss it replaces what DLogits held, with
// zeros at the positions that predict no response token; Backward then
// accumulates the parameter gradients. The DPO, GRPO and PPO losses are all
// of this form.
func (m *Model) LogProbGrads(seqs [][]int32, promptLens []int, temperature float64, dlogp, dent [][]float64) error {
	if m.b == 0 {
		return errors.New("model logprob grads: no forward pass to differentiate")
	}
	if m.noLogits {
		return errors.New("model logprob grads: logits are turned off")
	}
	if m.frozen {
		return errors.New("model logprob grads: a frozen base view is not differentiated")
	}
	B, T, V := m.b, m.t, m.Config.VocabSize
	switch {
	case len(seqs) != B:
		return fmt.Errorf("model logprob grads: %d sequences for the last forward's batch of %d", len(seqs), B)
	case len(promptLens) != B || len(dlogp) != B:
		return fmt.Errorf("model logprob grads: %d sequences with %d prompt lengths and %d rows of log-prob gradients", B, len(promptLens), len(dlogp))
	case dent != nil && len(dent) != B:
		return fmt.Errorf("model logprob grads: %d sequences with %d rows of entropy gradients", B, len(dent))
	}
	longest := 0
	for i, s := range seqs {
		longest = max(longest, len(s))
		p := promptLens[i]
		switch {
		case p < 1 || p > len(s):
			return fmt.Errorf("model logprob grads: prompt length %d of sequence %d must be in [1, %d]", p, i, len(s))
		case len(dlogp[i]) != len(s)-p:
			return fmt.Errorf("model logprob grads: %d log-prob gradients for the %d response tokens of sequence %d", len(dlogp[i]), len(s)-p, i)
		case dent != nil && len(dent[i]) != len(s)-p:
			return fmt.Errorf("model logprob grads: %d entropy gradients for the %d response tokens of sequence %d", len(dent[i]), len(s)-p, i)
		case len(s) <= T && !slices.Equal(s, m.inputs[i*T:i*T+len(s)]):
			return fmt.Errorf("model logprob grads: sequence %d is not the one the last forward ran on", i)
		}
	}
	if longest != T {
		return fmt.Errorf("model logprob grads: the longest sequence has %d tokens, the last forward ran on %d", longest, T)
	}
	tau := temperature
	if !(tau > 0) {
		tau = 1
	}
	logits, dlogits := m.Logits(), m.DLogits()
	tensor.ParallelFor(B, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			s, p := seqs[i], promptLens[i]
			// Position t predicts token t+1: p−1 up to len(s)−2 predict the response.
			seqGrad := dlogits[i*T*V : (i+1)*T*V]
			clear(seqGrad[:(p-1)*V])
			clear(seqGrad[(len(s)-1)*V:])
			for j, g := range dlogp[i] {
				var ge float64
				if dent != nil {
					ge = dent[i][j]
				}
				k := (i*T + p + j - 1) * V
				logProbEntropyGrad(dlogits[k:k+V], logits[k:k+V], int(s[p+j]), tau, g, ge)
			}
		}
	})
	return nil
}

// logProbEntropyGrad writes into dz the gradient with respect to the logits
// z (one row of V) of dlogp·log p(tok) + dent·H, where p = softmax(z/τ) and
// H is its entropy:
//
//	∂log p(tok)/∂z_j = (1[j = tok] − p_j)/τ
//	∂H/∂z_j        = −p_j·(log p_j + H)/τ
//
// It returns log p(tok) and H, the same float64 operations as
// LogProbEntropy. dz is overwritten.
func logProbEntropyGrad(dz, z []float32, tok int, tau, dlogp, dent float64) (logp, ent float64) {
	mx := z[0]
	for _, v := range z {
		mx = max(mx, v)
	}
	var sum, dot float64
	for j, v := range z {
		x := float64(v-mx) / tau
		e := math.Exp(x)
		dz[j] = float32(e) // scratch: unnormalised probabilities
		sum += e
		dot += e * x
	}
	lse := math.Log(sum)
	ent = lse - dot/sum
	logp = float64(z[tok]-mx)/tau - lse
	inv := 1 / sum
	for j, v := range z {
		p := float64(dz[j]) * inv
		g := -dlogp * p
		if dent != 0 {
			lp := float64(v-mx)/tau - lse
			g -= dent * p * (lp + ent)
		}
		dz[j] = float32(g / tau)
	}
	dz[tok] += float32(dlogp / tau)
	return logp, ent
}
