package serve

import (
	"bytes"
	"unicode/utf8"
)

// textStream turns the bytes of generated tokens into text that is safe to
// send: it finds stop strings and releases bytes only up to the last
// complete UTF-8 character and not into a possible beginning of a stop
// string.
type textStream struct {
	stops   [][]byte
	raw     []byte // every byte generated
	sent    int    // bytes of raw released so far
	end     int    // with stopped: raw[:end] is the final text
	stopped bool
}

func newTextStream(stops []string) *textStream {
	t := &textStream{}
	for _, s := range stops {
		t.stops = append(t.stops, []byte(s))
	}
	return t
}

// write adds the bytes of one token and returns the text that can now be
// released (possibly empty). After a stop string is found it returns the
// text before it and stopped becomes true; later writes return nothing.
func (t *textStream) write(b []byte) []byte {
	if t.stopped {
		return nil
	}
	old := len(t.raw)
	t.raw = append(t.raw, b...)
	if p := t.findStop(old); p >= 0 {
		t.stopped, t.end = true, p
		return t.release(max(p, t.sent))
	}
	return t.release(t.safeEnd())
}

// flush releases whatever is held back: the end of a generation.
func (t *textStream) flush() []byte {
	if t.stopped {
		return t.release(max(t.end, t.sent))
	}
	return t.release(len(t.raw))
}

func (t *textStream) release(end int) []byte {
	if end <= t.sent {
		return nil
	}
	out := t.raw[t.sent:end]
	t.sent = end
	return out
}

// findStop returns the position of the earliest stop string that ends after
// byte old (new bytes can only complete those), or -1.
func (t *textStream) findStop(old int) int {
	best := -1
	for _, s := range t.stops {
		from := max(0, old-len(s)+1)
		if i := bytes.Index(t.raw[from:], s); i >= 0 && (best < 0 || from+i < best) {
			best = from + i
		}
	}
	return best
}

// safeEnd is how far raw can be released: not into a suffix that begins a
// stop string, and not into an incomplete UTF-8 character.
func (t *textStream) safeEnd() int {
	end := len(t.raw)
	for _, s := range t.stops {
		for k := min(len(s)-1, len(t.raw)); k > 0; k-- {
			if bytes.HasSuffix(t.raw, s[:k]) {
				end = min(end, len(t.raw)-k)
				break
			}
		}
	}
	return utf8Boundary(t.raw, end)
}

// utf8Boundary backs end off to the start of a character that b[:end] holds
// only in part. Bytes that can never form a character are not held back.
func utf8Boundary(b []byte, end int) int {
	for k := end - 1; k >= max(0, end-utf8.UTFMax+1); k-- {
		c := b[k]
		if c&0xC0 == 0x80 {
			continue // a continuation byte: look further back for the start
		}
		if c >= 0xC0 && !utf8.FullRune(b[k:end]) {
			return k
		}
		return end
	}
	return end
}
