package data

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Numeric fields of a preference are bounded, and the reader names the file,
// the line and the field: an absurd margin (1e308) used to pass and end
// training with "json: unsupported value: +Inf".
func TestPreferenceNumbersBounded(t *testing.T) {
	const pre = `{"prompt":"p","chosen":"a","rejected":"b",`
	checkBad[Preference](t, []badLine{
		{"margin 1e308", pre + `"margin":1e308}`, `f.jsonl:1: field "margin": 1e+308 is outside [0, 10]: a margin is a reward difference, the log-odds of preferring chosen (10 means 99.995%); rating gaps on the 1-10 scale are at most 9`},
		{"margin 1e6", pre + `"margin":1e6}`, `f.jsonl:1: field "margin": 1e+06 is outside [0, 10]: a margin is a reward difference, the log-odds of preferring chosen (10 means 99.995%); rating gaps on the 1-10 scale are at most 9`},
		{"margin overflows", pre + `"margin":1e400}`, `f.jsonl:1: field "margin": 1e400 is out of range`},
		{"margin negative", pre + `"margin":-1}`, `f.jsonl:1: field "margin": -1 is negative (swap chosen and rejected instead)`},
		{"p_chosen above 1", pre + `"p_chosen":1.5}`, `f.jsonl:1: field "p_chosen": 1.5 is outside [0, 1]`},
		{"rating 11", pre + `"ratings":{"chosen":{"coherence":11,"relevance":5,"safety":5}}}`, `f.jsonl:1: field "ratings.chosen.coherence": 11 is outside [1, 10]`},
		{"rating overflows", pre + `"ratings":{"chosen":{"coherence":1e30,"relevance":5,"safety":5}}}`, `f.jsonl:1: field "ratings.chosen.coherence": 1e30 is out of range`},
		{"rating fraction", pre + `"ratings":{"chosen":{"coherence":1.5,"relevance":5,"safety":5}}}`, `f.jsonl:1: field "ratings.chosen.coherence": got number 1.5, want integer`},
	})
	// The largest margin a judge writes (a rating gap of 9) and the bound
	// itself pass.
	for _, m := range []string{"0", "9", "10"} {
		if _, _, err := readAll[Preference](t, pre+`"margin":`+m+`}`, ReadOptions{Strict: true}); err != nil {
			t.Errorf("margin %s: %v", m, err)
		}
	}
	// A record built in code cannot smuggle a NaN or an Inf past the writer
	// to the JSON encoder.
	for _, bad := range []float64{math.NaN(), math.Inf(1)} {
		x := bad
		for field, p := range map[string]Preference{
			"p_chosen": {Prompt: "p", Chosen: "a", Rejected: "b", PChosen: &x},
			"margin":   {Prompt: "p", Chosen: "a", Rejected: "b", Margin: &x},
		} {
			err := NewWriter[Preference](&bytes.Buffer{}).Write(p)
			if err == nil || !strings.Contains(err.Error(), `field "`+field+`"`) {
				t.Errorf("%s %v: %v", field, bad, err)
			}
		}
	}
}

// A pair may rank at most MaxResponses responses: 3,000 used to start
// 4.5M comparisons.
func TestPairResponsesBounded(t *testing.T) {
	resp := func(k int) string {
		r := make([]string, k)
		for i := range r {
			r[i] = fmt.Sprintf("%q", fmt.Sprint("r", i))
		}
		return `{"prompt":"p","responses":[` + strings.Join(r, ",") + `]}`
	}
	if _, _, err := readAll[Pair](t, resp(MaxResponses), ReadOptions{Strict: true}); err != nil {
		t.Errorf("%d responses: %v", MaxResponses, err)
	}
	checkBad[Pair](t, []badLine{
		{"17 responses", resp(17), `f.jsonl:1: field "responses": has 17 responses, at most 16: every two responses are compared (136 comparisons for 17); split them into pairs of at most 16 responses to the same prompt`},
		{"3000 responses", resp(3000), `f.jsonl:1: field "responses": has 3000 responses, at most 16: every two responses are compared (4498500 comparisons for 3000); split them into pairs of at most 16 responses to the same prompt`},
	})
}

// Reader errors name the file once and leak no Go names.
func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	_, _, err := ReadAll[Text](dir, ReadOptions{})
	if want := "read " + dir + ": is a directory, not a JSONL file"; err == nil || err.Error() != want {
		t.Errorf("directory: %v, want %q", err, want)
	}

	gz := filepath.Join(dir, "plain.jsonl.gz")
	if err := os.WriteFile(gz, []byte(`{"text":"a"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = ReadAll[Text](gz, ReadOptions{})
	if want := "read " + gz + ": not gzip-compressed data, though the name ends in .gz: rename the file or compress it"; err == nil || err.Error() != want {
		t.Errorf("not gzip: %v, want %q", err, want)
	}

	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for i := range 2000 {
		fmt.Fprintf(zw, `{"text":"line %d %s"}`+"\n", i, strings.Repeat("x", i%50))
	}
	zw.Close()
	cut := filepath.Join(dir, "cut.jsonl.gz")
	if err := os.WriteFile(cut, buf.Bytes()[:buf.Len()/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = ReadAll[Text](cut, ReadOptions{})
	if err == nil || !strings.Contains(err.Error(), "the compressed data ends early (a truncated file?)") || !strings.HasPrefix(err.Error(), "read "+cut+":") {
		t.Errorf("truncated gzip: %v", err)
	}

	long := filepath.Join(dir, "long.jsonl")
	if err := os.WriteFile(long, []byte(`{"text":"`+strings.Repeat("x", 3000)+`"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = ReadAll[Text](long, ReadOptions{Strict: true, MaxLineBytes: 2048})
	if want := long + ":1: line is longer than 2 KiB, the longest line read: a record is one line of JSON, so shorten its text or leave it out"; err == nil || err.Error() != want {
		t.Errorf("long line: %v, want %q", err, want)
	}
	for _, e := range []error{err} {
		for _, leak := range []string{"ReadOptions", "MaxLineBytes", "bufio", "Scanner", "token too long", "gzip:"} {
			if strings.Contains(e.Error(), leak) {
				t.Errorf("%q leaks %q", e, leak)
			}
		}
	}
}
