package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAnnotateImportStatsExport runs the annotation commands that need no
// server on a fresh SQLite store: pairs go in, stats and export (with the
// quarantine of flagged annotators) come out without labels yet.
func TestAnnotateImportStatsExport(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "a.db")
	pairs := filepath.Join(dir, "pairs.jsonl")
	os.WriteFile(pairs, []byte(`{"prompt":"p1","responses":["a","b"]}
{"prompt":"p2","responses":["c","d"]}
`), 0o644)
	if code, out, errOut := run(t, "annotate", "import", "--db", db, "--project", "x", "--in", pairs); code != 0 || !strings.Contains(out, "imported 2 pairs") {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := run(t, "annotate", "stats", "--db", db, "--project", "x", "--quarantine-flagged")
	if code != 0 || !strings.Contains(out, "2 pairs") || !strings.Contains(errOut, "quarantined: 0") {
		t.Fatalf("stats: exit %d\n%s%s", code, out, errOut)
	}
	prefs, raw := filepath.Join(dir, "prefs.jsonl"), filepath.Join(dir, "raw.jsonl")
	code, out, errOut = run(t, "annotate", "export", "--db", db, "--project", "x", "--out", prefs, "--raw", raw, "--quarantine-flagged")
	if code != 0 || !strings.Contains(out, "2 unlabelled") {
		t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
	}
	for _, p := range []string{prefs, raw} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("export did not write %s: %v", p, err)
		}
	}
	if code, _, errOut := run(t, "annotate", "stats", "--db", db, "--project", "missing"); code == 0 || !strings.Contains(errOut, "missing") {
		t.Fatalf("unknown project: exit %d, %s", code, errOut)
	}
}
