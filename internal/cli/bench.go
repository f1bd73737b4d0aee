package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/align-project/align/internal/sysinfo"
)

func newBenchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench matmul|train|generate",
		Short: "Measure kernel, training and generation speed",
		Long: `bench measures how fast this machine runs align's work:

  matmul     one fp32 matrix multiplication, in GFLOP/s
  train      GPT training steps (forward, loss, backward, AdamW), in tokens/s
  generate   sampling with the KV cache, in new tokens/s

Each prints its throughput and the process's peak resident memory; --json
prints one JSON object instead, for scripts (bench/compare.sh runs these
beside PyTorch). Random inputs come from --seed; --threads sets the workers.`,
		Args: subcommandArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErrorf(cmd.CommandPath(), "choose one: 'align bench matmul', 'align bench train' or 'align bench generate'",
				"bench needs a benchmark name")
		},
	}
	cmd.AddCommand(newBenchMatmulCmd(g), newBenchTrainCmd(g), newBenchGenerateCmd(g))
	cmd.AddCommand(newBenchPPOCmd(g))
	return cmd
}

// benchStart resets the peak-memory mark so the report covers only the
// benchmark (where the kernel allows; otherwise the whole-process peak).
func benchStart() { _ = sysinfo.ResetPeakRSS() }

// writeJSON prints v as one line of JSON.
func writeJSON(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

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

// newRand returns the benchmark's generator for seed.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x616c69676e)) // "align"
}
