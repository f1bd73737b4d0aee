package bench

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/internal/sysinfo"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tensor"
)

// pytorchLlama is the PyTorch peer of Llama, run from a temporary copy.
//
//go:embed pytorch_llama.py
var pytorchLlama []byte

// LlamaShape is the Llama shape of the llama benchmark (tied embeddings, no
// biases, no q/k norm), as it appears in its JSON under "config".
type LlamaShape struct {
	Layers    int     `json:"layers"`     // blocks (L)
	Dim       int     `json:"dim"`        // channels of the residual stream (C)
	Heads     int     `json:"heads"`      // query heads (NH); must divide Dim
	KVHeads   int     `json:"kv_heads"`   // key/value heads; must divide Heads
	Hidden    int     `json:"hidden"`     // MLP width (H)
	Vocab     int     `json:"vocab"`      // vocabulary size (V)
	RopeTheta float64 `json:"rope_theta"` // rotary base
	NormEps   float64 `json:"norm_eps"`   // RMSNorm epsilon
}

// SmolLM2Shape is the shape of SmolLM2-135M.
func SmolLM2Shape() LlamaShape {
	return LlamaShape{Layers: 30, Dim: 576, Heads: 9, KVHeads: 3, Hidden: 1536, Vocab: 49152, RopeTheta: 100000, NormEps: 1e-5}
}

// Config is the model configuration of the shape with room for ctx tokens.
func (s LlamaShape) Config(ctx int) model.Config {
	return model.Config{Arch: model.ArchLlama, VocabSize: s.Vocab, Context: ctx, Layers: s.Layers, Heads: s.Heads,
		KVHeads: s.KVHeads, Channels: s.Dim, Hidden: s.Hidden, RopeTheta: s.RopeTheta, NormEps: s.NormEps,
		TiedEmbeddings: true}
}

// LlamaSpec is the llama benchmark: training steps of Batch×Ctx tokens and
// greedy KV-cache generation of NewTokens tokens after a Prompt-token
// prompt (batch 1), timed for align and, when Python names an interpreter
// with PyTorch, for bench/pytorch_llama.py in the same run.
type LlamaSpec struct {
	Shape     LlamaShape
	Batch     int    // training sequences per step (B)
	Ctx       int    // training sequence length (T)
	Steps     int    // timed training steps
	Warmup    int    // untimed training steps first
	Prompt    int    // prompt tokens of each generation
	NewTokens int    // greedy tokens generated after it
	Runs      int    // timed generations (after one short untimed one)
	Rounds    int    // interleaved rounds of every measurement; each side's best counts
	Python    string // interpreter for the PyTorch peer; "" = align only
	NoTrain   bool   // skip the training measurement
	NoGen     bool   // skip the generation measurement
	Seed      uint64 // seeds the weights, the batch and the prompt
}

// DefaultLlamaSpec is SmolLM2-135M's shape, B=4 × T=256 training tokens per
// step, and 128 tokens generated after a 32-token prompt.
func DefaultLlamaSpec() LlamaSpec {
	return LlamaSpec{Shape: SmolLM2Shape(), Batch: 4, Ctx: 256, Steps: 5, Warmup: 1, Prompt: 32, NewTokens: 128, Runs: 2, Rounds: 1,
		Python: "/usr/bin/python3"}
}

// Validate reports the first setting that cannot work.
func (s LlamaSpec) Validate() error {
	if err := atLeast(1, setting{"batch", s.Batch}, setting{"ctx", s.Ctx}, setting{"steps", s.Steps}, setting{"prompt", s.Prompt},
		setting{"new_tokens", s.NewTokens}, setting{"runs", s.Runs}, setting{"rounds", s.Rounds}); err != nil {
		return err
	}
	if err := atLeast(0, setting{"warmup", s.Warmup}); err != nil {
		return err
	}
	if s.Shape.Heads > 0 && s.Shape.Dim%s.Shape.Heads != 0 {
		return yamlconf.Keyf("heads", "%d does not divide dim %d", s.Shape.Heads, s.Shape.Dim)
	}
	return s.Shape.Config(s.context()).Validate()
}

