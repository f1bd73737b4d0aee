package ppo

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/align-project/align/data"
	"github.com/align-project/align/model"
	"github.com/align-project/align/reward"
)

// rollout is one batch of experience. Per-token slices are ragged: row i
// holds one entry per response token of sequence i, stop token included,
// and nothing else, so the prompt and padding never enter a sum.
type rollout struct {
	n       int
	prompts []int     // indices into Trainer.Prompts
	seqs    [][]int32 // prompt + response
	plen    []int     // prompt lengths
	stopped []bool    // the response ends with a stop token
	texts   []string  // response texts (stop token removed)
	scores  []reward.Score
	score   []float64 // the last-token score after EOS penalty, clipping, constraint

	logp, ref, values [][]float32 // rollout policy, reference, value model
	kl, rewards       [][]float32
	adv, ret          [][]float32 // ret is nil without a value model
	beta              float64     // β of the KL penalty when the rollout was made
}

func (ro *rollout) respLen(i int) int { return len(ro.seqs[i]) - ro.plen[i] }

// rows allocates a ragged per-token array shaped like the responses.
func (ro *rollout) rows() [][]float32 {
	out := make([][]float32, ro.n)
	for i := range out {
		out[i] = make([]float32, ro.respLen(i))
	}
	return out
}

// Truncate returns tokens up to and including the first stop token, and
// whether there was one: the response a PPO rollout keeps.
func Truncate(tokens, stop []int32) ([]int32, bool) {
	for i, t := range tokens {
		if slices.Contains(stop, t) {
			return tokens[:i+1], true
		}
	}
	return tokens, false
}

// rollout samples, scores and evaluates one batch, filling the reward and
// rollout parts of st. idx holds the batch's prompts; with groups each is
// answered GroupSize times, the answers to one prompt side by side.
func (r *run) rollout(ctx context.Context, idx []int, st *Stats) (*rollout, error) {
	ro, err := r.sample(ctx, r.groups(idx), st)
	if err != nil {
		return nil, err
	}
	if r.cfg.GroupSize > 1 {
		if err := r.resample(ctx, ro, idx, st); err != nil {
			return nil, err
		}
	}
	st.Refusal, st.OverRefusal = refusals(r.Prompts, ro.prompts, ro.texts)

	// Reference log-probs, values, rewards and advantages.
	t := time.Now()
	if ro.ref, err = r.logProbs(r.Ref, ro); err != nil {
		return nil, err
	}
	if r.Value != nil {
		if ro.values, err = r.values(ro); err != nil {
			return nil, err
		}
	}
	r.rewards(ro, st)
	st.TimeRef = time.Since(t).Seconds()
	return ro, nil
}

// groups repeats each prompt index GroupSize times.
func (r *run) groups(idx []int) []int {
	G := r.cfg.GroupSize
	if G == 1 {
		return idx
	}
	out := make([]int, 0, len(idx)*G)
	for _, k := range idx {
		for range G {
			out = append(out, k)
		}
	}
	return out
}

// sample generates a response to each prompt of idx and scores it, adding
// its time to st.
func (r *run) sample(ctx context.Context, idx []int, st *Stats) (*rollout, error) {
	cfg := r.cfg
	ro := &rollout{n: len(idx), prompts: idx}

	// Generate.
	t := time.Now()
	prompts := make([][]int32, ro.n)
	for i, k := range idx {
		prompts[i] = r.Prompts[k].IDs
	}
	opts := model.SampleOptions{MaxNewTokens: cfg.MaxNewTokens, Temperature: float32(cfg.Temperature), StopTokens: r.StopTokens}
	samples, err := r.Policy.Generate(prompts, opts, r.rng)
	r.Policy.ReleaseDecoding() // the update needs the memory more than the next rollout needs the cache
	if err != nil {
		return nil, fmt.Errorf("ppo: rollout: %w", err)
	}
	ro.seqs, ro.plen, ro.stopped = make([][]int32, ro.n), make([]int, ro.n), make([]bool, ro.n)
	ro.logp, ro.texts = make([][]float32, ro.n), make([]string, ro.n)
	for i, s := range samples {
		resp, stopped := Truncate(s.Tokens, r.StopTokens)
		ro.seqs[i] = append(slices.Clip(prompts[i]), resp...)
		ro.plen[i] = len(prompts[i])
		ro.stopped[i] = stopped
		ro.logp[i] = s.LogProbs[:len(resp)]
		text := resp
		if stopped {
			text = resp[:len(resp)-1]
		}
		ro.texts[i] = r.decode(text)
	}
	if cfg.RecomputeLogProbs {
		if ro.logp, err = r.logProbs(r.Policy, ro); err != nil {
			return nil, err
		}
	}
	st.TimeGenerate += time.Since(t).Seconds()

	// Score.
	t = time.Now()
	texts := make([]string, ro.n)
	for i, k := range idx {
		texts[i] = r.Prompts[k].Text
	}
	ro.scores, err = r.Reward.Score(ctx, texts, ro.texts)
	if err != nil {
		return nil, fmt.Errorf("ppo: rollout: %w", err)
	}
	if len(ro.scores) != ro.n {
		return nil, fmt.Errorf("ppo: rollout: the reward source returned %d scores for %d responses", len(ro.scores), ro.n)
	}
	ro.score = make([]float64, ro.n)
	for i, sc := range ro.scores {
		ro.score[i] = r.score(sc, ro.stopped[i])
	}
	st.TimeScore += time.Since(t).Seconds()
	return ro, nil
}

