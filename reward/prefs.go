package reward

import (
	"errors"
	"fmt"
	"strings"

	"github.com/align-project/align/data"
)

// ReadPreferences reads a preferences JSONL file. Every bad line is an
// error: the returned error lists the first few as "file:line: problem"
// (see data.LineError) and says how many there were. Warnings (unknown
// fields) are returned in the report and do not fail the read.
func ReadPreferences(path string) ([]data.Preference, data.Report, error) {
	prefs, rep, err := data.ReadAll[data.Preference](path, data.ReadOptions{})
	if err != nil {
		return nil, rep, fmt.Errorf("read preferences: %w", err)
	}
	if rep.Bad > 0 {
		var lines []string
		for _, p := range rep.Problems {
			if !p.Warning {
				lines = append(lines, p.Error())
			}
		}
		more := ""
		if n := rep.Bad - len(lines); n > 0 {
			more = fmt.Sprintf("\n(and %d more)", n)
		}
		return nil, rep, fmt.Errorf("read preferences: %d bad lines in %s:\n%s%s", rep.Bad, path, strings.Join(lines, "\n"), more)
	}
	if len(prefs) == 0 {
		return nil, rep, fmt.Errorf("read preferences: %w", errors.New(path+" holds no preferences"))
	}
	return prefs, rep, nil
}
