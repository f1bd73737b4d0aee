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