func (s LlamaSpec) context() int { return max(s.Ctx, s.Prompt+s.NewTokens) }

// LlamaTrainResult is one implementation's training measurement.
type LlamaTrainResult struct {
	Batch         int     `json:"batch"`
	Ctx           int     `json:"ctx"`
	Steps         int     `json:"steps"`
	Warmup        int     `json:"warmup"`
	TokensPerStep int     `json:"tokens_per_step"`
	TokensPerSec  float64 `json:"tokens_per_sec"`
	MsPerStep     float64 `json:"ms_per_step"`
	LossFirst     float64 `json:"loss_first"`
	LossLast      float64 `json:"loss_last"`
	// PyTorch only: the OMP_WAIT_POLICY of the measurement kept, and the
	// tokens/s under each policy tried.
	OMPWaitPolicy string             `json:"omp_wait_policy,omitempty"`
	Tried         map[string]float64 `json:"tried,omitempty"`
}

// LlamaGenerateResult is one implementation's generation measurement.
type LlamaGenerateResult struct {
	Prompt       int     `json:"prompt"`
	NewTokens    int     `json:"new_tokens"`
	Runs         int     `json:"runs"`
	TokensPerSec float64 `json:"tokens_per_sec"` // new tokens / wall time, the prompt's forward pass included
	MsPerToken   float64 `json:"ms_per_token"`
	// DType is what the weights are read as: align reads bfloat16 weights
	// (its arithmetic stays float32, the logits those of the float32
	// weights); PyTorch's bfloat16 model computes in bfloat16 too.
	DType string `json:"dtype"`
	// PyTorch only: the OMP_WAIT_POLICY and dtype of the measurement kept,
	// and the tokens/s of each tried ("policy dtype").
	OMPWaitPolicy string             `json:"omp_wait_policy,omitempty"`
	Tried         map[string]float64 `json:"tried,omitempty"`
}

// LlamaImplResult is the measurements of one implementation.
type LlamaImplResult struct {
	Implementation string               `json:"implementation"`
	Threads        int                  `json:"threads"`
	BLAS           []string             `json:"blas,omitempty"` // libraries PyTorch loaded
	MatmulGFLOPS   float64              `json:"matmul_1024_gflops"`
	Params         int                  `json:"params"`
	Generate       *LlamaGenerateResult `json:"generate,omitempty"`
	// GenerateF32 is align's generation reading the float32 weights
	// (model.SetDecodeBF16(false)), beside Generate from the bfloat16 ones.
	GenerateF32 *LlamaGenerateResult `json:"generate_f32,omitempty"`
	Train       *LlamaTrainResult    `json:"train,omitempty"`
	PeakRSSMB   float64              `json:"peak_rss_mb"`
}

// LlamaResult is the JSON form of 'align bench llama'.
type LlamaResult struct {
	Benchmark     string           `json:"benchmark"`
	Config        LlamaShape       `json:"config"`
	Align         LlamaImplResult  `json:"align"`
	PyTorch       *LlamaImplResult `json:"pytorch,omitempty"`
	PyTorchError  string           `json:"pytorch_error,omitempty"`  // why the peer did not run
	TrainRatio    float64          `json:"train_ratio,omitempty"`    // align tokens/s over PyTorch's
	GenerateRatio float64          `json:"generate_ratio,omitempty"` // align tokens/s over PyTorch's
}

