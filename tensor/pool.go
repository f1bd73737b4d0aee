package tensor

import (
	"runtime"
	"sync"
	"sync/atomic"
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

// The pool's goroutines are started once and then parked on their channels
// between jobs: spawning goroutines per call would cost more than the small
// kernels it parallelises. The calling goroutine always runs chunk 0 itself,
// so a job of w chunks wakes only w-1 workers.
var pool struct {
	mu      sync.Mutex // held for the whole of a parallel job
	workers []chan poolTask
}

type poolTask struct {
	fn     func(lo, hi int)
	lo, hi int
	wg     *sync.WaitGroup
	panics *atomic.Pointer[any]
}

func poolWorker(tasks chan poolTask) {
	for t := range tasks {
		runPoolTask(t)
	}
}

func runPoolTask(t poolTask) {
	defer func() {
		if r := recover(); r != nil {
			t.panics.CompareAndSwap(nil, &r)
		}
		t.wg.Done()
	}()
	t.fn(t.lo, t.hi)
}

// ParallelFor splits [0, n) into at most Threads() contiguous chunks and calls
// fn on each chunk concurrently. The split depends only on n and Threads().
//
// A ParallelFor started while another is running (from inside fn, or from a
// second goroutine) runs its chunks one after another on the caller: the
// chunks are the same, so results stay deterministic, and nested calls cannot
// deadlock on busy workers.
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
	if !pool.mu.TryLock() {
		for i := 0; i < w; i++ {
			fn(i*n/w, (i+1)*n/w)
		}
		return
	}
	defer pool.mu.Unlock()
	for len(pool.workers) < w-1 {
		ch := make(chan poolTask, 1)
		pool.workers = append(pool.workers, ch)
		go poolWorker(ch)
	}
	var wg sync.WaitGroup
	var panics atomic.Pointer[any]
	wg.Add(w - 1)
	for i := 1; i < w; i++ {
		pool.workers[i-1] <- poolTask{fn: fn, lo: i * n / w, hi: (i + 1) * n / w, wg: &wg, panics: &panics}
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				panics.CompareAndSwap(nil, &r)
			}
		}()
		fn(0, n/w)
	}()
	wg.Wait()
	if p := panics.Load(); p != nil {
		panic(*p)
	}
}
