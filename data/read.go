package data

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultMaxLineBytes is the longest line [Read] accepts unless told otherwise.
const DefaultMaxLineBytes = 16 << 20

// DefaultMaxErrors is how many problems a [Report] keeps unless told otherwise.
const DefaultMaxErrors = 20

// ReadOptions control [Read].
type ReadOptions struct {
	// Strict stops at the first bad line and returns its error, and treats
	// unknown fields as errors. By default bad lines are skipped and counted,
	// and unknown fields are warnings (the record is kept).
	Strict bool
	// MaxLineBytes is the longest line accepted (0: DefaultMaxLineBytes).
	MaxLineBytes int
	// MaxErrors is how many errors and warnings the report keeps
	// (0: DefaultMaxErrors; counts are always complete).
	MaxErrors int
}

// LineError is a problem with one line of a named input, printed as
// "prefs.jsonl:17: field "p_chosen": 1.3 is outside [0, 1]".
type LineError struct {
	File    string
	Line    int
	Field   string // JSON path of the field at fault, or ""
	Msg     string
	Warning bool // the line was still used
}

func (e *LineError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	if e.Warning {
		b.WriteString("warning: ")
	}
	if e.Field != "" {
		fmt.Fprintf(&b, "field %q: ", e.Field)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Report says what a [Read] saw: counts are complete, Problems holds the
// first few bad lines and warnings in the order they occurred.
type Report struct {
	Name     string
	Lines    int // non-blank lines
	Records  int // records passed to the callback
	Bad      int // lines skipped (or, in strict mode, the line that stopped the read)
	Warnings int // lines used despite a warning
	Problems []*LineError
}

func (r Report) String() string {
	s := fmt.Sprintf("%s: %d records", r.Name, r.Records)
	if r.Bad > 0 {
		s += fmt.Sprintf(", %d bad lines skipped", r.Bad)
	}
	if r.Warnings > 0 {
		s += fmt.Sprintf(", %d warnings", r.Warnings)
	}
	return s
}

// Err summarises the bad lines as an error, or returns nil if there were none.
func (r Report) Err() error {
	if r.Bad == 0 {
		return nil
	}
	for _, p := range r.Problems {
		if !p.Warning {
			return fmt.Errorf("%d bad lines in %s, first: %w", r.Bad, r.Name, p)
		}
	}
	return fmt.Errorf("%d bad lines in %s", r.Bad, r.Name)
}

func (r *Report) add(e *LineError, max int) {
	if e.Warning {
		r.Warnings++
	} else {
		r.Bad++
	}
	if len(r.Problems) < max {
		r.Problems = append(r.Problems, e)
	}
}

// Read streams the JSONL records of r, named name in errors, to fn one at a
// time: each line is decoded, checked for unknown fields and wrong types, and
// validated with T's Validate. Blank lines are skipped. Bad lines are skipped
// and counted in the report, or with opts.Strict end the read with their
// *[LineError]. An I/O error or an error from fn also ends the read.
func Read[T Record](r io.Reader, name string, opts ReadOptions, fn func(T) error) (Report, error) {
	rep := Report{Name: name}
	maxLine, maxErrs := opts.MaxLineBytes, opts.MaxErrors
	if maxLine <= 0 {
		maxLine = DefaultMaxLineBytes
	}
	if maxErrs <= 0 {
		maxErrs = DefaultMaxErrors
	}
	lr := newLineReader(r, maxLine)
	for {
		line, tooLong, err := lr.next()
		if err == io.EOF {
			return rep, nil
		}
		if err != nil {
			return rep, readError(name, lr.line+1, err)
		}
		if !tooLong && len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		rep.Lines++
		var rec T
		var problem, warning *FieldError
		if tooLong {
			problem = fieldErr("", "line is longer than %s, the longest line read: a record is one line of JSON, so shorten its text or leave it out", byteSize(maxLine))
		} else {
			problem, warning = decodeLine(line, &rec, opts.Strict)
		}
		if problem != nil {
			e := &LineError{File: name, Line: lr.line, Field: problem.Field, Msg: problem.Msg}
			rep.add(e, maxErrs)
			if opts.Strict {
				return rep, e
			}
			continue
		}
		if warning != nil {
			rep.add(&LineError{File: name, Line: lr.line, Field: warning.Field, Msg: warning.Msg, Warning: true}, maxErrs)
		}
		rep.Records++
		if err := fn(rec); err != nil {
			return rep, fmt.Errorf("%s:%d: %w", name, lr.line, err)
		}
	}
}

// ReadFile is [Read] on the file at path (gzip-compressed if the name ends in
// ".gz"); errors name the file by path.
func ReadFile[T Record](path string, opts ReadOptions, fn func(T) error) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{Name: path}, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return Report{Name: path}, fmt.Errorf("read %s: is a directory, not a JSONL file", path)
	}
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return Report{Name: path}, readError(path, 0, err)
		}
		defer zr.Close()
		r = zr
	}
	return Read(r, path, opts, fn)
}