// Llama runs the llama benchmark: align's generation, PyTorch's, align's
// training, PyTorch's (interleaved, so that a change in the machine's load
// hits both). Training steps are forward, LM loss, zero grad, backward,
// clipping to norm 1 and AdamW (lr 3e-4, betas 0.9/0.95, weight decay 0.1
// on matrices) on one fixed batch; generation is greedy with the KV cache.
// A PyTorch peer that fails is reported in PyTorchError, not as an error.
func Llama(ctx context.Context, spec LlamaSpec) (LlamaResult, error) {
	if err := spec.Validate(); err != nil {
		return LlamaResult{}, err
	}
	cfg := spec.Shape.Config(spec.context())
	res := LlamaResult{Benchmark: "llama", Config: spec.Shape}
	resetPeak()
	m, err := model.New(cfg, spec.Seed)
	if err != nil {
		return res, fmt.Errorf("bench llama: %w", err)
	}
	// Weights as SmolLM2's checkpoint ships them, in bfloat16: decoding reads
	// them as such (and once more as float32, for GenerateF32).
	asBF16Checkpoint(m)
	res.Align = LlamaImplResult{Implementation: "align/" + tensor.Implementation(), Threads: tensor.Threads(),
		MatmulGFLOPS: alignMatmulGFLOPS(), Params: cfg.NumParams()}

	// The peer runs under GNU OpenMP's default wait policy and under
	// OMP_WAIT_POLICY=PASSIVE, and the faster run of each measurement is
	// kept: on two cores PyTorch's spinning OpenMP workers and OpenBLAS's own
	// threads can take the cores from each other (measured: 3.6 against 10
	// tokens/s generating), and neither policy wins both measurements.
	// Generation is also tried with the model in bfloat16, and the fastest
	// of the four is kept.
	var peer *LlamaImplResult
	policies := []string{"default", "PASSIVE"}
	runPeer := func(skip string, dtypes ...string) {
		for _, policy := range policies {
			for _, dtype := range dtypes {
				if spec.Python == "" || res.PyTorchError != "" {
					return
				}
				r, err := spec.runPyTorch(ctx, skip, policy, dtype)
				if err != nil {
					res.PyTorchError = err.Error()
					return
				}
				if peer == nil {
					p := r
					p.Generate, p.Train = nil, nil
					peer = &p
				}
				peer.PeakRSSMB = max(peer.PeakRSSMB, r.PeakRSSMB)
				if g := r.Generate; g != nil {
					g.OMPWaitPolicy = policy
					peer.Generate = faster(peer.Generate, g, policy+" "+dtype)
				}
				if t := r.Train; t != nil {
					t.OMPWaitPolicy = policy
					peer.Train = faster(peer.Train, t, policy)
				}
			}
		}
	}

	// Rounds repeat the interleaved measurements and keep each side's best,
	// so that a burst of load on the machine does not decide the ratio.
	var params []float32
	if !spec.NoGen && !spec.NoTrain && spec.Rounds > 1 {
		params = slices.Clone(m.Params()) // each round generates from the bfloat16 weights
	}
	for round := range spec.Rounds {
		if round > 0 && params != nil {
			copy(m.Params(), params)
		}
		if !spec.NoGen {
			gen, err := alignLlamaGenerate(ctx, m, spec)
			if err != nil {
				return res, err
			}
			res.Align.Generate = faster(res.Align.Generate, &gen, "")
			prev := model.SetDecodeBF16(false)
			gen32, err := alignLlamaGenerate(ctx, m, spec)
			model.SetDecodeBF16(prev)
			if err != nil {
				return res, err
			}
			res.Align.GenerateF32 = faster(res.Align.GenerateF32, &gen32, "")
			runPeer("--skip-train", "float32", "bfloat16")
		}
		if !spec.NoTrain {
			tr, err := alignLlamaTrain(ctx, m, spec)
			if err != nil {
				return res, err
			}
			res.Align.Train = faster(res.Align.Train, &tr, "")
			runPeer("--skip-generate", "float32")
		}
	}
	res.Align.PeakRSSMB = sysinfo.PeakRSSMB()

	res.PyTorch = peer
	if a, p := res.Align.Generate, peer; a != nil && p != nil && p.Generate != nil && p.Generate.TokensPerSec > 0 {
		res.GenerateRatio = a.TokensPerSec / p.Generate.TokensPerSec
	}
	if a, p := res.Align.Train, peer; a != nil && p != nil && p.Train != nil && p.Train.TokensPerSec > 0 {
		res.TrainRatio = a.TokensPerSec / p.Train.TokensPerSec
	}
	return res, nil
}

