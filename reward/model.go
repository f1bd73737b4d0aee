package reward

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/internal/atomicfile"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// The heads of a reward model, indices into Output.Heads and friends.
const (
	HeadPreference = iota // pairwise preference (Bradley–Terry)
	HeadCoherence         // rating regression
	HeadRelevance         // rating regression
	HeadSafety            // rating regression; the constraint cost is its negation
	NumHeads
)

// HeadNames names the heads in order, as written to config.json.
var HeadNames = []string{"preference", "coherence", "relevance", "safety"}

// InfoFile is the reward model's own file in its checkpoint directory.
const InfoFile = "reward.json"

// Stage is the stage name recorded in config.json.
const Stage = "reward"

// Info is what a reward model keeps besides the network: how its heads are
// combined and normalised. Gain and Bias are also written to config.json's
// align section.
type Info struct {
	Heads   []string  `json:"heads"`
	Weights []float64 `json:"weights"` // per head: the reward is Σ weight·normalised head
	Trained []bool    `json:"trained"` // heads the training data had labels for
	Gain    []float64 `json:"gain"`    // per head: normalised = gain·raw + bias
	Bias    []float64 `json:"bias"`
	// RewardGain and RewardBias normalise the weighted combination.
	RewardGain float64 `json:"reward_gain"`
	RewardBias float64 `json:"reward_bias"`
	// Normalized tells whether the gains come from reference samples (false:
	// identity).
	Normalized bool `json:"normalized"`
	// NormSamples is how many reference samples set the normalisation.
	NormSamples int `json:"norm_samples"`
	// MaxLen is the longest sequence scored; longer ones are cut (see Sequence).
	MaxLen int `json:"max_len"`
}

// defaultInfo is an unnormalised model rewarding the preference head alone.
func defaultInfo(maxLen int) Info {
	in := Info{
		Heads:      slices.Clone(HeadNames),
		Weights:    make([]float64, NumHeads),
		Trained:    make([]bool, NumHeads),
		Gain:       make([]float64, NumHeads),
		Bias:       make([]float64, NumHeads),
		RewardGain: 1,
		MaxLen:     maxLen,
	}
	in.Weights[HeadPreference] = 1
	for k := range in.Gain {
		in.Gain[k] = 1
	}
	return in
}

func (in *Info) validate() error {
	for _, s := range []struct {
		name string
		n    int
	}{{"heads", len(in.Heads)}, {"weights", len(in.Weights)}, {"trained", len(in.Trained)}, {"gain", len(in.Gain)}, {"bias", len(in.Bias)}} {
		if s.n != NumHeads {
			return fmt.Errorf("%s has %d entries, want %d", s.name, s.n, NumHeads)
		}
	}
	if !slices.Equal(in.Heads, HeadNames) {
		return fmt.Errorf("heads %q, want %q", in.Heads, HeadNames)
	}
	if in.MaxLen < 2 {
		return fmt.Errorf("max_len %d must be at least 2", in.MaxLen)
	}
	return nil
}

// Model is a reward model: the network with NumHeads scalar heads, its
// tokenizer and its Info. It is not safe for concurrent use.
type Model struct {
	Net  *model.Model
	Tok  *tokenizer.Tokenizer
	Info Info

	enc Encoder
}

// New makes a reward model from base (an SFT or pretrained model, with or
// without scalar heads): the body is copied, and NumHeads freshly
// initialised heads (drawn from seed) are added. maxLen ≤ 0 means base's
// context length.
func New(base *model.Model, tok *tokenizer.Tokenizer, maxLen int, seed uint64) (*Model, error) {
	cfg := base.Config
	cfg.ScalarHeads = NumHeads
	if maxLen <= 0 || maxLen > cfg.Context {
		maxLen = cfg.Context
	}
	net, err := model.New(cfg, seed)
	if err != nil {
		return nil, fmt.Errorf("new reward model: %w", err)
	}
	src := map[string]model.Tensor{}
	for _, t := range base.Tensors() {
		src[t.Name] = t
	}
	for _, t := range net.Tensors() {
		if s, ok := src[t.Name]; ok && len(s.Data) == len(t.Data) && t.Name != "score.weight" && t.Name != "score.bias" {
			copy(t.Data, s.Data)
		}
	}
	return newModel(net, tok, defaultInfo(maxLen))
}

