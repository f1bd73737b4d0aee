package data

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format names one of the JSONL formats this package reads.
type Format int

// The formats, in the order of DESIGN.md.
const (
	FormatUnknown    Format = iota
	FormatText              // {"text"}
	FormatSFT               // {"prompt","completion"} or {"messages"}
	FormatPrompt            // {"prompt","tags"?}
	FormatPair              // {"prompt","responses"}
	FormatPreference        // {"prompt","chosen","rejected",...}
	FormatHH                // {"chosen","rejected"} HH-RLHF transcripts
)

var formatNames = [...]string{"unknown", "text", "sft", "prompts", "pairs", "preferences", "hh-rlhf"}

func (f Format) String() string {
	if f < 0 || int(f) >= len(formatNames) {
		return "Format(" + strconv.Itoa(int(f)) + ")"
	}
	return formatNames[f]
}

// ParseFormat is the inverse of [Format.String].
func ParseFormat(s string) (Format, error) {
	for i, n := range formatNames {
		if i > 0 && n == s {
			return Format(i), nil
		}
	}
	return FormatUnknown, fmt.Errorf("unknown data format %q (want one of %s)", s, strings.Join(formatNames[1:], ", "))
}

// DetectFormat guesses the format of a JSONL stream from the keys of its first
// non-blank line. It reads at most that line (and at most maxLine bytes; 0
// means [DefaultMaxLineBytes]).
func DetectFormat(r io.Reader, maxLine int) (Format, error) {
	if maxLine <= 0 {
		maxLine = DefaultMaxLineBytes
	}
	lr := newLineReader(r, maxLine)
	for {
		line, tooLong, err := lr.next()
		if err == io.EOF {
			return FormatUnknown, fmt.Errorf("detect format: no records")
		}
		if err != nil {
			return FormatUnknown, fmt.Errorf("detect format: %w", err)
		}
		if tooLong {
			return FormatUnknown, fmt.Errorf("detect format: line %d is longer than %d bytes", lr.line, maxLine)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(line, &keys); err != nil {
			return FormatUnknown, fmt.Errorf("detect format: line %d: not a JSON object", lr.line)
		}
		return formatOfKeys(keys), nil
	}
}

func formatOfKeys(keys map[string]json.RawMessage) Format {
	has := func(k string) bool { _, ok := keys[k]; return ok }
	switch {
	case has("chosen") && has("rejected") && has("prompt"):
		return FormatPreference
	case has("chosen") && has("rejected"):
		return FormatHH
	case has("responses"):
		return FormatPair
	case has("messages") || has("completion"):
		return FormatSFT
	case has("text"):
		return FormatText
	case has("prompt"):
		return FormatPrompt
	}
	return FormatUnknown
}

// lineReader yields the lines of a stream without loading more than one line
// (of at most max bytes) into memory. Longer lines are skipped to their end
// and reported as too long.
type lineReader struct {
	br   *bufio.Reader
	max  int
	buf  []byte
	line int // number of the line last returned, from 1
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next line without its "\n" or "\r\n". At the end of the
// stream it returns io.EOF; a last line without a newline is still a line.
func (lr *lineReader) next() (line []byte, tooLong bool, err error) {
	lr.buf = lr.buf[:0]
	n := 0
	for {
		chunk, err := lr.br.ReadSlice('\n')
		n += len(chunk)
		if !tooLong {
			if n > lr.max+2 { // allow for "\r\n"
				tooLong = true
				lr.buf = lr.buf[:0]
			} else {
				lr.buf = append(lr.buf, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && n == 0 {
			return nil, false, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, false, err
		}
		break
	}
	lr.line++
	line = bytes.TrimSuffix(lr.buf, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if lr.line == 1 {
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")) // byte order mark
	}
	if !tooLong && len(line) > lr.max {
		tooLong = true
	}
	return line, tooLong, nil
}

func required(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return fieldErr(field, "is missing or empty")
	}
	return validUTF8(field, v)
}

func validUTF8(field, v string) error {
	if !utf8.ValidString(v) {
		return fieldErr(field, "is not valid UTF-8")
	}
	return nil
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