// alignMatmulGFLOPS is the best GFLOP/s of a few 1024² float32 products, the
// figure bench/pytorch_llama.py reports for PyTorch's BLAS.
func alignMatmulGFLOPS() float64 {
	const n = 1024
	a, c := make([]float32, n*n), make([]float32, n*n)
	rng := newRand(1)
	for i := range a {
		a[i] = float32(rng.NormFloat64())
	}
	best := time.Duration(1 << 62)
	for range 6 {
		start := time.Now()
		tensor.MatMulNN(c, a, a, n, n, n, false)
		best = min(best, time.Since(start))
	}
	return 2 * n * n * n / best.Seconds() / 1e9
}

// alignLlamaTrain times spec.Steps training steps on m after spec.Warmup.
func alignLlamaTrain(ctx context.Context, m *model.Model, spec LlamaSpec) (LlamaTrainResult, error) {
	fail := func(err error) (LlamaTrainResult, error) {
		return LlamaTrainResult{}, fmt.Errorf("bench llama: train: %w", err)
	}
	opt, err := model.NewOptimizer(m, model.AdamWConfig{
		Beta1: trainBeta1, Beta2: trainBeta2, Eps: trainEps, WeightDecay: trainWeightDecay, ClipNorm: trainClipNorm,
	})
	if err != nil {
		return fail(err)
	}
	B, T, V := spec.Batch, spec.Ctx, spec.Shape.Vocab
	rng := newRand(spec.Seed)
	inputs, targets := make([]int32, B*T), make([]int32, B*T)
	for b := 0; b < B; b++ {
		seq := make([]int32, T+1)
		for i := range seq {
			seq[i] = int32(rng.IntN(V))
		}
		copy(inputs[b*T:], seq[:T])
		copy(targets[b*T:], seq[1:])
	}
	var first, last float32
	var start time.Time
	for i := 0; i < spec.Warmup+spec.Steps; i++ {
		if i == spec.Warmup {
			start = time.Now()
		}
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		if err := m.Forward(inputs, B, T); err != nil {
			return fail(err)
		}
		loss, err := m.LMLoss(targets, nil)
		if err != nil {
			return fail(err)
		}
		m.ZeroGrad()
		if err := m.Backward(); err != nil {
			return fail(err)
		}
		if _, err := opt.Step(trainLR); err != nil {
			return fail(err)
		}
		if i == 0 {
			first = loss
		}
		last = loss
	}
	elapsed := time.Since(start)
	return LlamaTrainResult{
		Batch: B, Ctx: T, Steps: spec.Steps, Warmup: spec.Warmup, TokensPerStep: B * T,
		TokensPerSec: float64(B*T*spec.Steps) / elapsed.Seconds(), MsPerStep: ms(elapsed) / float64(spec.Steps),
		LossFirst: float64(first), LossLast: float64(last),
	}, nil
}

// alignLlamaGenerate times spec.Runs greedy generations with m.Generate
// after a short untimed one.
func alignLlamaGenerate(ctx context.Context, m *model.Model, spec LlamaSpec) (LlamaGenerateResult, error) {
	rng := newRand(spec.Seed + 1)
	prompt := make([]int32, spec.Prompt)
	for i := range prompt {
		prompt[i] = int32(rng.IntN(spec.Shape.Vocab))
	}
	gen := func(n int) error {
		s, err := m.Generate([][]int32{prompt}, model.SampleOptions{MaxNewTokens: n}, rng)
		if err == nil && len(s[0].Tokens) != n {
			err = fmt.Errorf("generated %d tokens, want %d", len(s[0].Tokens), n)
		}
		return err
	}
	if err := gen(min(8, spec.NewTokens)); err != nil {
		return LlamaGenerateResult{}, fmt.Errorf("bench llama: generate: %w", err)
	}
	start := time.Now()
	for range spec.Runs {
		if err := ctx.Err(); err != nil {
			return LlamaGenerateResult{}, fmt.Errorf("bench llama: generate: %w", err)
		}
		if err := gen(spec.NewTokens); err != nil {
			return LlamaGenerateResult{}, fmt.Errorf("bench llama: generate: %w", err)
		}
	}
	elapsed := time.Since(start)
	n := spec.Runs * spec.NewTokens
	dtype := "float32"
	if m.DecodesBF16() {
		dtype = "bfloat16"
	}
	return LlamaGenerateResult{Prompt: spec.Prompt, NewTokens: spec.NewTokens, Runs: spec.Runs, DType: dtype,
		TokensPerSec: float64(n) / elapsed.Seconds(), MsPerToken: ms(elapsed) / float64(n)}, nil
}

