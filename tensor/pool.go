package tensor

import (
	"runtime"
	"sync"
)

var threads = runtime.GOMAXPROCS(0)

// SetThreads sets how many workers the kernels use (at least 1).
func SetThreads(n int) {
	if n < 1 {
		n = 1
	}
	threads = n
}

// Threads reports how many workers the kernels use.
func Threads() int { return threads }

// ParallelFor splits [0, n) into at most Threads() contiguous chunks and calls
// fn on each chunk concurrently. The split depends only on n and Threads().
func ParallelFor(n int, fn func(lo, hi int)) {
	w := threads
	if w > n {
		w = n
	}
	if w <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < w; i++ {
		lo, hi := i*n/w, (i+1)*n/w
		wg.Add(1)
		go func() { defer wg.Done(); fn(lo, hi) }()
	}
	wg.Wait()
}
