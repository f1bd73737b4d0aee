package reward

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/align-project/align/model"
)

// SampleOptions say how reference samples are drawn for the normalisation.
type SampleOptions struct {
	N            int     // samples in all, prompts taken in turn
	MaxNewTokens int     // longest response
	Temperature  float32 // 0 = greedy
	Batch        int     // prompts sampled together
}

// ReferenceSamples lets policy (an SFT model) answer prompts, cycling
// through them until opts.N samples exist, and returns each as the sequence
// the reward model scores (see Sequence). policy must share m's tokenizer;
// it may be m.Net itself before training, whose LM head is the SFT model's.
func (m *Model) ReferenceSamples(policy *model.Model, prompts []string, opts SampleOptions, rng *rand.Rand) ([][]int32, error) {
	if len(prompts) == 0 || opts.N < 1 {
		return nil, errors.New("reference samples: no prompts")
	}
	batch := opts.Batch
	if batch < 1 {
		batch = 16
	}
	f, err := m.Tok.ChatFormat()
	if err != nil {
		return nil, fmt.Errorf("reference samples: %w", err)
	}
	stops := make([]int32, len(f.Stop))
	for i, s := range f.Stop {
		stops[i] = int32(s)
	}
	encoded := make([][]int, len(prompts))
	for i, p := range prompts {
		if encoded[i], err = m.EncodePrompt(p); err != nil {
			return nil, fmt.Errorf("reference samples: %w", err)
		}
	}
	policy.SetComputeLogits(true)
	var out [][]int32
	for next := 0; len(out) < opts.N; {
		n := min(batch, opts.N-len(out))
		ps := make([][]int32, n)
		maxNew := opts.MaxNewTokens
		for i := range ps {
			ids := encoded[next%len(encoded)]
			next++
			// Keep the prompt's end so that prompt and reply fit the context.
			if room := policy.Config.Context - maxNew; len(ids) > room {
				ids = ids[len(ids)-max(room, 1):]
			}
			ps[i] = make([]int32, len(ids))
			for j, id := range ids {
				ps[i][j] = int32(id)
			}
		}
		longest := 0
		for _, p := range ps {
			longest = max(longest, len(p))
		}
		maxNew = max(1, min(maxNew, policy.Config.Context-longest))
		samples, err := policy.Generate(ps, model.SampleOptions{MaxNewTokens: maxNew, Temperature: opts.Temperature, StopTokens: stops}, rng)
		if err != nil {
			return nil, fmt.Errorf("reference samples: %w", err)
		}
		for i, s := range samples {
			p := make([]int, len(ps[i]))
			for j, id := range ps[i] {
				p[j] = int(id)
			}
			r := make([]int, len(s.Tokens))
			for j, id := range s.Tokens {
				r[j] = int(id)
			}
			out = append(out, Sequence(p, r, m.enc.eos, f.Stop, m.enc.maxLen))
		}
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