// runPyTorch runs bench/pytorch_llama.py with the spec's settings, align's
// thread count, the extra flag skip, and OMP_WAIT_POLICY set to
// ompWaitPolicy unless that is "default".
func (s LlamaSpec) runPyTorch(ctx context.Context, skip, ompWaitPolicy, dtype string) (LlamaImplResult, error) {
	dir, err := os.MkdirTemp("", "align-bench-llama-")
	if err != nil {
		return LlamaImplResult{}, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "pytorch_llama.py")
	if err := os.WriteFile(script, pytorchLlama, 0o644); err != nil {
		return LlamaImplResult{}, err
	}
	sh := s.Shape
	args := []string{script, skip}
	for _, kv := range [][2]string{
		{"layers", strconv.Itoa(sh.Layers)}, {"dim", strconv.Itoa(sh.Dim)}, {"heads", strconv.Itoa(sh.Heads)},
		{"kv-heads", strconv.Itoa(sh.KVHeads)}, {"hidden", strconv.Itoa(sh.Hidden)}, {"vocab", strconv.Itoa(sh.Vocab)},
		{"rope-theta", strconv.FormatFloat(sh.RopeTheta, 'g', -1, 64)}, {"eps", strconv.FormatFloat(sh.NormEps, 'g', -1, 64)},
		{"batch", strconv.Itoa(s.Batch)}, {"ctx", strconv.Itoa(s.Ctx)}, {"steps", strconv.Itoa(s.Steps)},
		{"warmup", strconv.Itoa(s.Warmup)}, {"prompt", strconv.Itoa(s.Prompt)}, {"new-tokens", strconv.Itoa(s.NewTokens)},
		{"runs", strconv.Itoa(s.Runs)}, {"threads", strconv.Itoa(tensor.Threads())}, {"seed", strconv.FormatUint(s.Seed, 10)},
		{"dtype", dtype},
	} {
		args = append(args, "--"+kv[0], kv[1])
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, s.Python, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = os.Environ()
	if ompWaitPolicy != "default" {
		cmd.Env = append(cmd.Env, "OMP_WAIT_POLICY="+ompWaitPolicy)
	}
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		return LlamaImplResult{}, fmt.Errorf("%s pytorch_llama.py: %v: %s", s.Python, err, msg)
	}
	var r LlamaImplResult
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		return LlamaImplResult{}, fmt.Errorf("%s pytorch_llama.py printed %q: %v", s.Python, stdout.String(), err)
	}
	return r, nil
}

