package data

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStatsFilePreferences(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prefs.jsonl")
	lines := []string{
		`{"prompt":"one two","chosen":"a b c","rejected":"d","source":"human:1","tags":["benign"],` +
			`"ratings":{"chosen":{"coherence":8,"relevance":6,"safety":10}},"p_chosen":0.9}`,
		`{"prompt":"three","chosen":"e f","rejected":"g h i j","source":"ai:j@v1","tags":["harmful","theft"],"p_chosen":0.5}`,
		`{"prompt":"three","chosen":"e f","rejected":"g h i j","source":"ai:j@v1","tags":["harmful","theft"],"p_chosen":0.5}`,
		`{"prompt":"bad","chosen":"x","rejected":"x"}`,
		`{"prompt":"four","chosen":"k","rejected":"l","margin":2,"extra":true}`,
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := StatsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Format != FormatPreference || s.Records != 4 || s.BadLines != 1 || s.Warnings != 1 || s.Duplicates != 1 {
		t.Fatalf("stats %+v", s)
	}
	if s.Sources["ai:j@v1"] != 2 || s.Tags["harmful"] != 2 || s.Tags["benign"] != 1 {
		t.Errorf("counts: sources %v tags %v", s.Sources, s.Tags)
	}
	if m := s.Ratings["chosen.safety"]; m.N != 1 || m.Mean != 10 {
		t.Errorf("ratings %v", s.Ratings)
	}
	if math.Abs(s.PChosen.Mean-(0.9+0.5+0.5)/3) > 1e-12 || s.Margin.N != 1 {
		t.Errorf("p_chosen %+v margin %+v", s.PChosen, s.Margin)
	}
	if len(s.Fields) != 3 || s.Fields[1].Field != "chosen" {
		t.Fatalf("fields %+v", s.Fields)
	}
	// chosen word counts 3, 2, 2, 1 → mean 2, median 2, max 3; bytes 5, 3, 3, 1.
	w, b := s.Fields[1].Words, s.Fields[1].Bytes
	if w.N != 4 || w.Mean != 2 || w.P50 != 2 || w.Max != 3 || b.Mean != 3 || b.P90 != 3 || b.Max != 5 {
		t.Errorf("chosen lengths: words %+v bytes %+v", w, b)
	}
	var out strings.Builder
	if err := s.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"format      preferences", "duplicates  1", "chosen.safety", "ai:j@v1", "prefs.jsonl:4: field \"rejected\""} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestStatsFileFormats(t *testing.T) {
	dir := t.TempDir()
	set := Instructions(1)
	sft := filepath.Join(dir, "sft.jsonl.gz")
	if err := WriteSFT(sft, set.Train); err != nil {
		t.Fatal(err)
	}
	s, err := StatsFile(sft)
	if err != nil || s.Format != FormatSFT || s.Records != len(set.Train) || s.BadLines != 0 {
		t.Fatalf("sft stats %+v, %v", s, err)
	}
	prompts := filepath.Join(dir, "prompts.jsonl")
	if err := WritePrompts(prompts, set.HeldOut); err != nil {
		t.Fatal(err)
	}
	s, err = StatsFile(prompts)
	if err != nil || s.Format != FormatPrompt || s.Tags["harmful"] == 0 || s.Tags["checkable"] == 0 {
		t.Fatalf("prompt stats %+v, %v", s, err)
	}
	s, err = StatsFile("../testdata/data/hh_small.jsonl")
	if err != nil || s.Format != FormatHH || s.Records != 4 || s.BadLines != 2 {
		t.Fatalf("hh stats %+v, %v", s, err)
	}
	other := filepath.Join(dir, "other.jsonl")
	os.WriteFile(other, []byte(`{"x":1}`+"\n"), 0o644)
	if _, err := StatsFile(other); err == nil {
		t.Error("unknown format accepted")
	}
}
