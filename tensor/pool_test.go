package tensor

import (
	"sync"
	"sync/atomic"
	"testing"
)

// chunks records the calls ParallelFor makes.
func chunks(n int) [][2]int {
	var mu sync.Mutex
	var got [][2]int
	ParallelFor(n, func(lo, hi int) {
		mu.Lock()
		got = append(got, [2]int{lo, hi})
		mu.Unlock()
	})
	return got
}

func TestParallelForSplit(t *testing.T) {
	for _, nt := range []int{1, 2, 3, 8} {
		withThreads(t, nt)
		for _, n := range []int{0, 1, 2, 5, 7, 100, 1001} {
			got := chunks(n)
			if want := min(nt, n); len(got) != want {
				t.Fatalf("threads=%d n=%d: %d chunks, want %d", nt, n, len(got), want)
			}
			covered := make([]int, n)
			for _, c := range got {
				w := len(got)
				// Chunk i of w is [i·n/w, (i+1)·n/w): find i from lo.
				i := c[0] * w / max(n, 1)
				for i*n/w != c[0] {
					i++
				}
				if c[1] != (i+1)*n/w {
					t.Fatalf("threads=%d n=%d: chunk %v is not chunk %d of %d", nt, n, c, i, w)
				}
				for j := c[0]; j < c[1]; j++ {
					covered[j]++
				}
			}
			for j, k := range covered {
				if k != 1 {
					t.Fatalf("threads=%d n=%d: index %d covered %d times", nt, n, j, k)
				}
			}
		}
	}
}

// TestParallelForNested checks that ParallelFor called from inside a job, and
// from several goroutines at once, neither deadlocks nor loses work.
func TestParallelForNested(t *testing.T) {
	withThreads(t, 3)
	var total atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				ParallelFor(6, func(lo, hi int) {
					for range hi - lo {
						ParallelFor(10, func(lo, hi int) { total.Add(int64(hi - lo)) })
					}
				})
			}
		}()
	}
	wg.Wait()
	if got, want := total.Load(), int64(4*50*6*10); got != want {
		t.Fatalf("total %d, want %d", got, want)
	}
}

func TestParallelForPanic(t *testing.T) {
	withThreads(t, 2)
	defer func() {
		if r := recover(); r != "boom" {
			t.Fatalf("recovered %v, want boom", r)
		}
		// The pool must still work afterwards.
		if got := chunks(4); len(got) != 2 {
			t.Fatalf("after a panic: %d chunks", len(got))
		}
	}()
	ParallelFor(2, func(lo, hi int) {
		if lo == 1 {
			panic("boom")
		}
	})
}

// BenchmarkParallelFor measures the cost of waking the pool for an empty job.
func BenchmarkParallelFor(b *testing.B) {
	withThreads(b, 2)
	var sink atomic.Int64
	stop := cpuTimer(b)
	for b.Loop() {
		ParallelFor(2, func(lo, hi int) { sink.Add(1) })
	}
	stop()
}
