package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/align-project/align/internal/sysinfo"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
	"github.com/align-project/align/ppo"
	"github.com/align-project/align/reward"
	"github.com/align-project/align/tensor"
)

// LoRAPPOSpec is a run of whole LoRA PPO iterations on a Llama shape with
// everything PPO holds in memory: the policy's frozen base with rank-Rank
// adapters on every projection, the reference (a view of that base, no
// copy), the value model (adapters and a trained head on that base, shared
// too: ppo.NewLoRAValueModel) and a reward model (a second base, frozen,
// with one scalar head)
// that scores every response. Prompts random prompts of PromptLen tokens
// get responses of exactly NewTokens tokens.
type LoRAPPOSpec struct {
	Shape      LlamaShape
	Rank       int
	Prompts    int // prompts (responses) per iteration
	PromptLen  int // tokens per random prompt
	NewTokens  int // tokens generated per response
	MiniBatch  int // responses per gradient step; must divide Prompts
	Epochs     int // PPO epochs per iteration
	Iterations int // timed iterations
	Seed       uint64
}

// DefaultLoRAPPOSpec is SmolLM2-135M's shape with rank-16 adapters, 16
// prompts of 64 tokens answered with 64 tokens, minibatches of 4.
func DefaultLoRAPPOSpec() LoRAPPOSpec {
	return LoRAPPOSpec{Shape: SmolLM2Shape(), Rank: 16, Prompts: 16, PromptLen: 64, NewTokens: 64, MiniBatch: 4, Epochs: 2, Iterations: 1}
}

// Validate reports the first setting that cannot work.
func (s LoRAPPOSpec) Validate() error {
	if err := atLeast(1, setting{"rank", s.Rank}, setting{"prompts", s.Prompts}, setting{"prompt_len", s.PromptLen},
		setting{"new_tokens", s.NewTokens}, setting{"epochs", s.Epochs}, setting{"iterations", s.Iterations}); err != nil {
		return err
	}
	if s.MiniBatch < 1 || s.Prompts%s.MiniBatch != 0 {
		return yamlconf.Keyf("mini_batch", "%d must divide prompts %d", s.MiniBatch, s.Prompts)
	}
	return s.Shape.Config(s.PromptLen + s.NewTokens).Validate()
}

// LoRAPPOResult is the JSON form of 'align bench lora-ppo'.
type LoRAPPOResult struct {
	Benchmark       string     `json:"benchmark"`
	Implementation  string     `json:"implementation"`
	Threads         int        `json:"threads"`
	Config          LlamaShape `json:"config"`
	Rank            int        `json:"rank"`
	Prompts         int        `json:"prompts"`
	PromptLen       int        `json:"prompt_len"`
	NewTokens       int        `json:"new_tokens"`
	MiniBatch       int        `json:"mini_batch"`
	Epochs          int        `json:"epochs"`
	Iterations      int        `json:"iterations"`
	BaseParams      int        `json:"base_params"`      // of one base model
	TrainableParams int        `json:"trainable_params"` // policy adapters
	SecPerIter      float64    `json:"sec_per_iteration"`
	SetupRSSMB      float64    `json:"setup_rss_mb"`     // resident after the models are built
	IterPeakRSSMB   float64    `json:"iter_peak_rss_mb"` // peak resident over the iterations: the figure the issue bounds
	ProcessPeakMB   float64    `json:"process_peak_rss_mb"`
}