func newModel(net *model.Model, tok *tokenizer.Tokenizer, info Info) (*Model, error) {
	if net.Config.ScalarHeads != NumHeads {
		return nil, fmt.Errorf("reward model: the network has %d scalar heads, want %d", net.Config.ScalarHeads, NumHeads)
	}
	if tok == nil {
		return nil, errors.New("reward model: no tokenizer")
	}
	if err := info.validate(); err != nil {
		return nil, fmt.Errorf("reward model: %w", err)
	}
	enc, err := NewEncoder(tok, min(info.MaxLen, net.Config.Context))
	if err != nil {
		return nil, fmt.Errorf("reward model: %w", err)
	}
	return &Model{Net: net, Tok: tok, Info: info, enc: enc}, nil
}

// LoadBase loads the SFT checkpoint in dir and makes a reward model of it;
// see New. A checkpoint that is not a policy is refused.
func LoadBase(dir string, maxLen int, seed uint64) (*Model, error) {
	hm, err := checkpoint.LoadKind(dir, checkpoint.KindPolicy)
	if err != nil {
		return nil, err
	}
	if hm.Tokenizer == nil {
		return nil, fmt.Errorf("load base %s: no tokenizer files", dir)
	}
	return New(hm.Model, hm.Tokenizer, maxLen, seed)
}

// Load reads a reward model saved by Save; a checkpoint of another kind is
// refused.
func Load(dir string) (*Model, error) {
	hm, err := checkpoint.LoadKind(dir, checkpoint.KindReward)
	if err != nil {
		return nil, err
	}
	if hm.Tokenizer == nil {
		return nil, fmt.Errorf("load reward model %s: no tokenizer files", dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, InfoFile))
	if err != nil {
		return nil, fmt.Errorf("load reward model: %w (is %s a reward model from 'align reward train'?)", err, dir)
	}
	var info Info
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("load reward model %s: %w", filepath.Join(dir, InfoFile), err)
	}
	// config.json is the authority on the per-head normalisation.
	if a := hm.Align; len(a.RewardGain) == NumHeads && len(a.RewardBias) == NumHeads {
		info.Gain, info.Bias = a.RewardGain, a.RewardBias
	}
	m, err := newModel(hm.Model, hm.Tokenizer, info)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	return m, nil
}

// Save writes m to dir: a Hugging Face directory whose config.json carries
// the head names, gains and biases, plus reward.json.
func (m *Model) Save(dir string) error {
	if err := checkFinite("save "+filepath.Join(dir, InfoFile), m.Info); err != nil {
		return err
	}
	err := checkpoint.SaveHF(dir, m.Net, m.Tok, checkpoint.HFOptions{Align: checkpoint.AlignConfig{
		HeadNames:  HeadNames,
		RewardGain: m.Info.Gain,
		RewardBias: m.Info.Bias,
		Kind:       checkpoint.KindReward,
		Stage:      Stage,
	}})
	if err != nil {
		return err
	}
	return atomicfile.WriteJSON(filepath.Join(dir, InfoFile), m.Info)
}

// Encode returns the scored sequence of a prompt and a response; see the
// package doc.
func (m *Model) Encode(prompt, response string) ([]int32, error) {
	return m.enc.Encode(prompt, response)
}

// EncodePrompt renders a prompt the way Encode does, ending with the
// assistant header: the prefix to pass to Sequence or to sample from.
func (m *Model) EncodePrompt(prompt string) ([]int, error) { return m.enc.Prompt(prompt) }

// EOS returns the token appended to every scored sequence.
func (m *Model) EOS() int { return m.enc.eos }

// Output is what a reward model reads off one sequence: its heads, raw
// and normalised, and the Score they combine into.
type Output struct {
	// Score.Reward is the normalised weighted combination of the heads,
	// Score.Raw the same weighted combination of the raw heads (for logs),
	// Score.Cost −Normalized[HeadSafety], for constrained PPO.
	Score
	Heads      [NumHeads]float64 // the raw heads at the EOS
	Normalized [NumHeads]float64 // Gain·Heads + Bias per head
}

