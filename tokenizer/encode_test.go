package tokenizer

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func TestRoundTripAnyBytes(t *testing.T) {
	tok := trainSmall(t, TrainConfig{VocabSize: 400})
	r := rand.New(rand.NewPCG(7, 8))
	for range 2000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		s := string(b)
		for _, o := range []Options{{}, {AllowSpecial: true}} {
			if got, err := tok.Decode(tok.EncodeWith(s, o)); err != nil || got != s {
				t.Fatalf("%q: got %q, %v", s, got, err)
			}
		}
	}
	if got, err := tok.Decode(nil); err != nil || got != "" {
		t.Fatal("empty decode")
	}
	if _, err := tok.Decode([]int{tok.VocabSize()}); err == nil {
		t.Fatal("decoding an unknown id gave no error")
	}
}

func TestSpecialTokensOnlyWhenAllowed(t *testing.T) {
	tok := trainSmall(t, TrainConfig{VocabSize: 400})
	eot, _ := tok.TokenID("<|endoftext|>")
	text := "a<|endoftext|>b"
	plain := tok.Encode(text)
	for _, id := range plain {
		if id == eot {
			t.Fatalf("Encode recognised <|endoftext|>: %v", plain)
		}
	}
	if !tok.IsSpecial(eot) || tok.IsSpecial(0) || tok.IsSpecial(-1) {
		t.Fatal("IsSpecial")
	}
	special := tok.EncodeWith(text, Options{AllowSpecial: true})
	if len(special) != 3 || special[1] != eot {
		t.Fatalf("EncodeWith AllowSpecial: %v", special)
	}
	for _, ids := range [][]int{plain, special} {
		if got, _ := tok.Decode(ids); got != text {
			t.Fatalf("decode %v = %q", ids, got)
		}
	}
}

// TestLongWordsMatchShortPath checks the heap-based BPE for long words against the
// rescanning one.
func TestLongWordsMatchShortPath(t *testing.T) {
	tok := trainSmall(t, TrainConfig{VocabSize: 400})
	r := rand.New(rand.NewPCG(9, 10))
	alphabet := "the cat sat on mat dog hat"
	for range 300 {
		b := make([]byte, longWord+1+r.IntN(400))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		var syms []int32
		for _, c := range b {
			syms = append(syms, tok.byteID[c])
		}
		long := tok.bpeLong(append([]int32(nil), syms...))
		short := tok.bpeShort(append([]int32(nil), syms...))
		if !reflect.DeepEqual(long, short) {
			t.Fatalf("%q:\nlong  %v\nshort %v", b, long, short)
		}
	}
	// A huge word stays fast.
	huge := strings.Repeat("a", 1<<20)
	if got, _ := tok.Decode(tok.Encode(huge)); got != huge {
		t.Fatal("huge word round trip")
	}
}

func TestEncodeBatchInOrder(t *testing.T) {
	tok := trainSmall(t, TrainConfig{VocabSize: 400})
	r := rand.New(rand.NewPCG(11, 12))
	texts := make([]string, 500)
	for i := range texts {
		texts[i] = randomText(r, 20)
	}
	got := tok.EncodeBatch(texts, Options{AllowSpecial: true})
	for i, text := range texts {
		if want := tok.EncodeWith(text, Options{AllowSpecial: true}); !reflect.DeepEqual(got[i], want) {
			t.Fatalf("text %d: batch %v, single %v", i, got[i], want)
		}
	}
	if len(tok.EncodeBatch(nil, Options{})) != 0 {
		t.Fatal("empty batch")
	}
}

// TestConcurrentEncode exercises the shared word cache (run with -race).
func TestConcurrentEncode(t *testing.T) {
	tok := trainSmall(t, TrainConfig{VocabSize: 400})
	want := tok.Encode(smallCorpus)
	tok.cache.init() // start cold
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := tok.Encode(smallCorpus); !reflect.DeepEqual(got, want) {
				t.Error("concurrent encode differs")
			}
		}()
	}
	wg.Wait()
}
