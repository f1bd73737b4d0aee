package trainkit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadLog(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	type line struct{ Step int }
	long := `{"step":3,"note":"` + strings.Repeat("x", 2<<20) + `"}`
	got, err := ReadLog[line](write("ok.jsonl", "{\"step\":1}\n\n{\"step\":2}\n"+long+"\n{\"step\":4"))
	if err != nil || len(got) != 3 || got[2].Step != 3 {
		t.Fatalf("torn last line and a 2 MiB line: %v, %v", got, err)
	}
	_, err = ReadLog[line](write("bad.jsonl", "{\"step\":1}\nnot json\n{\"step\":3}\n"))
	if err == nil || !strings.Contains(err.Error(), "bad.jsonl:2: ") || strings.Contains(err.Error(), "bufio") {
		t.Fatalf("a bad line inside: err %v, want one naming bad.jsonl:2", err)
	}
	if _, err := ReadLog[line](filepath.Join(dir, "missing.jsonl")); !os.IsNotExist(err) {
		t.Fatalf("missing file: %v", err)
	}
}
