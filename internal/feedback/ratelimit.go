package feedback

import (
	"sync"
	"time"
)

// limiter counts failed logins per key (a username, a client address) in a
// fixed window and refuses keys over the limit until the window ends.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	now    func() time.Time
	seen   map[string]*window
}

type window struct {
	start    time.Time
	failures int
}

func newLimiter(max int, w time.Duration) *limiter {
	return &limiter{max: max, window: w, now: time.Now, seen: map[string]*window{}}
}

// blocked reports whether any key has used up its failures.
func (l *limiter) blocked(keys ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range keys {
		if w := l.seen[k]; w != nil && now.Sub(w.start) < l.window && w.failures >= l.max {
			return true
		}
	}
	return false
}

// fail counts one failure against every key.
func (l *limiter) fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.seen) > 100000 { // bound memory under a flood of names
		for k, w := range l.seen {
			if now.Sub(w.start) >= l.window {
				delete(l.seen, k)
			}
		}
	}
	for _, k := range keys {
		w := l.seen[k]
		if w == nil || now.Sub(w.start) >= l.window {
			w = &window{start: now}
			l.seen[k] = w
		}
		w.failures++
	}
}
