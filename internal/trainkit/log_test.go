package trainkit

import (
	"os"
	"path/filepath"
	"testing"
)

type line struct {
	Step int    `json:"step"`
	Note string `json:"note,omitempty"`
}

func writeLines(t *testing.T, path, key string, resumeAt int, lines ...any) {
	t.Helper()
	l, err := OpenLog(path, key, resumeAt)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range lines {
		if err := l.Write(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLogFreshStartTruncates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.jsonl")
	writeLines(t, path, "step", -1, line{Step: 1}, line{Step: 2})
	writeLines(t, path, "step", -1, line{Step: 1, Note: "<again>"})
	// json.Marshal's escaping, one object per line.
	if got, want := readFile(t, path), `{"step":1,"note":"\u003cagain\u003e"}`+"\n"; got != want {
		t.Errorf("after a fresh start the file holds %q, want %q", got, want)
	}
}

func TestLogResumeDropsLinesAfterTheCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.jsonl")
	// The interrupted run logged steps 5, 10 and 15 and a torn line; its
	// checkpoint is at step 10.
	content := `{"step":5}` + "\n" + `{"step":10}` + "\n" + `{"step":15}` + "\n" + `{"step":2`
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	writeLines(t, path, "step", 10, line{Step: 15, Note: "resumed"})
	want := `{"step":5}` + "\n" + `{"step":10}` + "\n" + `{"step":15,"note":"resumed"}` + "\n"
	if got := readFile(t, path); got != want {
		t.Errorf("resumed file:\n%s\nwant:\n%s", got, want)
	}
}

func TestLogResumeByAnotherKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "samples.jsonl")
	content := `{"iteration":1,"step":99}` + "\n" + `{"iteration":2}` + "\n" + `{"step":1}` + "\n" + `{"iteration":1}` + "\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	// A line without the key ends what is kept, even if lines after it
	// would qualify.
	writeLines(t, path, "iteration", 2)
	if got, want := readFile(t, path), `{"iteration":1,"step":99}`+"\n"+`{"iteration":2}`+"\n"; got != want {
		t.Errorf("kept %q, want %q", got, want)
	}
}

func TestLogResumeWithoutAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.jsonl")
	writeLines(t, path, "step", 3, line{Step: 4})
	if got, want := readFile(t, path), `{"step":4}`+"\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
