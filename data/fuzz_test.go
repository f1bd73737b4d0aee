package data

import (
	"bytes"
	"testing"
)

// fuzzRead reads src as T leniently and checks what must hold for any input:
// no panic, consistent counts, valid records that survive a write and a
// strict re-read unchanged.
func fuzzRead[T Record](t *testing.T, src []byte) {
	var recs []T
	rep, err := Read(bytes.NewReader(src), "fuzz", ReadOptions{MaxLineBytes: 4096}, func(r T) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatalf("lenient read failed: %v", err)
	}
	if rep.Records != len(recs) || rep.Records+rep.Bad != rep.Lines {
		t.Fatalf("report %+v with %d records", rep, len(recs))
	}
	var buf bytes.Buffer
	w := NewWriter[T](&buf)
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatalf("record read as valid does not write: %v", err)
		}
	}
	w.Flush()
	var again []T
	if _, err := Read(&buf, "again", ReadOptions{Strict: true}, func(r T) error { again = append(again, r); return nil }); err != nil {
		t.Fatalf("written records do not read back: %v", err)
	}
	if len(recs) != len(again) {
		t.Fatalf("wrote %d records, read %d back", len(recs), len(again))
	}
	for i := range recs { // by content: an empty list and a missing one are the same
		if ContentHash(recs[i]) != ContentHash(again[i]) {
			t.Fatalf("round trip changed a record:\n%+v\n%+v", recs[i], again[i])
		}
	}
}

func FuzzRead(f *testing.F) {
	for _, s := range []string{
		goodPref,
		`{"prompt":"p","chosen":"a","rejected":"b","ratings":{"chosen":{"coherence":1,"relevance":2,"safety":3}},"p_chosen":0.5,"source":"human:x","margin":1}`,
		`{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}`,
		`{"prompt":"a","responses":["x","y"],"tags":["t"],"id":"1"}`,
		`{"text":"hello\u0000"}` + "\n\n" + `{"text":"x"}`,
		`{"chosen":"\n\nHuman: a\n\nAssistant: b","rejected":"\n\nHuman: a\n\nAssistant: c"}`,
		"{\"prompt\":\"\xff\"}",
		`{"prompt":"a","completion":"b"}` + "\r\n" + `[1,2]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		fuzzRead[Text](t, src)
		fuzzRead[SFT](t, src)
		fuzzRead[Prompt](t, src)
		fuzzRead[Pair](t, src)
		fuzzRead[Preference](t, src)
		fuzzRead[HH](t, src)
		_, _ = DetectFormat(bytes.NewReader(src), 4096)
	})
}

func FuzzSplitHH(f *testing.F) {
	f.Add("\n\nHuman: a\n\nAssistant: b", "\n\nHuman: a\n\nAssistant: c")
	f.Add("\n\nHuman: a\n\nAssistant: b\n\nHuman: x\n\nAssistant: y", "\n\nHuman: a\n\nAssistant: b\n\nHuman: x\n\nAssistant: z")
	f.Fuzz(func(t *testing.T, chosen, rejected string) {
		p, err := SplitHH(chosen, rejected)
		if err != nil {
			return
		}
		if p.Prompt+" "+p.Chosen != chosen && p.Prompt+p.Chosen != chosen {
			t.Fatalf("prompt+chosen does not rebuild chosen: %+v", p)
		}
		if p.Prompt+" "+p.Rejected != rejected && p.Prompt+p.Rejected != rejected {
			t.Fatalf("prompt+rejected does not rebuild rejected: %+v", p)
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("split preference invalid: %v", err)
		}
		_, _ = ParseHHTranscript(chosen)
	})
}
