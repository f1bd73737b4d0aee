package trainkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// ReadLog reads a JSON-lines log as Log writes it, one T per line. Blank
// lines are skipped. A last line that does not parse is taken for a line
// torn by an interrupted write and left out; a bad line anywhere else is an
// error naming the file and line.
func ReadLog[T any](path string) ([]T, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := bytes.Split(b, []byte("\n"))
	last := len(lines) - 1
	for last >= 0 && len(bytes.TrimSpace(lines[last])) == 0 {
		last--
	}
	var out []T
	for i, line := range lines[:last+1] {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(line, &v); err != nil {
			if i == last {
				break // torn by an interrupted write
			}
			return out, fmt.Errorf("%s:%d: not a JSON line of a metrics log: %v", path, i+1, err)
		}
		out = append(out, v)
	}
	return out, nil
}
