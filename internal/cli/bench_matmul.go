package cli

import (
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/align-project/align/internal/sysinfo"
	"github.com/align-project/align/tensor"
)

type matmulFlags struct {
	m, n, k int
	layout  string
	iters   int
	minTime time.Duration
	json    bool
}

// matmulResult is the JSON form of 'align bench matmul'.
type matmulResult struct {
	Benchmark      string  `json:"benchmark"`
	Implementation string  `json:"implementation"`
	Threads        int     `json:"threads"`
	Layout         string  `json:"layout"`
	M              int     `json:"m"`
	N              int     `json:"n"`
	K              int     `json:"k"`
	Iters          int     `json:"iters"`
	MsBest         float64 `json:"ms_best"`
	MsMedian       float64 `json:"ms_median"`
	GFLOPS         float64 `json:"gflops"`        // from the best run
	GFLOPSMedian   float64 `json:"gflops_median"` // from the median run
	PeakRSSMB      float64 `json:"peak_rss_mb"`
}

func newBenchMatmulCmd(g *globals) *cobra.Command {
	var f matmulFlags
	cmd := &cobra.Command{
		Use:   "matmul",
		Short: "Measure fp32 matrix multiplication in GFLOP/s",
		Long: `matmul times C = op(A)·op(B) for C of size m×n with inner dimension k, in
one of the layouts the transformer uses:

  nn   A[m×k]·B[k×n]     activations times weights
  nt   A[m×k]·B[n×k]ᵀ    a linear layer's forward pass, weights stored (out, in)
  tn   A[k×m]ᵀ·B[k×n]    a weight gradient

One untimed warm-up call comes first. By default the multiplication repeats
until --min-time has passed (at least 3 times); --iters fixes the count.
GFLOP/s counts 2·m·n·k floating-point operations per call and is reported for
the best and the median call.`,
		Example: `  align bench matmul
  align bench matmul --m 1024 --n 768 --k 256 --layout nt --threads 1 --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBenchMatmul(cmd, g, f)
		},
	}
	fs := cmd.Flags()
	fs.IntVar(&f.m, "m", 1024, "rows of C")
	fs.IntVar(&f.n, "n", 1024, "columns of C")
	fs.IntVar(&f.k, "k", 1024, "inner dimension")
	fs.StringVar(&f.layout, "layout", "nn", "operand layout: nn, nt or tn")
	fs.IntVar(&f.iters, "iters", 0, "timed calls (0: repeat until --min-time, at least 3)")
	fs.DurationVar(&f.minTime, "min-time", time.Second, "least total timed duration when --iters is 0")
	fs.BoolVar(&f.json, "json", false, "print one JSON object instead of a table")
	return cmd
}

func runBenchMatmul(cmd *cobra.Command, g *globals, f matmulFlags) error {
	path := cmd.CommandPath()
	if f.m < 1 || f.n < 1 || f.k < 1 {
		return usageErrorf(path, "", "--m, --n and --k must be positive, got %d, %d, %d", f.m, f.n, f.k)
	}
	if int64(f.m)*int64(f.k)+int64(f.k)*int64(f.n)+int64(f.m)*int64(f.n) > 1<<31 {
		return usageErrorf(path, "", "matrices of %d×%d×%d would need more than 8 GiB", f.m, f.n, f.k)
	}
	if f.iters < 0 {
		return usageErrorf(path, "", "--iters must not be negative, got %d", f.iters)
	}
	var mul func(c, a, b []float32, m, n, k int, accumulate bool)
	switch f.layout {
	case "nn":
		mul = tensor.MatMulNN
	case "nt":
		mul = tensor.MatMulNT
	case "tn":
		mul = tensor.MatMulTN
	default:
		return usageErrorf(path, "", "--layout must be nn, nt or tn, got %q", f.layout)
	}

	benchStart()
	rng := newRand(g.seed)
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = rng.Float32()*2 - 1
		}
		return s
	}
	a, b, c := fill(f.m*f.k), fill(f.k*f.n), make([]float32, f.m*f.n)

	ctx := cmd.Context()
	mul(c, a, b, f.m, f.n, f.k, false) // warm-up: page in C, start the workers
	var times []time.Duration
	var total time.Duration
	for {
		if f.iters > 0 && len(times) == f.iters {
			break
		}
		if f.iters == 0 && len(times) >= 3 && total >= f.minTime {
			break
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("bench matmul: %w", err)
		}
		start := time.Now()
		mul(c, a, b, f.m, f.n, f.k, false)
		d := time.Since(start)
		times = append(times, d)
		total += d
	}
	slices.Sort(times)
	best, median := times[0], times[len(times)/2]
	flop := 2 * float64(f.m) * float64(f.n) * float64(f.k)
	gflops := func(d time.Duration) float64 { return flop / d.Seconds() / 1e9 }
	res := matmulResult{
		Benchmark:      "matmul",
		Implementation: tensor.Implementation(),
		Threads:        tensor.Threads(),
		Layout:         f.layout,
		M:              f.m, N: f.n, K: f.k,
		Iters:        len(times),
		MsBest:       ms(best),
		MsMedian:     ms(median),
		GFLOPS:       gflops(best),
		GFLOPSMedian: gflops(median),
		PeakRSSMB:    sysinfo.PeakRSSMB(),
	}
	w := cmd.OutOrStdout()
	if f.json {
		return writeJSON(w, res)
	}
	t := newTable(w, "bench matmul: %s %d×%d×%d, %d calls, %d threads, %s kernels",
		res.Layout, res.M, res.N, res.K, res.Iters, res.Threads, res.Implementation)
	t.row("GFLOP/s", "%.1f best, %.1f median", res.GFLOPS, res.GFLOPSMedian)
	t.row("time", "%.2f ms best, %.2f ms median", res.MsBest, res.MsMedian)
	t.row("peak RSS", "%.0f MB", res.PeakRSSMB)
	return t.flush()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
