package data

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/align-project/align/internal/atomicfile"
)

// Writer writes records as JSON lines. Each record is validated first, so a
// Writer only ever produces lines that [Read] accepts in strict mode.
type Writer[T Record] struct {
	bw  *bufio.Writer
	enc *json.Encoder
	n   int
}

// NewWriter returns a Writer on w. Call Flush when done.
func NewWriter[T Record](w io.Writer) *Writer[T] {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &Writer[T]{bw: bw, enc: enc}
}

// Write validates rec and writes it as one line.
func (w *Writer[T]) Write(rec T) error {
	if err := rec.Validate(); err != nil {
		return fmt.Errorf("write record %d: %w", w.n+1, err)
	}
	if err := w.enc.Encode(rec); err != nil {
		return fmt.Errorf("write record %d: %w", w.n+1, err)
	}
	w.n++
	return nil
}

// Count is the number of records written so far.
func (w *Writer[T]) Count() int { return w.n }

// Flush writes any buffered data to the underlying writer.
func (w *Writer[T]) Flush() error { return w.bw.Flush() }

// WriteFile creates the JSONL file at path atomically: fn writes the records,
// and the file appears, complete, only if fn and every write succeed;
// otherwise path is left as it was. A name ending in ".gz" is compressed.
func WriteFile[T Record](path string, fn func(w *Writer[T]) error) error {
	return atomicfile.WriteFile(path, func(out io.Writer) error {
		if strings.HasSuffix(path, ".gz") {
			zw := gzip.NewWriter(out)
			w := NewWriter[T](zw)
			if err := fn(w); err != nil {
				return err
			}
			if err := w.Flush(); err != nil {
				return err
			}
			return zw.Close()
		}
		w := NewWriter[T](out)
		if err := fn(w); err != nil {
			return err
		}
		return w.Flush()
	})
}

// WriteRecords writes recs to the file at path atomically; see [WriteFile].
func WriteRecords[T Record](path string, recs []T) error {
	return WriteFile(path, func(w *Writer[T]) error {
		for _, r := range recs {
			if err := w.Write(r); err != nil {
				return err
			}
		}
		return nil
	})
}