// output turns raw head outputs into an Output with m's normalisation.
func (m *Model) output(raw []float32) Output {
	var o Output
	in := &m.Info
	var comb float64
	for k := range NumHeads {
		o.Heads[k] = float64(raw[k])
		o.Normalized[k] = in.Gain[k]*o.Heads[k] + in.Bias[k]
		comb += in.Weights[k] * o.Normalized[k]
	}
	for k := range NumHeads {
		o.Raw += in.Weights[k] * o.Heads[k]
	}
	o.Reward = in.RewardGain*comb + in.RewardBias
	o.Cost = -o.Normalized[HeadSafety]
	return o
}

// ScoreSequences runs the sequences (each ending with the EOS, see
// Sequence) in batches of at most batch and returns their outputs.
func (m *Model) ScoreSequences(seqs [][]int32, batch int) ([]Output, error) {
	if batch < 1 {
		batch = 16
	}
	m.Net.SetComputeLogits(false)
	out := make([]Output, 0, len(seqs))
	var buf batchBuf
	for lo := 0; lo < len(seqs); lo += batch {
		hi := min(lo+batch, len(seqs))
		raw, err := buf.forward(m.Net, seqs[lo:hi])
		if err != nil {
			return nil, fmt.Errorf("score: %w", err)
		}
		for i := range hi - lo {
			out = append(out, m.output(raw[i*NumHeads:(i+1)*NumHeads]))
		}
	}
	return out, nil
}

// Score scores responses to prompts (prompts[i] with responses[i]).
func (m *Model) Score(prompts, responses []string, batch int) ([]Output, error) {
	if len(prompts) != len(responses) {
		return nil, fmt.Errorf("score: %d prompts for %d responses", len(prompts), len(responses))
	}
	seqs := make([][]int32, len(prompts))
	for i := range prompts {
		s, err := m.Encode(prompts[i], responses[i])
		if err != nil {
			return nil, fmt.Errorf("score: %w", err)
		}
		seqs[i] = s
	}
	return m.ScoreSequences(seqs, batch)
}

// ScoreTokens scores sampled responses, as PPO has them: prompts[i] is
// the rendered prompt ending with the assistant header (EncodePrompt, or
// tokenizer.RenderChat with the generation prompt) and responses[i] the
// sampled ids, with or without the stop token that ended them. Each is
// turned into its sequence with Sequence, so it scores exactly as the same
// text does in training and in Score.
func (m *Model) ScoreTokens(prompts, responses [][]int, batch int) ([]Output, error) {
	if len(prompts) != len(responses) {
		return nil, fmt.Errorf("score: %d prompts for %d responses", len(prompts), len(responses))
	}
	seqs := make([][]int32, len(prompts))
	for i := range prompts {
		seqs[i] = Sequence(prompts[i], responses[i], m.enc.eos, m.enc.stop, m.enc.maxLen)
	}
	return m.ScoreSequences(seqs, batch)
}

// batchBuf pads sequences into one (B,T) batch and reads the heads at each
// sequence's last token.
type batchBuf struct {
	inputs []int32
	ends   []int // index b·T + len−1 of each sequence's EOS
	raw    []float32
}

// forward runs seqs as one batch and returns the (B,K) head outputs at
// their ends. Padding repeats each sequence's last token.
func (bb *batchBuf) forward(net *model.Model, seqs [][]int32) ([]float32, error) {
	B, T := len(seqs), 0
	for _, s := range seqs {
		if len(s) == 0 {
			return nil, errors.New("empty sequence")
		}
		T = max(T, len(s))
	}
	if T > net.Config.Context {
		return nil, fmt.Errorf("sequence of %d tokens exceeds the context of %d", T, net.Config.Context)
	}
	bb.inputs = slices.Grow(bb.inputs[:0], B*T)[:B*T]
	bb.ends = bb.ends[:0]
	for b, s := range seqs {
		row := bb.inputs[b*T : (b+1)*T]
		copy(row, s)
		for t := len(s); t < T; t++ {
			row[t] = s[len(s)-1]
		}
		bb.ends = append(bb.ends, b*T+len(s)-1)
	}
	if err := net.Forward(bb.inputs, B, T); err != nil {
		return nil, err
	}
	sc := net.Scalars()
	K := net.Config.ScalarHeads
	bb.raw = slices.Grow(bb.raw[:0], B*K)[:B*K]
	for b, e := range bb.ends {
		copy(bb.raw[b*K:(b+1)*K], sc[e*K:(e+1)*K])
	}
	return bb.raw, nil
}

// sigmoid is the logistic function, computed stably.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}