// ReadAll collects the records of the file at path; see [ReadFile].
func ReadAll[T Record](path string, opts ReadOptions) ([]T, Report, error) {
	var out []T
	rep, err := ReadFile(path, opts, func(rec T) error { out = append(out, rec); return nil })
	return out, rep, err
}

// readError describes an I/O error while reading name (line 0: before the
// first line) without repeating the name (the *os.PathError of a failed read
// names the file again) and in words for the failures of a compressed
// file, whose errors name the package that found them.
func readError(name string, line int, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) && pe.Path == name {
		err = pe.Err
	}
	where := name
	if line > 0 {
		where = fmt.Sprintf("%s:%d", name, line)
	}
	switch {
	case errors.Is(err, gzip.ErrHeader):
		return fmt.Errorf("read %s: not gzip-compressed data, though the name ends in .gz: rename the file or compress it", name)
	case errors.Is(err, gzip.ErrChecksum):
		return fmt.Errorf("read %s: the compressed data is corrupt (checksum mismatch): compress the file again", where)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("read %s: the compressed data ends early (a truncated file?): copy or compress it again", where)
	}
	return fmt.Errorf("read %s: %w", where, err)
}

// byteSize writes n bytes as "16 MiB" when it is a whole number of MiB or
// KiB, else as "N bytes".
func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// decodeLine decodes one JSON object into rec. It returns the problem that
// makes the line unusable, or a warning (an unknown field when not strict).
func decodeLine[T Record](line []byte, rec *T, strict bool) (problem, warning *FieldError) {
	if !utf8.Valid(line) {
		at := 0
		for at < len(line) {
			r, size := utf8.DecodeRune(line[at:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			at += size
		}
		return fieldErr("", "invalid UTF-8 at byte %d", at+1), nil
	}
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return fieldErr("", "not a JSON object"), nil
	}
	// A number too large for a float64 is a type error here, without the
	// field's name; the typed decode below reports it with the name.
	var generic any
	var te *json.UnmarshalTypeError
	if err := json.Unmarshal(trimmed, &generic); err != nil && !errors.As(err, &te) {
		return syntaxProblem(err), nil
	}
	if unknown := firstUnknownField(generic, typeOf[T]()); unknown != "" {
		e := fieldErr(unknown, "unknown field")
		if strict {
			return e, nil
		}
		warning = e
	}
	if err := json.Unmarshal(trimmed, rec); err != nil {
		if errors.As(err, &te) {
			want := jsonKind(te.Type)
			if num, ok := strings.CutPrefix(te.Value, "number "); ok && (want == "number" || want == "integer") {
				// A whole number of the right kind that does not fit (1e400,
				// or 1e30 for a rating), unlike 1.5 for an integer.
				if x, err := strconv.ParseFloat(num, 64); err != nil || want == "number" || x == math.Trunc(x) {
					return fieldErr(te.Field, "%s is out of range", num), nil
				}
			}
			return fieldErr(te.Field, "got %s, want %s", te.Value, want), nil
		}
		return fieldErr("", "%v", err), nil
	}
	if err := (*rec).Validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return fe, nil
		}
		return fieldErr("", "%v", err), nil
	}
	return nil, warning
}

func syntaxProblem(err error) *FieldError {
	var se *json.SyntaxError
	if errors.As(err, &se) && strings.Contains(se.Error(), "unexpected end") {
		return fieldErr("", "invalid JSON: the line ends inside the object")
	}
	if errors.As(err, &se) {
		return fieldErr("", "invalid JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	}
	return fieldErr("", "invalid JSON: %v", err)
}
