package tokenizer

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// The scanners are checked against regexp2, a backtracking engine that has the
// look-ahead the patterns use: the reference split is the regexp's leftmost
// matches, one after another, exactly as tiktoken and HF tokenizers apply them.

var refRegexps = map[Pattern]*regexp2.Regexp{}

func init() {
	for p, re := range patternRegex {
		refRegexps[p] = regexp2.MustCompile(re, regexp2.None)
	}
}

// refSplit splits s with the reference regexp. regexp2 works on runes, one per
// invalid byte as in []rune(s), so match positions are mapped back to bytes.
func refSplit(tb testing.TB, p Pattern, s string) []string {
	var offs []int // byte offset of each rune, and len(s)
	for i := 0; i < len(s); {
		offs = append(offs, i)
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	offs = append(offs, len(s))
	var out []string
	m, err := refRegexps[p].FindStringMatch(s)
	for ; m != nil && err == nil; m, err = refRegexps[p].FindNextMatch(m) {
		out = append(out, s[offs[m.Index]:offs[m.Index+m.Length]])
	}
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func split(p Pattern, s string) []string {
	var out []string
	splitWords(s, p.scanner(), func(w string) { out = append(out, w) })
	return out
}

var patterns = []Pattern{PatternGPT2, PatternCL100K, PatternQwen2}

func TestPreTokenizeExamples(t *testing.T) {
	cases := []struct {
		p    Pattern
		in   string
		want []string
	}{
		{PatternGPT2, "Hello world", []string{"Hello", " world"}},
		{PatternGPT2, "I'm  here\n\n\nnow  ", []string{"I", "'m", " ", " here", "\n\n", "\n", "now", "  "}},
		{PatternGPT2, "don't 'S 123abc", []string{"don", "'t", " '", "S", " 123", "abc"}},
		{PatternCL100K, "don'T 12345 x\r\n\r\n  y", []string{"don", "'T", " ", "123", "45", " x", "\r\n\r\n", " ", " y"}},
		{PatternQwen2, "a1234.!\n\nb", []string{"a", "1", "2", "3", "4", ".!\n\n", "b"}},
		{PatternQwen2, "'ſ", []string{"'ſ"}}, // (?i:'s) under Unicode case folding
		{PatternGPT2, "a\xffb\xc3", []string{"a", "\xff", "b", "\xc3"}},
	}
	for _, c := range cases {
		if got := split(c.p, c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %q: got %q, want %q", c.p, c.in, got, c.want)
		}
	}
}

// pieces of random test strings: every class, the contractions, Unicode spaces,
// letters and numbers, and broken UTF-8.
var randomPieces = []string{
	"a", "Z", "word", " ", "  ", "\t", "\n", "\r", "\r\n", "\v", "\f", "\u00a0", "\u3000",
	"\u2028", "\u0085", "\u200b", "0", "7", "42", "12345", "²", "٣", "Ⅻ", "é", "ß", "日本",
	"ǅ", "ﬁ", ".", ",", "!?", "'", "\"", "-", "—", "😀", "\x00", "\x7f", "\xff", "\xc3",
	"\xe2\x82", "'s", "'S", "'t", "'re", "'RE", "'Ve", "'m", "'ll", "'LL", "'d", "'D",
	"'x", "\u0301", "$", "<|endoftext|>",
}

func randomText(r *rand.Rand, n int) string {
	var sb strings.Builder
	for range n {
		sb.WriteString(randomPieces[r.IntN(len(randomPieces))])
	}
	return sb.String()
}

func TestPreTokenizeMatchesRegexp(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		s := randomText(r, 1+r.IntN(12))
		for _, p := range patterns {
			got, want := split(p, s), refSplit(t, p, s)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("case %d, %s, %q:\n got %q\nwant %q", i, p, s, got, want)
			}
		}
	}
}

func TestPreTokenizeMatchesRegexpOnMobyDick(t *testing.T) {
	text := strings.Join(mobyDick(t), "\n\n")
	if testing.Short() {
		text = text[:100000]
	}
	for _, p := range patterns {
		got, want := split(p, text), refSplit(t, p, text)
		if !reflect.DeepEqual(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("%s: word %d: got %q, want %q", p, i, got[i], want[i])
				}
			}
			t.Fatalf("%s: got %d words, want %d", p, len(got), len(want))
		}
	}
}

func FuzzPreTokenize(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		f.Add(randomText(r, 8))
	}
	f.Add("I'm  here\n\n\nnow  ")
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(s, "ſ") { // regexp2 does not case-fold 'ſ' to 's'
			return
		}
		for _, p := range patterns {
			got, want := split(p, s), refSplit(t, p, s)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s %q:\n got %q\nwant %q", p, s, got, want)
			}
		}
	})
}
