// Command matmul measures tensor.Gemm in GFLOP/s on 1024³ and the shapes a
// small GPT trains and decodes with, once per kernel implementation the CPU
// supports. Built with -tags openblas (cgo and libopenblas-dev) it times
// OpenBLAS's cblas_sgemm on the same inputs in the same process, alternating
// the two so that load from other processes falls on both alike, and prints
// the ratio. compare.sh sets up OpenBLAS's kernel and thread count.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/align-project/align/tensor"
)

type gemmFunc func(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, accumulate bool)

// Set by openblas.go when built with the openblas tag.
var (
	reference     gemmFunc
	referenceName string
)

// OpenBLAS's pthread workers busy-wait for a while after each call (about
// 2²⁸ cycles by default), which would steal the cores from the next Go round;
// every round therefore starts after a pause.
var settle time.Duration

var median bool

var shapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"NN 1024x1024x1024", false, false, 1024, 1024, 1024},
	{"NT 1024x768x256 (qkv)", false, true, 1024, 768, 256},
	{"NT 1024x256x256 (proj)", false, true, 1024, 256, 256},
	{"NT 1024x1024x256 (fc)", false, true, 1024, 1024, 256},
	{"NT 1024x256x1024 (fcproj)", false, true, 1024, 256, 1024},
	{"NN 1024x256x768 (dinp)", false, false, 1024, 256, 768},
	{"TN 768x256x1024 (dweight)", true, false, 768, 256, 1024},
	{"NT 8x768x256 (decode)", false, true, 8, 768, 256},
	{"NT 8x1024x256 (decode)", false, true, 8, 1024, 256},
	{"NT 8x256x1024 (decode)", false, true, 8, 256, 1024},
}

func main() {
	threads := flag.Int("threads", 2, "worker threads for tensor.Gemm")
	rounds := flag.Int("rounds", 7, "timed rounds per shape")
	flag.BoolVar(&median, "median", false, "report the median round instead of the best; the best is the better\nestimate of uncontended speed when other processes share the cores")
	minTime := flag.Duration("round", 40*time.Millisecond, "minimum duration of one round")
	flag.DurationVar(&settle, "settle", 200*time.Millisecond, "pause before each round, so OpenBLAS's spinning threads go to sleep")
	impls := flag.String("impl", "avx512,avx2,go", "comma-separated implementations to time")
	flag.Parse()
	tensor.SetThreads(*threads)
	if referenceName != "" {
		fmt.Println(referenceName)
	}
	var names []string
	for _, name := range strings.Split(*impls, ",") {
		if tensor.SetImplementation(name) == name {
			names = append(names, name)
		}
	}
	fmt.Printf("%-27s", "shape")
	for _, name := range names {
		fmt.Printf(" %9s", name)
	}
	if reference != nil {
		fmt.Printf(" %9s %7s", "openblas", "ratio")
	}
	fmt.Println("   (GFLOP/s)")
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range shapes {
		a, b, c := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n), make([]float32, s.m*s.n)
		lda, ldb := s.k, s.n
		if s.transA {
			lda = s.m
		}
		if s.transB {
			ldb = s.k
		}
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		run := func(f gemmFunc) func() {
			return func() { f(s.transA, s.transB, s.m, s.n, s.k, a, lda, b, ldb, c, s.n, false) }
		}
		fmt.Printf("%-27s", s.name)
		var best, ref float64
		for i, name := range names {
			tensor.SetImplementation(name)
			fns := []func(){run(tensor.Gemm)}
			if reference != nil && i == 0 {
				fns = append(fns, run(reference))
			}
			g := gflops(fns, flops, *rounds, *minTime)
			fmt.Printf(" %9.1f", g[0])
			if i == 0 {
				best = g[0]
			}
			if len(g) > 1 {
				ref = g[1]
			}
		}
		if reference != nil {
			fmt.Printf(" %9.1f %7.2f", ref, best/ref)
		}
		fmt.Println()
	}
}

// gflops times the functions in alternating rounds and returns the best (or
// median) rate of each.
func gflops(fns []func(), flops float64, rounds int, minTime time.Duration) []float64 {
	n := make([]int, len(fns))
	for i, f := range fns { // warm up and size the rounds
		start := time.Now()
		for n[i] = 0; time.Since(start) < minTime/4 || n[i] < 1; n[i]++ {
			f()
		}
		n[i] *= 4
	}
	rates := make([][]float64, len(fns))
	for range rounds {
		for i, f := range fns {
			time.Sleep(settle)
			start := time.Now()
			for range n[i] {
				f()
			}
			rates[i] = append(rates[i], flops*float64(n[i])/time.Since(start).Seconds()/1e9)
		}
	}
	out := make([]float64, len(fns))
	for i, r := range rates {
		slices.Sort(r)
		out[i] = r[len(r)-1]
		if median {
			out[i] = r[len(r)/2]
		}
	}
	return out
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}