// score is what a response's scored reward becomes at its last token:
// after the missing-EOS penalty, clipping and the cost constraint.
func (r *run) score(sc reward.Score, stopped bool) float64 {
	cfg := r.cfg
	s := sc.Reward
	if cfg.MissingEOS && !stopped {
		s = cfg.MissingEOSScore
	}
	if cfg.ScoreClip > 0 {
		s = min(max(s, -cfg.ScoreClip), cfg.ScoreClip)
	}
	if cfg.Constraint {
		s = r.loop.Lagrange.Combine(s, sc.Cost)
	}
	return s
}

// refusals are the shares of the responses to the harmful prompts and to
// the others that refuse (nil for a group without responses).
func refusals(prompts []Prompt, idx []int, texts []string) (harmful, other *float64) {
	var n, refused [2]int // by prompt: other, harmful
	for i, k := range idx {
		g := 0
		if prompts[k].Harmful {
			g = 1
		}
		n[g]++
		if data.LooksLikeRefusal(texts[i]) {
			refused[g]++
		}
	}
	share := func(g int) *float64 {
		if n[g] == 0 {
			return nil
		}
		v := float64(refused[g]) / float64(n[g])
		return &v
	}
	return share(1), share(0)
}

// chunks calls fn on consecutive ranges of at most MiniBatch sequences.
func (r *run) chunks(n int, fn func(lo, hi int) error) error {
	for lo := 0; lo < n; lo += r.cfg.MiniBatch {
		if err := fn(lo, min(lo+r.cfg.MiniBatch, n)); err != nil {
			return err
		}
	}
	return nil
}

// logProbs returns m's log-probabilities of the response tokens at the
// sampling temperature.
func (r *run) logProbs(m *model.Model, ro *rollout) ([][]float32, error) {
	out := make([][]float32, ro.n)
	err := r.chunks(ro.n, func(lo, hi int) error {
		lp, _, err := m.LogProbs(ro.seqs[lo:hi], ro.plen[lo:hi], float32(r.cfg.Temperature))
		if err != nil {
			return fmt.Errorf("ppo: log-probs: %w", err)
		}
		copy(out[lo:hi], lp)
		return nil
	})
	return out, err
}

// pad lays seqs out as a (B, T) batch, right-padded with token 0 to the
// longest; causal attention keeps the padding out of every real position.
func pad(seqs [][]int32) (inputs []int32, T int) {
	for _, s := range seqs {
		T = max(T, len(s))
	}
	inputs = make([]int32, len(seqs)*T)
	for i, s := range seqs {
		copy(inputs[i*T:], s)
	}
	return inputs, T
}

// values returns the value model's value of the state before each response
// token: head 0 read at the position that predicts the token.
func (r *run) values(ro *rollout) ([][]float32, error) {
	out := ro.rows()
	K := r.Value.Config.ScalarHeads
	err := r.chunks(ro.n, func(lo, hi int) error {
		inputs, T := pad(ro.seqs[lo:hi])
		if err := r.Value.Forward(inputs, hi-lo, T); err != nil {
			return fmt.Errorf("ppo: values: %w", err)
		}
		s := r.Value.Scalars()
		for i := lo; i < hi; i++ {
			b, p := i-lo, ro.plen[i]
			for j := range out[i] {
				out[i][j] = s[(b*T+p+j-1)*K]
			}
		}
		return nil
	})
	return out, err
}

// rewards turns the scores into per-token rewards, advantages and returns,
// and fills the reward statistics of st.
func (r *run) rewards(ro *rollout, st *Stats) {
	cfg := r.cfg
	beta := r.loop.KL.Beta
	ro.kl, ro.rewards = ro.rows(), ro.rows()
	ro.beta = beta
	var rawSum, rewSum, rewSq, scoreSum, costSum, klSum, nsSum, lenSum, eos float64
	for i := range ro.n {
		sc := ro.scores[i]
		s := ro.score[i]
		var seqKL float64
		for j := range ro.kl[i] {
			k := cfg.KLEstimator.Estimate(float64(ro.logp[i][j]), float64(ro.ref[i][j]))
			ro.kl[i][j] = float32(k)
			if !cfg.KLInLoss {
				ro.rewards[i][j] = float32(-beta * k)
			}
			seqKL += k
		}
		last := len(ro.rewards[i]) - 1
		ro.rewards[i][last] += float32(s)
		rawSum += sc.Raw
		rewSum += sc.Reward
		rewSq += sc.Reward * sc.Reward
		scoreSum += s
		costSum += sc.Cost
		klSum += seqKL
		if !cfg.KLInLoss {
			nsSum += -beta * seqKL
		}
		lenSum += float64(last + 1)
		if ro.stopped[i] {
			eos++
		}
	}
	n := float64(ro.n)
	st.RewardRaw, st.Reward, st.Score = rawSum/n, rewSum/n, scoreSum/n
	st.RewardStd = math.Sqrt(max(0, rewSq/n-st.Reward*st.Reward))
	st.Cost, st.KL, st.NonScoreReward = costSum/n, klSum/n, nsSum/n
	st.ResponseLen, st.EOSRate = lenSum/n, eos/n

	if cfg.Advantage.group() {
		r.groupRewards(ro, st)
		return
	}
	if cfg.WhitenRewards {
		Whiten(ro.rewards, false)
	}
	ro.adv, ro.ret = ro.rows(), ro.rows()
	for i := range ro.n {
		GAE(ro.adv[i], ro.ret[i], ro.rewards[i], ro.values[i], cfg.Gamma, cfg.Lambda)
	}
	st.Advantage, _, _ = meanVar(ro.adv)
	st.Return, _, _ = meanVar(ro.ret)
	st.Value, _, _ = meanVar(ro.values)
	Whiten(ro.adv, true)
}
