// Package progress shows the progress of a long job: a bar redrawn in place
// (done/total, percentage, rate, ETA and free-form fields such as the loss)
// when the output is a terminal, and plain log lines at a steady pace
// otherwise, so that logs and CI output stay readable.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// IsTerminal reports whether w is a character device such as a terminal.
func IsTerminal(w io.Writer) bool {
	if fr, ok := w.(*Frame); ok {
		return fr.tty
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Bar reports the progress of a job of Total units.
type Bar struct {
	w      io.Writer
	tty    bool
	label  string
	total  int
	unit   string        // name of the rate's unit, e.g. "tok"
	every  time.Duration // plain mode: least time between lines
	width  int           // characters of the bar itself
	mu     sync.Mutex
	last   time.Time
	drawn  bool // a bar line is on screen (tty)
	lastLn string
}

// New returns a bar for total units of work, written to w: redrawn in place
// when tty is true, else printed as a line at most every `every` (forced
// lines are always printed). label starts every line.
func New(w io.Writer, tty bool, label string, total int, unit string, every time.Duration) *Bar {
	return &Bar{w: w, tty: tty, label: label, total: total, unit: unit, every: every, width: 24}
}

// Update shows that done units are complete, with the rate of unit per
// second, the estimated time left and extra fields ("loss 3.21 held 3.40").
// force prints a plain line even if the last one was recent (an evaluation).
func (b *Bar) Update(done int, rate float64, eta time.Duration, fields string, force bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if b.tty {
		if !force && done < b.total && now.Sub(b.last) < 100*time.Millisecond {
			return
		}
		b.last = now
		fmt.Fprintf(b.w, "\r%s\x1b[K", b.line(done, rate, eta, fields, true))
		b.drawn = true
		return
	}
	if !force && done < b.total && now.Sub(b.last) < b.every {
		return
	}
	b.last = now
	ln := b.line(done, rate, eta, fields, false)
	if ln != b.lastLn {
		fmt.Fprintln(b.w, ln)
		b.lastLn = ln
	}
}

// Log prints a line of its own, above the bar on a terminal.
func (b *Bar) Log(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tty && b.drawn {
		fmt.Fprint(b.w, "\r\x1b[K")
		b.drawn = false
	}
	fmt.Fprintln(b.w, line)
}

// Done ends the bar's line on a terminal.
func (b *Bar) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tty && b.drawn {
		fmt.Fprintln(b.w)
		b.drawn = false
	}
}

func (b *Bar) line(done int, rate float64, eta time.Duration, fields string, bar bool) string {
	var s strings.Builder
	if fr, ok := b.w.(*Frame); ok {
		frac := 0.0
		if b.total > 0 {
			frac = float64(done) / float64(b.total)
		}
		s.WriteString(fr.prefix(frac))
	}
	s.WriteString(b.label)
	pct := 0.0
	if b.total > 0 {
		pct = 100 * float64(done) / float64(b.total)
	}
	if bar {
		fill := 0
		if b.total > 0 {
			fill = min(b.width, b.width*done/b.total)
		}
		fmt.Fprintf(&s, " [%s%s]", strings.Repeat("=", fill), strings.Repeat(" ", b.width-fill))
	}
	fmt.Fprintf(&s, " %d/%d %3.0f%%", done, b.total, pct)
	if rate > 0 {
		fmt.Fprintf(&s, " %s %s/s", Human(rate), b.unit)
	}
	if done < b.total && eta > 0 {
		fmt.Fprintf(&s, " ETA %s", Duration(eta))
	}
	if fields != "" {
		s.WriteString(" ")
		s.WriteString(fields)
	}
	return s.String()
}

// Human formats a rate with k/M suffixes: 950, 12.3k, 4.50M.
func Human(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fk", v/1e3)
	case v >= 1e3:
		return fmt.Sprintf("%.2fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// Duration formats d to the second: 45s, 3m07s, 1h02m.
func Duration(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
}

// Frame is the one display of a job made of stages run one after another,
// each with bars of its own (the stages of 'align run'). Bars written to a
// Frame start with the stage ("run 3/8 reward") and the whole job's elapsed
// time and estimated time left, which weighs each stage by its expected
// share of the work. A Frame is an io.Writer: pass it where a stage writes
// its progress, and IsTerminal answers for the writer underneath.
type Frame struct {
	w       io.Writer
	tty     bool
	mu      sync.Mutex
	start   time.Time
	weights []float64 // expected share of the work per stage
	names   []string
	stage   int       // current stage, 0-based; -1 before the first
	begun   time.Time // start of the current stage
	skipped float64   // weight of stages that were already done
	log     io.Writer // also receives what is written, when not a terminal
}

// NewFrame returns a frame for the stages names with the expected relative
// costs weights (any positive unit, e.g. seconds), drawn on w.
func NewFrame(w io.Writer, tty bool, names []string, weights []float64) *Frame {
	return &Frame{w: w, tty: tty, start: time.Now(), names: names, weights: weights, stage: -1}
}

// Write passes p to the underlying writer, and to the log if one is set.
func (f *Frame) Write(p []byte) (int, error) {
	f.mu.Lock()
	log := f.log
	f.mu.Unlock()
	if log != nil {
		log.Write(p) // best effort: the display matters more than its copy
	}
	return f.w.Write(p)
}

// SetLog makes the frame copy what it writes to w (nil: stop), unless it
// draws on a terminal, whose redrawn lines make no log.
func (f *Frame) SetLog(w io.Writer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tty {
		w = nil
	}
	f.log = w
}

// Begin marks the start of stage k (0-based).
func (f *Frame) Begin(k int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stage, f.begun = k, time.Now()
}

// Skip records that stage k needs no work (it was done by an earlier run),
// so the estimate of the time left does not count it.
func (f *Frame) Skip(k int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.skipped += f.weights[k]
}

// Stage returns "run k/n name" for the current stage.
func (f *Frame) Stage() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stageLocked()
}

func (f *Frame) stageLocked() string {
	if f.stage < 0 {
		return "run"
	}
	return fmt.Sprintf("run %d/%d %s", f.stage+1, len(f.names), f.names[f.stage])
}

// prefix is what a bar of the current stage, frac done, starts with.
func (f *Frame) prefix(frac float64) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stageLocked()
	if f.stage < 0 {
		return s + " │ "
	}
	var total, before float64
	for i, w := range f.weights {
		total += w
		if i < f.stage {
			before += w
		}
	}
	total -= f.skipped
	before -= f.skipped
	elapsed := time.Since(f.start)
	s += " · " + Duration(elapsed)
	// The time left is extrapolated from the whole run's pace once some of it
	// is measured; the current stage's own fraction refines it.
	done := (before + f.weights[f.stage]*min(max(frac, 0), 1)) / max(total, 1e-9)
	if done > 0.02 && done < 1 {
		left := time.Duration(float64(elapsed) * (1 - done) / done)
		s += ", run ETA " + Duration(left)
	}
	return s + " │ "
}