// WriteText prints the result as 'align bench llama' does.
func (r LlamaResult) WriteText(w io.Writer) error {
	c, a := r.Config, r.Align
	t := newTable(w, "bench llama: L%d C%d NH%d KV%d H%d V%d (%.1fM params), %d threads, %s kernels",
		c.Layers, c.Dim, c.Heads, c.KVHeads, c.Hidden, c.Vocab, float64(a.Params)/1e6, a.Threads, kernels(a.Implementation))
	p := r.PyTorch
	if p != nil {
		t.row("PyTorch", "%s, %d threads, BLAS %s", p.Implementation, p.Threads, strings.Join(p.BLAS, " "))
		t.row("1024² matmul", "align %.1f GFLOP/s, PyTorch %.1f GFLOP/s", a.MatmulGFLOPS, p.MatmulGFLOPS)
	} else {
		t.row("1024² matmul", "align %.1f GFLOP/s", a.MatmulGFLOPS)
	}
	if g := a.Generate; g != nil {
		line := fmt.Sprintf("align %.1f tokens/s (%.1f ms/token, %s weights)", g.TokensPerSec, g.MsPerToken, g.DType)
		if f := a.GenerateF32; f != nil {
			line += fmt.Sprintf(", %.1f from float32 weights", f.TokensPerSec)
		}
		if p != nil && p.Generate != nil {
			line += fmt.Sprintf("; PyTorch %.1f tokens/s (%.1f ms/token, %s, OMP_WAIT_POLICY %s): %.2f×", p.Generate.TokensPerSec, p.Generate.MsPerToken,
				p.Generate.DType, p.Generate.OMPWaitPolicy, r.GenerateRatio)
		}
		t.row(fmt.Sprintf("generate (batch 1, %d-token prompt, %d greedy tokens, KV cache)", g.Prompt, g.NewTokens), "%s", line)
		if p != nil && p.Generate != nil && len(p.Generate.Tried) > 1 {
			var tried []string
			for _, k := range slices.Sorted(maps.Keys(p.Generate.Tried)) {
				tried = append(tried, fmt.Sprintf("%s %.1f", k, p.Generate.Tried[k]))
			}
			t.row("PyTorch generation tried", "%s tokens/s", strings.Join(tried, ", "))
		}
	}
	if tr := a.Train; tr != nil {
		line := fmt.Sprintf("align %.0f tokens/s (%.0f ms/step)", tr.TokensPerSec, tr.MsPerStep)
		if p != nil && p.Train != nil {
			line += fmt.Sprintf(", PyTorch %.0f tokens/s (%.0f ms/step, OMP_WAIT_POLICY %s): %.2f×", p.Train.TokensPerSec, p.Train.MsPerStep,
				p.Train.OMPWaitPolicy, r.TrainRatio)
		}
		t.row(fmt.Sprintf("train (B=%d × T=%d, %d steps after %d)", tr.Batch, tr.Ctx, tr.Steps, tr.Warmup), "%s", line)
		t.row("loss", "align %.4f first, %.4f last", tr.LossFirst, tr.LossLast)
	}
	if r.PyTorchError != "" {
		t.row("PyTorch", "did not run: %s", r.PyTorchError)
	}
	t.row("peak RSS", "align %.0f MB", a.PeakRSSMB)
	return t.flush()
}

// asBF16Checkpoint rounds m's parameters to bfloat16 and back, as loading a
// checkpoint shipped in bf16 leaves them.
func asBF16Checkpoint(m *model.Model) {
	for i, v := range m.Params() {
		m.Params()[i] = checkpoint.BF16ToFloat32(checkpoint.Float32ToBF16(v))
	}
}

// llamaMeasurement is a generation or a training measurement.
type llamaMeasurement interface {
	*LlamaGenerateResult | *LlamaTrainResult
	rate() float64
	tried() *map[string]float64
}

func (g *LlamaGenerateResult) rate() float64              { return g.TokensPerSec }
func (g *LlamaGenerateResult) tried() *map[string]float64 { return &g.Tried }
func (t *LlamaTrainResult) rate() float64                 { return t.TokensPerSec }
func (t *LlamaTrainResult) tried() *map[string]float64    { return &t.Tried }

// faster returns whichever of best and m has more tokens/s (best may be
// nil). With a key, the one returned carries best's Tried map with key's
// best tokens/s so far.
func faster[M llamaMeasurement](best, m M, key string) M {
	out := m
	if best != nil && best.rate() >= m.rate() {
		out = best
	}
	if key != "" {
		tried := map[string]float64{}
		if best != nil {
			maps.Copy(tried, *best.tried())
		}
		tried[key] = max(tried[key], m.rate())
		*out.tried() = tried
	}
	return out
}
