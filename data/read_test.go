package data

import (
	"errors"
	"strings"
	"testing"
)

// readAll reads src as format T with opts and returns the records and report.
func readAll[T Record](t *testing.T, src string, opts ReadOptions) ([]T, Report, error) {
	t.Helper()
	var out []T
	rep, err := Read(strings.NewReader(src), "f.jsonl", opts, func(r T) error { out = append(out, r); return nil })
	return out, rep, err
}

// badLine is a table entry: a file with one bad line, and the error that line
// must produce (exactly) in strict mode. Unknown fields are warnings when
// reading leniently, other problems make the line skipped.
type badLine struct {
	name string
	src  string
	want string
}

func checkBad[T Record](t *testing.T, cases []badLine) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, rep, err := readAll[T](t, c.src, ReadOptions{Strict: true})
			if err == nil {
				t.Fatalf("strict read accepted %q", c.src)
			}
			if err.Error() != c.want {
				t.Errorf("error\n got  %s\n want %s", err, c.want)
			}
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("error %T is not a *LineError", err)
			}
			if rep.Bad != 1 {
				t.Errorf("Bad = %d, want 1", rep.Bad)
			}
			// Lenient: the bad line is skipped, the good ones kept.
			recs, rep, err := readAll[T](t, c.src, ReadOptions{})
			if err != nil {
				t.Fatalf("lenient read: %v", err)
			}
			if strings.HasSuffix(c.want, "unknown field") { // only a warning

				want := strings.Replace(c.want, ": field", ": warning: field", 1)
				if rep.Warnings != 1 || rep.Bad != 0 || rep.Problems[0].Error() != want || len(recs) != rep.Lines {
					t.Errorf("lenient report %+v, want one warning %q", rep, want)
				}
				return
			}
			if rep.Bad != 1 || len(rep.Problems) != 1 || rep.Problems[0].Error() != c.want {
				t.Errorf("lenient report %+v, want one problem %q", rep, c.want)
			}
			if len(recs) != rep.Records || rep.Records != rep.Lines-1 {
				t.Errorf("lenient: %d records, report %+v", len(recs), rep)
			}
		})
	}
}

const goodPref = `{"prompt":"p","chosen":"a","rejected":"b"}`

func TestReadPreferenceErrors(t *testing.T) {
	checkBad[Preference](t, []badLine{
		{"p_chosen", goodPref + "\n" + `{"prompt":"p","chosen":"a","rejected":"b","p_chosen":1.3}`,
			`f.jsonl:2: field "p_chosen": 1.3 is outside [0, 1]`},
		{"rating", goodPref + "\n\n" + `{"prompt":"p","chosen":"a","rejected":"b","ratings":{"chosen":{"coherence":5,"relevance":11,"safety":3}}}`,
			`f.jsonl:3: field "ratings.chosen.relevance": 11 is outside [1, 10]`},
		{"partial rating", `{"prompt":"p","chosen":"a","rejected":"b","ratings":{"rejected":{"safety":3}}}`,
			`f.jsonl:1: field "ratings.rejected.coherence": 0 is outside [1, 10]`},
		{"rating type", `{"prompt":"p","chosen":"a","rejected":"b","ratings":{"chosen":{"coherence":5.5,"relevance":1,"safety":3}}}` + "\n" + goodPref,
			`f.jsonl:1: field "ratings.chosen.coherence": got number 5.5, want integer`},
		{"unknown nested", goodPref + "\n" + `{"prompt":"p","chosen":"a","rejected":"b","ratings":{"chosen":{"coherence":5,"relevance":1,"safety":3,"humour":2}}}`,
			`f.jsonl:2: field "ratings.chosen.humour": unknown field`},
		{"empty chosen", `{"prompt":"p","chosen":"  ","rejected":"b"}`, `f.jsonl:1: field "chosen": is missing or empty`},
		{"missing rejected", goodPref + "\n" + `{"prompt":"p","chosen":"a"}`, `f.jsonl:2: field "rejected": is missing or empty`},
		{"identical", `{"prompt":"p","chosen":"a","rejected":"a"}`, `f.jsonl:1: field "rejected": is identical to chosen`},
		{"source", `{"prompt":"p","chosen":"a","rejected":"b","source":"ai:judge"}`,
			`f.jsonl:1: field "source": "ai:judge" is neither "human:<id>" nor "ai:<judge>@<version>"`},
		{"margin", `{"prompt":"p","chosen":"a","rejected":"b","margin":-1}`,
			`f.jsonl:1: field "margin": -1 is negative (swap chosen and rejected instead)`},
		{"prompt type", `{"prompt":3,"chosen":"a","rejected":"b"}`, `f.jsonl:1: field "prompt": got number, want string`},
		{"syntax", goodPref + "\n" + `{"prompt":"p",,}`, `f.jsonl:2: invalid JSON at byte 15: invalid character ',' looking for beginning of object key string`},
		{"truncated", `{"prompt":"p","chosen":"a"`, `f.jsonl:1: invalid JSON: the line ends inside the object`},
		{"not object", `["p","a","b"]`, `f.jsonl:1: not a JSON object`},
		{"invalid utf8", goodPref + "\n" + "{\"prompt\":\"p\xff\",\"chosen\":\"a\",\"rejected\":\"b\"}", `f.jsonl:2: invalid UTF-8 at byte 13`},
		{"case", `{"Prompt":"p","chosen":"a","rejected":"b"}`, `f.jsonl:1: field "Prompt": unknown field`},
	})
}

