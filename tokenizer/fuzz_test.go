package tokenizer

import (
	"strings"
	"sync"
	"testing"
)

var (
	fuzzOnce sync.Once
	fuzzTok  *Tokenizer
)

// fuzzTokenizer is a small trained tokenizer with ChatML tokens, shared by fuzzers.
func fuzzTokenizer(tb testing.TB) *Tokenizer {
	fuzzOnce.Do(func() {
		fuzzTok = trainSmall(tb, TrainConfig{VocabSize: 400, SpecialTokens: []string{"<|endoftext|>", "<|im_start|>", "<|im_end|>"}})
	})
	return fuzzTok
}

// FuzzLoadTokenizerJSON: no input makes the loader panic, and whatever loads
// encodes and decodes exactly.
func FuzzLoadTokenizerJSON(f *testing.F) {
	data := tinyJSON(f)
	f.Add(data)
	for _, n := range []int{0, 1, 100, len(data) / 2, len(data) - 2} {
		f.Add(data[:n])
	}
	f.Add(mutated(f, data, func(m map[string]any) {
		var out []any
		for _, s := range model(m)["merges"].([]any) {
			a, b, _ := strings.Cut(s.(string), " ")
			out = append(out, []string{a, b})
		}
		model(m)["merges"] = out
	}))
	f.Add([]byte(`{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a a"]}}`))
	f.Add([]byte(`{"model": {"type": "BPE", "vocab": {}, "merges": [["a"]]}, "pre_tokenizer": {"type": "Sequence"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := ParseTokenizerJSON(data, "fuzz.json")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.json") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		const s = "Hello, wörld! 123 <|endoftext|>\n\n \xff"
		for _, o := range []Options{{}, {AllowSpecial: true}} {
			if got, err := tok.Decode(tok.EncodeWith(s, o)); err != nil || got != s && !tok.nfc {
				t.Fatalf("round trip: %q, %v", got, err)
			}
		}
	})
}

// FuzzRoundTrip: Decode(Encode(s)) == s for any bytes, with and without special
// tokens, and the long-word BPE agrees with the short one.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{"", "hello world", smallCorpus[:200], "<|im_start|>user\nhi<|im_end|>",
		"\xff\xfe\x00", "'s'S 'll  \t\n\r\n", "日本語 ²³ 😀", strings.Repeat("at", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok := fuzzTokenizer(t)
		for _, o := range []Options{{}, {AllowSpecial: true}} {
			if got, err := tok.Decode(tok.EncodeWith(s, o)); err != nil || got != s {
				t.Fatalf("%v: %q → %q, %v", o, s, got, err)
			}
		}
		if len(s) >= 2 {
			syms := make([]int32, len(s))
			for i := range len(s) {
				syms[i] = tok.byteID[s[i]]
			}
			long := tok.bpeLong(append([]int32(nil), syms...))
			short := tok.bpeShort(syms)
			if len(long) != len(short) {
				t.Fatalf("bpeLong %v, bpeShort %v", long, short)
			}
			for i := range long {
				if long[i] != short[i] {
					t.Fatalf("bpeLong %v, bpeShort %v", long, short)
				}
			}
		}
	})
}
