package trainkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/align-project/align/internal/atomicfile"
)

// Log appends JSON lines to a file, one object per Write. Each line goes to
// the file with one write call (no buffering), so an interrupted run loses
// at most the line being written.
type Log struct {
	f *os.File
}

// OpenLog opens the JSONL file at path for a run. A fresh run (resumeAt < 0)
// truncates it. A resumed run keeps the lines whose integer field key (such
// as "step" or "iteration") is at most resumeAt and drops the rest: those
// were written after the checkpoint by the run that was interrupted, and the
// resumed run writes them again. The first line that is torn (no newline),
// not a JSON object or without an integer key ends what is kept.
func OpenLog(path, key string, resumeAt int) (*Log, error) {
	if resumeAt < 0 {
		f, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		return &Log{f: f}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	keep := data[:keepLines(data, key, resumeAt)]
	if err := os.WriteFile(path, keep, 0o644); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, err
	}
	return &Log{f: f}, nil
}

// keepLines returns the length of the prefix of data made of the complete
// lines whose key is at most resumeAt.
func keepLines(data []byte, key string, resumeAt int) int {
	n := 0
	for rest := data; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break // a torn last line
		}
		var rec map[string]json.RawMessage
		if json.Unmarshal(rest[:i], &rec) != nil {
			break
		}
		var at int
		if json.Unmarshal(rec[key], &at) != nil || at > resumeAt {
			break
		}
		n += i + 1
		rest = rest[i+1:]
	}
	return n
}

// Write appends v as one line of JSON (encoding/json, as json.Marshal).
func (l *Log) Write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		if p := atomicfile.FirstNonFinite(v); p != "" {
			return fmt.Errorf("%s: %s is not a finite number, which JSON cannot hold", l.f.Name(), p)
		}
		return err
	}
	_, err = l.f.Write(append(b, '\n'))
	return err
}

// Close closes the file.
func (l *Log) Close() error { return l.f.Close() }