// LoRAPPO builds the four models, runs one untimed warm-up iteration and
// spec.Iterations timed ones, and reports the peak resident memory of the
// iterations (the high-water mark is reset once the models are built, after
// a garbage collection) and of the whole process.
func LoRAPPO(ctx context.Context, spec LoRAPPOSpec) (LoRAPPOResult, error) {
	if err := spec.Validate(); err != nil {
		return LoRAPPOResult{}, err
	}
	fail := func(err error) (LoRAPPOResult, error) { return LoRAPPOResult{}, fmt.Errorf("bench lora-ppo: %w", err) }
	cfg := spec.Shape.Config(spec.PromptLen + spec.NewTokens)
	lc := model.LoRAConfig{Rank: spec.Rank, Alpha: 2 * float64(spec.Rank), Targets: []string{model.LoRAAllLinear}}
	policy, err := model.New(cfg, spec.Seed)
	if err != nil {
		return fail(err)
	}
	// The base as a bf16 checkpoint loads, so rollouts decode from the
	// bfloat16 copies a real run keeps, and their memory counts.
	asBF16Checkpoint(policy)
	if err := policy.AddLoRA(lc, spec.Seed); err != nil {
		return fail(err)
	}
	// As ppo.Trainer builds it: the policy's base, shared, with adapters
	// and a head of its own.
	value, err := ppo.NewLoRAValueModel(policy, 0, lc, spec.Seed+1)
	if err != nil {
		return fail(err)
	}
	rcfg := cfg
	rcfg.ScalarHeads = 1
	rm, err := model.New(rcfg, spec.Seed+2)
	if err != nil {
		return fail(err)
	}
	rm = rm.Base() // scoring only: a view without the gradient buffer
	rm.SetComputeLogits(false)

	rng := newRand(spec.Seed)
	prompts := make([]ppo.Prompt, spec.Prompts)
	for i := range prompts {
		ids := make([]int32, spec.PromptLen)
		for j := range ids {
			ids[j] = int32(rng.IntN(cfg.VocabSize))
		}
		prompts[i] = ppo.Prompt{Text: idText(ids), IDs: ids}
	}
	pc := ppo.DefaultConfig()
	pc.BatchSize, pc.MiniBatch, pc.Epochs = spec.Prompts, spec.MiniBatch, spec.Epochs
	pc.Iterations = 1 + spec.Iterations
	pc.MaxNewTokens, pc.Temperature = spec.NewTokens, 1
	pc.SampleEvery, pc.SaveEvery, pc.Seed = 0, 0, spec.Seed
	var secs float64
	tr := &ppo.Trainer{
		Config: pc, Policy: policy, Value: value, Reward: &rewardModelSource{m: rm, batch: spec.MiniBatch},
		Prompts: prompts, Decode: idText,
		Progress: func(s ppo.Stats) {
			if s.Iteration > 1 {
				secs += s.TimeIter
			}
		},
	}
	tr.AfterIteration = func(int) {
		if hook != nil {
			hook(tr)
		}
	}
	runtime.GC()
	debug.FreeOSMemory()
	setup := sysinfo.CurrentRSSMB()
	process := sysinfo.PeakRSSMB()
	resetPeak()
	if _, err := tr.Run(ctx); err != nil {
		return fail(err)
	}
	iterPeak := sysinfo.PeakRSSMB()
	return LoRAPPOResult{
		Benchmark: "lora-ppo", Implementation: "align/" + tensor.Implementation(), Threads: tensor.Threads(),
		Config: spec.Shape, Rank: spec.Rank, Prompts: spec.Prompts, PromptLen: spec.PromptLen, NewTokens: spec.NewTokens,
		MiniBatch: spec.MiniBatch, Epochs: spec.Epochs, Iterations: spec.Iterations,
		BaseParams: cfg.NumParams(), TrainableParams: len(policy.TrainableParams()),
		SecPerIter: secs / float64(spec.Iterations), SetupRSSMB: setup, IterPeakRSSMB: iterPeak,
		ProcessPeakMB: max(process, iterPeak),
	}, nil
}

// idText carries token ids through PPO's text interface unchanged: two
// bytes per id, which rewardModelSource reads back.
func idText(ids []int32) string {
	b := make([]byte, 2*len(ids))
	for i, id := range ids {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(id))
	}
	return string(b)
}

func textIDs(s string) []int32 {
	ids := make([]int32, len(s)/2)
	for i := range ids {
		ids[i] = int32(binary.LittleEndian.Uint16([]byte(s[2*i:])))
	}
	return ids
}

// rewardModelSource scores prompt + response with a scalar-head model: the
// head's output at the last token, batch rows at a time (every sequence
// of the benchmark has the same length).
type rewardModelSource struct {
	m     *model.Model
	batch int
}

func (s *rewardModelSource) Score(ctx context.Context, prompts, responses []string) ([]reward.Score, error) {
	scores := make([]reward.Score, len(prompts))
	for lo := 0; lo < len(prompts); lo += s.batch {
		hi := min(lo+s.batch, len(prompts))
		var ids []int32
		t := -1
		for i := lo; i < hi; i++ {
			seq := append(textIDs(prompts[i]), textIDs(responses[i])...)
			if t >= 0 && len(seq) != t {
				return nil, fmt.Errorf("reward model: sequences of %d and %d tokens in one batch", t, len(seq))
			}
			t = len(seq)
			ids = append(ids, seq...)
		}
		if err := s.m.Forward(ids, hi-lo, t); err != nil {
			return nil, err
		}
		out := s.m.Scalars()
		for i := lo; i < hi; i++ {
			r := float64(out[(i-lo)*t+t-1])
			scores[i] = reward.Score{Reward: r, Raw: r}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return scores, nil
}

// WriteText prints the result as 'align bench lora-ppo' does.
func (r LoRAPPOResult) WriteText(w io.Writer) error {
	c := r.Config
	t := newTable(w, "bench lora-ppo: Llama L%d C%d NH%d KV%d H%d V%d, rank %d on every projection, %d prompts × (%d + %d) tokens, %d epochs of minibatches of %d, %d timed iterations, %d threads, %s kernels",
		c.Layers, c.Dim, c.Heads, c.KVHeads, c.Hidden, c.Vocab, r.Rank, r.Prompts, r.PromptLen, r.NewTokens, r.Epochs, r.MiniBatch, r.Iterations, r.Threads, kernels(r.Implementation))
	t.row("models", "policy (base %.1fM + adapters %.2fM), reference (view of the policy's base), value (adapters + head on the policy's base), reward model (base + head)",
		float64(r.BaseParams)/1e6, float64(r.TrainableParams)/1e6)
	t.row("s/iteration", "%.2f", r.SecPerIter)
	t.row("resident after setup", "%.0f MB", r.SetupRSSMB)
	t.row("peak RSS, iterations", "%.0f MB (target ≤ 3072 MB)", r.IterPeakRSSMB)
	t.row("peak RSS, process", "%.0f MB (building the models included)", r.ProcessPeakMB)
	return t.flush()
}

var hook func(*ppo.Trainer)
