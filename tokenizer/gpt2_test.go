package tokenizer

import (
	"bytes"
	"encoding/base64"
	"reflect"
	"strconv"
	"testing"

	"github.com/pkoukk/tiktoken-go-loader/assets"
)

// r50kRanks parses tiktoken's r50k_base rank file (one "base64-token rank" a line),
// which the tiktoken-go-loader module embeds.
func r50kRanks(tb testing.TB) map[string]int {
	tb.Helper()
	data, err := assets.Assets.ReadFile("r50k_base.tiktoken")
	if err != nil {
		tb.Fatal(err)
	}
	ranks := make(map[string]int, 50257)
	for n, line := range bytes.Split(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		tok, rank, ok := bytes.Cut(line, []byte(" "))
		raw, err1 := base64.StdEncoding.DecodeString(string(tok))
		r, err2 := strconv.Atoi(string(rank))
		if !ok || err1 != nil || err2 != nil {
			tb.Fatalf("r50k_base.tiktoken line %d: %q", n+1, line)
		}
		ranks[string(raw)] = r
	}
	return ranks
}

// tiktokenEncode is an independent reference: regexp2 splits the text with GPT-2's
// pattern, then tiktoken's rank-based BPE merges, in each word, the adjacent pair
// whose concatenation has the lowest rank, until no concatenation is a token.
func tiktokenEncode(tb testing.TB, ranks map[string]int, text string) []int {
	var ids []int
	for _, word := range refSplit(tb, PatternGPT2, text) {
		var parts []string
		for i := 0; i < len(word); i++ {
			parts = append(parts, word[i:i+1])
		}
		for len(parts) > 1 {
			best, bestRank := -1, 0
			for i := 0; i+1 < len(parts); i++ {
				if r, ok := ranks[parts[i]+parts[i+1]]; ok && (best < 0 || r < bestRank) {
					best, bestRank = i, r
				}
			}
			if best < 0 {
				break
			}
			parts[best] += parts[best+1]
			parts = append(parts[:best+1], parts[best+2:]...)
		}
		for _, p := range parts {
			ids = append(ids, ranks[p])
		}
	}
	return ids
}

func TestGPT2KnownIDs(t *testing.T) {
	tok := loadGPT2(t)
	for _, c := range []struct {
		text string
		ids  []int
	}{
		{"Hello world", []int{15496, 995}},
		{" the", []int{262}},
		{"<|endoftext|>", []int{27, 91, 437, 1659, 5239, 91, 29}},
	} {
		if got := tok.Encode(c.text); !reflect.DeepEqual(got, c.ids) {
			t.Errorf("Encode(%q) = %v, want %v", c.text, got, c.ids)
		}
	}
	if got := tok.EncodeWith("a<|endoftext|>b", Options{AllowSpecial: true}); !reflect.DeepEqual(got, []int{64, 50256, 65}) {
		t.Errorf("with special: %v", got)
	}
	if tok.VocabSize() != 50257 || tok.NumMerges() != 50000 {
		t.Errorf("vocab %d, merges %d", tok.VocabSize(), tok.NumMerges())
	}
}

// TestGPT2MatchesR50K checks that encoder.json + vocab.bpe encode every line of
// Moby-Dick (and each whole chapter), and the lines of the first 2 MB of State of
// the Union addresses, to the ids tiktoken's r50k ranks give.
func TestGPT2MatchesR50K(t *testing.T) {
	tok := loadGPT2(t)
	ranks := r50kRanks(t)
	chapters := mobyDick(t)
	texts := append(lines(chapters), chapters...)
	sotu := 0
	for _, l := range lines(stateOfTheUnion(t)) {
		if sotu += len(l); sotu > 2<<20 {
			break
		}
		texts = append(texts, l)
	}
	texts = append(texts, "  \n\t x\u00a0y 'S 's", "\xff\xfe broken \xc3 UTF-8", "numbers 1234567 ²³ ٣")
	if testing.Short() {
		texts = texts[:500]
	}
	nbytes := 0
	for i, text := range texts {
		got, want := tok.Encode(text), tiktokenEncode(t, ranks, text)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("text %d %.80q:\n got %v\nwant %v", i, text, got, want)
		}
		nbytes += len(text)
	}
	t.Logf("%d texts (%d lines of Moby-Dick), %d bytes: identical ids", len(texts), len(lines(chapters)), nbytes)
}

func TestGPT2RoundTripMobyDick(t *testing.T) {
	tok := loadGPT2(t)
	for _, ch := range mobyDick(t) {
		ids := tok.Encode(ch)
		if got, err := tok.Decode(ids); err != nil || got != ch {
			t.Fatalf("round trip failed: %v", err)
		}
	}
}

// TestGPT2SavedLoadsInHF saves GPT-2 as tokenizer.json, reloads it, and checks that
// Hugging Face tokenizers reads the file and encodes like us.
func TestGPT2SavedLoadsInHF(t *testing.T) {
	tok := loadGPT2(t)
	path := t.TempDir() + "/tokenizer.json"
	if err := tok.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadTokenizerJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	texts := lines(mobyDick(t))[:300]
	texts = append(texts, "a<|endoftext|>b", "  spaces\n\n\nand tabs\t\there")
	hf, _ := hfEncode(t, path, texts)
	for i, text := range texts {
		want := tok.EncodeWith(text, Options{AllowSpecial: true})
		if got := back.EncodeWith(text, Options{AllowSpecial: true}); !reflect.DeepEqual(got, want) {
			t.Fatalf("reloaded, text %q: got %v, want %v", text, got, want)
		}
		if !reflect.DeepEqual(hf[i], want) {
			t.Fatalf("HF, text %q: got %v, want %v", text, hf[i], want)
		}
	}
}
