package atomicfile

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFileReplacesWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.txt")
	for _, want := range []string{"first", "second, longer"} {
		if err := WriteFile(path, func(w io.Writer) error { _, err := io.WriteString(w, want); return err }); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Fatalf("read %q, %v; want %q", got, err, want)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
			t.Errorf("mode %v, want 0644", fi.Mode().Perm())
		}
	}
}

// TestWriteFileFailureKeepsOld checks that a writer failing midway leaves the
// previous file as it was and no temporary file behind.
func TestWriteFileFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.txt")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteFile(path, func(w io.Writer) error {
		io.WriteString(w, "half of the new")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want boom", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Fatalf("file now %q, want the old content", got)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("%d files in the directory, want 1 (no temporary left)", len(ents))
	}
	if err := WriteFile(filepath.Join(dir, "missing", "f"), func(io.Writer) error { return nil }); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
}

func TestWriteJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.json")
	if err := WriteJSON(path, map[string]int{"b": 2, "a": 1}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"a\": 1,\n  \"b\": 2\n}\n"; string(b) != want {
		t.Fatalf("wrote %q, want %q", b, want)
	}
	// A value JSON cannot encode is an error naming the file, and leaves
	// the old content.
	if err := WriteJSON(path, func() {}); err == nil || !strings.Contains(err.Error(), "v.json") {
		t.Fatalf("err %v, want one naming the file", err)
	}
	if b2, _ := os.ReadFile(path); string(b2) != string(b) {
		t.Fatal("a failed write changed the file")
	}
}

// JSON holds no NaN or infinity: the error names the file and the field
// instead of encoding/json's "unsupported value".
func TestWriteJSONNamesANonFiniteField(t *testing.T) {
	path := filepath.Join(t.TempDir(), "eval.json")
	v := struct {
		Steps  []struct{ Loss float64 } `json:"steps"`
		Ignore float64                  `json:"-"`
	}{Steps: []struct{ Loss float64 }{{1}, {math.NaN()}}, Ignore: math.Inf(1)}
	err := WriteJSON(path, v)
	if err == nil || !strings.Contains(err.Error(), "eval.json: steps[1].Loss is not a finite number") {
		t.Fatalf("err %v, want one naming eval.json and steps[1].Loss", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a failed write left %s: %v", path, err)
	}
}