func TestReadSFTErrors(t *testing.T) {
	good := `{"prompt":"q","completion":"a"}` + "\n" + `{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}`
	checkBad[SFT](t, []badLine{
		{"role", good + "\n" + `{"messages":[{"role":"robot","content":"q"},{"role":"assistant","content":"a"}]}`,
			`f.jsonl:3: field "messages[0].role": "robot" is not one of system, user, assistant`},
		{"last role", `{"messages":[{"role":"user","content":"q"}]}`,
			`f.jsonl:1: field "messages[0].role": the last message is from "user", want "assistant"`},
		{"empty content", good + "\n" + `{"messages":[{"role":"user","content":""},{"role":"assistant","content":"a"}]}`,
			`f.jsonl:3: field "messages[0].content": is missing or empty`},
		{"both", `{"prompt":"q","messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}`,
			`f.jsonl:1: field "messages": cannot be combined with prompt or completion`},
		{"no completion", `{"prompt":"q"}`, `f.jsonl:1: field "completion": is missing or empty`},
		{"nothing", good + "\n" + `{}`,
			`f.jsonl:3: field "prompt": is missing or empty (an SFT record needs prompt and completion, or messages)`},
		{"unknown in message", `{"messages":[{"role":"user","content":"q","name":"x"},{"role":"assistant","content":"a"}]}`,
			`f.jsonl:1: field "messages[0].name": unknown field`},
	})
}

func TestReadOtherFormatErrors(t *testing.T) {
	checkBad[Text](t, []badLine{
		{"empty", `{"text":"a"}` + "\n" + `{"text":""}`, `f.jsonl:2: field "text": is missing or empty`},
		{"unknown", `{"text":"a","meta":1}`, `f.jsonl:1: field "meta": unknown field`},
	})
	checkBad[Prompt](t, []badLine{
		{"empty tag", `{"prompt":"a","tags":["benign",""]}`, `f.jsonl:1: field "tags[1]": is missing or empty`},
		{"tags type", `{"prompt":"a"}` + "\n" + `{"prompt":"a","tags":"benign"}`, `f.jsonl:2: field "tags": got string, want array`},
	})
	checkBad[Pair](t, []badLine{
		{"one response", `{"prompt":"a","responses":["x"]}`, `f.jsonl:1: field "responses": has 1 responses, want at least 2`},
		{"empty response", `{"prompt":"a","responses":["x","y"]}` + "\n" + `{"prompt":"a","responses":["x",""]}`,
			`f.jsonl:2: field "responses[1]": is missing or empty`},
		{"id type", `{"id":7,"prompt":"a","responses":["x","y"]}`, `f.jsonl:1: field "id": got number, want string`},
	})
	checkBad[HH](t, []badLine{
		{"no human", `{"chosen":"Hi\n\nAssistant: a","rejected":"Hi\n\nAssistant: b"}`,
			`f.jsonl:1: field "chosen": does not start with "\n\nHuman:"`},
	})
}

