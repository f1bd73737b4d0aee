package reward

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/align-project/align/chat"
	"github.com/align-project/align/model"
)

// ReferenceSamples lets policy (an SFT model) answer prompts, cycling
// through them until n samples exist, and returns each as the sequence the
// reward model scores (see Sequence). The answers are sampled by
// chat.Sampler with opts (a Batch of 0 means 16). policy must share m's
// tokenizer; it may be m.Net itself before training, whose LM head is the
// SFT model's.
func (m *Model) ReferenceSamples(policy *model.Model, prompts []string, n int, opts chat.SampleOptions, rng *rand.Rand) ([][]int32, error) {
	if len(prompts) == 0 || n < 1 {
		return nil, errors.New("reference samples: no prompts")
	}
	f, err := m.Tok.ChatFormat()
	if err != nil {
		return nil, fmt.Errorf("reference samples: %w", err)
	}
	s, err := chat.NewSampler(policy, m.Tok)
	if err != nil {
		return nil, fmt.Errorf("reference samples: %w", err)
	}
	texts := make([]string, n)
	for i := range texts {
		texts[i] = prompts[i%len(prompts)]
	}
	policy.SetComputeLogits(true)
	resps, err := s.Sample(texts, opts, rng)
	if err != nil {
		return nil, fmt.Errorf("reference samples: %w", err)
	}
	out := make([][]int32, len(resps))
	for i, r := range resps {
		p := make([]int, len(r.PromptIDs))
		for j, id := range r.PromptIDs {
			p[j] = int(id)
		}
		toks := make([]int, len(r.Tokens))
		for j, id := range r.Tokens {
			toks[j] = int(id)
		}
		out[i] = Sequence(p, toks, m.enc.eos, f.Stop, m.enc.maxLen)
	}
	return out, nil
}

// NormStats are the statistics the normalisation was computed from.
type NormStats struct {
	Samples    int               `json:"samples"`
	Mean       [NumHeads]float64 `json:"mean"` // raw head outputs
	Std        [NumHeads]float64 `json:"std"`
	RewardMean float64           `json:"reward_mean"` // the weighted combination before its own gain and bias
	RewardStd  float64           `json:"reward_std"`
}

// Normalize scores the reference sequences and sets m's gains and biases so
// that on them every head, and the combined reward, has mean 0 and standard
// deviation 1. A head that is constant on them keeps gain 1.
func (m *Model) Normalize(seqs [][]int32, batch int) (NormStats, error) {
	if len(seqs) < 2 {
		return NormStats{}, fmt.Errorf("normalize: %d reference samples, need at least 2", len(seqs))
	}
	in := &m.Info
	for k := range NumHeads {
		in.Gain[k], in.Bias[k] = 1, 0
	}
	in.RewardGain, in.RewardBias = 1, 0
	sc, err := m.ScoreSequences(seqs, batch)
	if err != nil {
		return NormStats{}, fmt.Errorf("normalize: %w", err)
	}
	st := NormStats{Samples: len(seqs)}
	col := make([]float64, len(sc))
	for k := range NumHeads {
		for i, s := range sc {
			col[i] = s.Heads[k]
		}
		st.Mean[k], st.Std[k] = meanStd(col)
		g := 1.0
		if st.Std[k] > 1e-8 {
			g = 1 / st.Std[k]
		}
		in.Gain[k], in.Bias[k] = g, -g*st.Mean[k]
	}
	for i, s := range sc {
		col[i] = 0
		for k := range NumHeads {
			col[i] += in.Weights[k] * (in.Gain[k]*s.Heads[k] + in.Bias[k])
		}
	}
	st.RewardMean, st.RewardStd = meanStd(col)
	g := 1.0
	if st.RewardStd > 1e-8 {
		g = 1 / st.RewardStd
	}
	in.RewardGain, in.RewardBias = g, -g*st.RewardMean
	in.Normalized, in.NormSamples = true, len(seqs)
	return st, nil
}
