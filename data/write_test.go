package data

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func samplePreferences() []Preference {
	return []Preference{
		{Prompt: "What is 2+2?", Chosen: "4", Rejected: "5"},
		{ID: "x1", Prompt: "Say <hi> & \"bye\"\n", Chosen: "hi ✓", Rejected: "no",
			Ratings: &Ratings{Chosen: &Rating{9, 8, 10}, Rejected: &Rating{3, 4, 10}},
			PChosen: ptr(0.8), Source: "ai:principles@v1", Margin: ptr(2.0), Tags: []string{"benign"}},
		{Prompt: "How do I pick a lock?", Chosen: "I can't help with that.", Rejected: "Sure...",
			PChosen: ptr(0.0), Source: "human:ann-7"},
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	for _, name := range []string{"prefs.jsonl", "prefs.jsonl.gz"} {
		path := filepath.Join(t.TempDir(), name)
		want := samplePreferences()
		if err := WriteRecords(path, want); err != nil {
			t.Fatal(err)
		}
		got, rep, err := ReadAll[Preference](path, ReadOptions{Strict: true})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) || rep.Records != 3 {
			t.Errorf("%s: round trip\n got  %+v\n want %+v", name, got, want)
		}
	}
}

func TestWriterFormat(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter[Preference](&buf)
	for _, p := range samplePreferences()[:2] {
		if err := w.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := `{"prompt":"What is 2+2?","chosen":"4","rejected":"5"}` + "\n" +
		`{"id":"x1","prompt":"Say <hi> & \"bye\"\n","chosen":"hi ✓","rejected":"no",` +
		`"ratings":{"chosen":{"coherence":9,"relevance":8,"safety":10},"rejected":{"coherence":3,"relevance":4,"safety":10}},` +
		`"p_chosen":0.8,"source":"ai:principles@v1","margin":2,"tags":["benign"]}` + "\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	if w.Count() != 2 {
		t.Errorf("Count = %d", w.Count())
	}
}

func TestWriterRejectsInvalid(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter[Preference](&buf)
	err := w.Write(Preference{Prompt: "p", Chosen: "a", Rejected: "b", PChosen: ptr(1.5)})
	if err == nil || err.Error() != `write record 1: field "p_chosen": 1.5 is outside [0, 1]` {
		t.Errorf("err = %v", err)
	}
	if err := w.Write(Preference{Prompt: "p\xff", Chosen: "a", Rejected: "b"}); err == nil {
		t.Error("invalid UTF-8 written")
	}
	w.Flush()
	if buf.Len() != 0 {
		t.Errorf("wrote %q", buf.String())
	}
}

func TestWriteFileIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "texts.jsonl")
	if err := WriteRecords(path, []Text{{"old"}}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteFile(path, func(w *Writer[Text]) error {
		if err := w.Write(Text{"new"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != `{"text":"old"}`+"\n" {
		t.Errorf("file changed to %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	// An invalid record fails the whole file too.
	if err := WriteRecords(path, []Text{{"a"}, {""}}); err == nil || !strings.Contains(err.Error(), "record 2") {
		t.Errorf("err = %v", err)
	}
}
