package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/align-project/align/internal/sysinfo"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/tensor"
)

// MatmulSpec is one fp32 multiplication C = op(A)·op(B), C of size M×N with
// inner dimension K, in one of the layouts the transformer uses:
//
//	nn   A[m×k]·B[k×n]     activations times weights
//	nt   A[m×k]·B[n×k]ᵀ    a linear layer's forward pass, weights stored (out, in)
//	tn   A[k×m]ᵀ·B[k×n]    a weight gradient
type MatmulSpec struct {
	M, N, K int
	Layout  string        // nn, nt or tn
	Iters   int           // timed calls; 0 repeats until MinTime has passed (at least 3 calls)
	MinTime time.Duration // least total timed duration when Iters is 0
	Seed    uint64        // draws the operands
}

// DefaultMatmulSpec is 1024³ in the nn layout for at least a second.
func DefaultMatmulSpec() MatmulSpec {
	return MatmulSpec{M: 1024, N: 1024, K: 1024, Layout: "nn", MinTime: time.Second}
}

// matmulKernels are the layouts by name.
var matmulKernels = map[string]func(c, a, b []float32, m, n, k int, accumulate bool){
	"nn": tensor.MatMulNN,
	"nt": tensor.MatMulNT,
	"tn": tensor.MatMulTN,
}

// Validate reports the first setting that cannot work as a *yamlconf.KeyError.
func (s MatmulSpec) Validate() error {
	for _, d := range []setting{{"m", s.M}, {"n", s.N}, {"k", s.K}} {
		if d.v < 1 {
			return yamlconf.Keyf(d.key, "must be positive, got %d", d.v)
		}
	}
	if int64(s.M)*int64(s.K)+int64(s.K)*int64(s.N)+int64(s.M)*int64(s.N) > 1<<31 {
		return yamlconf.Keyf("m", "matrices of %d×%d×%d would need more than 8 GiB", s.M, s.N, s.K)
	}
	if err := atLeast(0, setting{"iters", s.Iters}); err != nil {
		return err
	}
	if _, ok := matmulKernels[s.Layout]; !ok {
		return yamlconf.Keyf("layout", "must be nn, nt or tn, got %q", s.Layout)
	}
	return nil
}

// MatmulResult is the JSON form of 'align bench matmul'.
type MatmulResult struct {
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

// Matmul times the multiplication of spec after one untimed warm-up call,
// with tensor's current kernels and threads. GFLOP/s counts 2·m·n·k
// floating-point operations per call.
func Matmul(ctx context.Context, spec MatmulSpec) (MatmulResult, error) {
	if err := spec.Validate(); err != nil {
		return MatmulResult{}, err
	}
	mul := matmulKernels[spec.Layout]

	resetPeak()
	rng := newRand(spec.Seed)
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = rng.Float32()*2 - 1
		}
		return s
	}
	a, b, c := fill(spec.M*spec.K), fill(spec.K*spec.N), make([]float32, spec.M*spec.N)

	mul(c, a, b, spec.M, spec.N, spec.K, false) // warm-up: page in C, start the workers
	var times []time.Duration
	var total time.Duration
	for {
		if spec.Iters > 0 && len(times) == spec.Iters {
			break
		}
		if spec.Iters == 0 && len(times) >= 3 && total >= spec.MinTime {
			break
		}
		if err := ctx.Err(); err != nil {
			return MatmulResult{}, fmt.Errorf("bench matmul: %w", err)
		}
		start := time.Now()
		mul(c, a, b, spec.M, spec.N, spec.K, false)
		d := time.Since(start)
		times = append(times, d)
		total += d
	}
	slices.Sort(times)
	best, median := times[0], times[len(times)/2]
	flop := 2 * float64(spec.M) * float64(spec.N) * float64(spec.K)
	gflops := func(d time.Duration) float64 { return flop / d.Seconds() / 1e9 }
	return MatmulResult{
		Benchmark:      "matmul",
		Implementation: tensor.Implementation(),
		Threads:        tensor.Threads(),
		Layout:         spec.Layout,
		M:              spec.M, N: spec.N, K: spec.K,
		Iters:        len(times),
		MsBest:       ms(best),
		MsMedian:     ms(median),
		GFLOPS:       gflops(best),
		GFLOPSMedian: gflops(median),
		PeakRSSMB:    sysinfo.PeakRSSMB(),
	}, nil
}

// WriteText prints the result as 'align bench matmul' does.
func (r MatmulResult) WriteText(w io.Writer) error {
	t := newTable(w, "bench matmul: %s %d×%d×%d, %d calls, %d threads, %s kernels",
		r.Layout, r.M, r.N, r.K, r.Iters, r.Threads, r.Implementation)
	t.row("GFLOP/s", "%.1f best, %.1f median", r.GFLOPS, r.GFLOPSMedian)
	t.row("time", "%.2f ms best, %.2f ms median", r.MsBest, r.MsMedian)
	t.row("peak RSS", "%.0f MB", r.PeakRSSMB)
	return t.flush()
}
