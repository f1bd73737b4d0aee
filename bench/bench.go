// Package bench measures how fast this machine runs align's work: one matrix
// multiplication (Matmul), GPT training steps (Train), sampling with the KV
// cache (Generate), whole PPO iterations (PPO), and Llama-family training and
// generation beside a PyTorch peer (Llama). Each takes a spec, returns
// a result whose JSON keys bench/compare.sh and the PyTorch peers in this
// directory share, and prints its table with WriteText; 'align bench' is
// flags → spec → call → print.
//
// Every benchmark resets the process's peak-memory mark when it starts, so
// the peak RSS it reports covers the benchmark alone where the kernel allows
// (otherwise it is the whole process's peak).
package bench

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/align-project/align/internal/sysinfo"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
)

// ModelShape is the GPT shape of the train, generate and ppo benchmarks, as
// it appears in their JSON under "config".
type ModelShape struct {
	Layers int `json:"layers"` // transformer blocks (L)
	Dim    int `json:"dim"`    // channels of the residual stream (C)
	Heads  int `json:"heads"`  // attention heads per block (NH); must divide Dim
	Ctx    int `json:"ctx"`    // context length (T)
	Vocab  int `json:"vocab"`  // vocabulary size (V)
}

// ReferenceShape is the configuration bench/compare.sh also gives PyTorch.
func ReferenceShape() ModelShape {
	return ModelShape{Layers: 4, Dim: 256, Heads: 4, Ctx: 128, Vocab: 256}
}

// Config is the model configuration of the shape.
func (s ModelShape) Config() model.Config {
	return model.Config{VocabSize: s.Vocab, Context: s.Ctx, Layers: s.Layers, Heads: s.Heads, Channels: s.Dim}
}

// Validate reports why the shape cannot be built: a *yamlconf.KeyError for
// heads that do not divide dim, otherwise model.Config's own error.
func (s ModelShape) Validate() error {
	if s.Heads > 0 && s.Dim > 0 && s.Dim%s.Heads != 0 {
		return yamlconf.Keyf("heads", "%d does not divide dim %d; pick one of its divisors, e.g. heads 4 for dim 256", s.Heads, s.Dim)
	}
	return s.Config().Validate()
}

// atLeast returns a *yamlconf.KeyError for the first setting below its
// minimum, or nil.
func atLeast(min int, settings ...setting) error {
	for _, s := range settings {
		if s.v < min {
			if min == 0 {
				return yamlconf.Keyf(s.key, "must not be negative, got %d", s.v)
			}
			return yamlconf.Keyf(s.key, "must be at least %d, got %d", min, s.v)
		}
	}
	return nil
}

// setting is an integer setting with its key, for atLeast.
type setting struct {
	key string
	v   int
}

// trainFLOPsPerToken estimates the floating-point operations of one training
// step (forward and backward) per token of a sequence of length t:
//
//	6·N + 12·L·t·C
//
// N counts the parameters that take part in matrix multiplications: all of
// them except the position table (T·C), which is only looked up; the token
// table counts because the tied LM head multiplies by it. Each such weight
// costs 2 FLOPs per token forward and 4 backward (6 in all). The attention
// term is Q·Kᵀ and A·V, 2·t·C each forward per layer, times 3 for forward
// and backward, over the full t×t score matrix as in the PaLM paper and
// nanoGPT's estimate_mfu; causal kernels execute about half of it. Layernorm,
// GELU, softmax and AdamW are not counted.
func trainFLOPsPerToken(cfg model.Config, t int) float64 {
	n := float64(cfg.NumParams()) - float64(cfg.Context)*float64(cfg.Channels)
	return 6*n + 12*float64(cfg.Layers)*float64(t)*float64(cfg.Channels)
}

// resetPeak resets the peak-memory mark so the report covers only the
// benchmark (where the kernel allows; otherwise the whole-process peak).
func resetPeak() { _ = sysinfo.ResetPeakRSS() }

// newRand returns the benchmark's generator for seed.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x616c69676e)) // "align"
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// kernels is the kernel name in an "align/avx512" implementation string.
func kernels(implementation string) string { return strings.TrimPrefix(implementation, "align/") }

// table prints aligned "name  value" rows under a title line.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, title string, args ...any) *table {
	fmt.Fprintf(w, title+"\n", args...)
	return &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
}

func (t *table) row(name, format string, args ...any) {
	fmt.Fprintf(t.tw, "  %s\t"+format+"\n", append([]any{name}, args...)...)
}

func (t *table) flush() error { return t.tw.Flush() }