func TestReadUnknownFieldLenientIsWarning(t *testing.T) {
	recs, rep, err := readAll[Prompt](t, `{"prompt":"a","extra":1}`+"\n"+`{"prompt":"b"}`, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || rep.Warnings != 1 || rep.Bad != 0 {
		t.Fatalf("got %d records, report %+v", len(recs), rep)
	}
	if got, want := rep.Problems[0].Error(), `f.jsonl:1: warning: field "extra": unknown field`; got != want {
		t.Errorf("warning %q, want %q", got, want)
	}
	if rep.Err() != nil {
		t.Errorf("Err() = %v for warnings only", rep.Err())
	}
}

func TestReadLines(t *testing.T) {
	// BOM, CRLF, blank lines, no final newline.
	src := "\xef\xbb\xbf{\"text\":\"a\"}\r\n\r\n   \n{\"text\":\"b\"}\n{\"text\":\"c\"}"
	recs, rep, err := readAll[Text](t, src, ReadOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[2].Text != "c" || rep.Lines != 3 {
		t.Fatalf("records %v, report %+v", recs, rep)
	}
}

func TestReadLongLine(t *testing.T) {
	long := `{"text":"` + strings.Repeat("x", 200<<10) + `"}`
	src := `{"text":"a"}` + "\n" + long + "\n" + `{"text":"b"}` + "\n"
	recs, rep, err := readAll[Text](t, src, ReadOptions{MaxLineBytes: 100 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[1].Text != "b" || rep.Bad != 1 {
		t.Fatalf("records %d, report %+v", len(recs), rep)
	}
	want := "f.jsonl:2: line is longer than 100 KiB, the longest line read: a record is one line of JSON, so shorten its text or leave it out"
	if rep.Problems[0].Error() != want {
		t.Errorf("got %q, want %q", rep.Problems[0], want)
	}
	// The same line is fine under the default limit.
	if recs, _, err := readAll[Text](t, src, ReadOptions{Strict: true}); err != nil || len(recs) != 3 {
		t.Errorf("default limit: %d records, %v", len(recs), err)
	}
}

func TestReadReportKeepsFirstErrors(t *testing.T) {
	src := strings.Repeat("{\"text\":\"\"}\n", 30) + `{"text":"ok"}`
	_, rep, err := readAll[Text](t, src, ReadOptions{MaxErrors: 5})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Bad != 30 || len(rep.Problems) != 5 || rep.Problems[4].Line != 5 || rep.Records != 1 {
		t.Fatalf("report %+v", rep)
	}
	if got := rep.String(); got != "f.jsonl: 1 records, 30 bad lines skipped" {
		t.Errorf("String() = %q", got)
	}
	if rep.Err() == nil {
		t.Error("Err() = nil with bad lines")
	}
}

func TestReadCallbackError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	_, err := Read(strings.NewReader("{\"text\":\"a\"}\n{\"text\":\"b\"}\n"), "f.jsonl", ReadOptions{},
		func(Text) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 || !strings.HasPrefix(err.Error(), "f.jsonl:1: ") {
		t.Fatalf("err %v after %d records", err, n)
	}
}

func TestDetectFormat(t *testing.T) {
	for src, want := range map[string]Format{
		`{"text":"a"}`:                                      FormatText,
		`{"prompt":"a","completion":"b"}`:                   FormatSFT,
		`{"messages":[]}`:                                   FormatSFT,
		"\n" + `{"prompt":"a","tags":["x"]}`:                FormatPrompt,
		`{"prompt":"a","responses":["x","y"]}`:              FormatPair,
		`{"prompt":"a","chosen":"x","rejected":"y"}`:        FormatPreference,
		`{"chosen":"\n\nHuman: a","rejected":"\n\nHuman:"}`: FormatHH,
		`{"other":1}`:                                       FormatUnknown,
	} {
		got, err := DetectFormat(strings.NewReader(src), 0)
		if err != nil || got != want {
			t.Errorf("DetectFormat(%q) = %v, %v; want %v", src, got, err, want)
		}
		if want != FormatUnknown {
			if back, err := ParseFormat(want.String()); err != nil || back != want {
				t.Errorf("ParseFormat(%q) = %v, %v", want.String(), back, err)
			}
		}
	}
	if _, err := DetectFormat(strings.NewReader("\n\n"), 0); err == nil {
		t.Error("DetectFormat of an empty stream succeeded")
	}
}
