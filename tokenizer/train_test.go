package tokenizer

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// smallCorpus is a few lines of text repeated, enough to learn some merges.
var smallCorpus = strings.Repeat("the cat sat on the mat. The dog ate the hat!\n"+
	"Don't you think 1234 cats are more than 56 dogs?\n\tIndented   text  here.\n", 20)

func trainSmall(tb testing.TB, cfg TrainConfig) *Tokenizer {
	tb.Helper()
	tok, err := Train(cfg, smallCorpus)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

func TestTrainSmall(t *testing.T) {
	tok := trainSmall(t, TrainConfig{VocabSize: 300})
	if tok.VocabSize() != 300 || tok.NumMerges() < 40 {
		t.Fatalf("vocab %d, merges %d", tok.VocabSize(), tok.NumMerges())
	}
	for id := range 256 {
		if s, ok := tok.TokenText(id); !ok || len(s) != 1 {
			t.Fatalf("id %d is %q, want a single byte", id, s)
		}
	}
	if id, ok := tok.TokenID("<|endoftext|>"); !ok || id != 299 {
		t.Fatalf("<|endoftext|> is %d, %v", id, ok)
	}
	// The most frequent pair is "at": cat, sat, mat, ate, hat, cats (6 a block).
	first, _ := tok.TokenText(256)
	if first != "at" {
		t.Errorf("first merge made %q", first)
	}
	// Frequent words become single tokens.
	if ids := tok.Encode(" the"); len(ids) != 1 {
		t.Errorf(`" the" encodes to %v`, ids)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 1000 {
		s := randomText(r, 10)
		if got, err := tok.Decode(tok.Encode(s)); err != nil || got != s {
			t.Fatalf("round trip %q: %q, %v", s, got, err)
		}
	}
}

func TestTrainDeterministicAndSaveLoad(t *testing.T) {
	cfg := TrainConfig{VocabSize: 320, SpecialTokens: []string{"<|endoftext|>", "<|im_start|>", "<|im_end|>"}}
	a, b := trainSmall(t, cfg), trainSmall(t, cfg)
	var ja, jb bytes.Buffer
	if err := a.WriteJSON(&ja); err != nil {
		t.Fatal(err)
	}
	b.WriteJSON(&jb)
	if !bytes.Equal(ja.Bytes(), jb.Bytes()) {
		t.Fatal("two trainings on the same corpus differ")
	}
	path := t.TempDir() + "/tokenizer.json"
	if err := a.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var jc bytes.Buffer
	back.WriteJSON(&jc)
	if !bytes.Equal(ja.Bytes(), jc.Bytes()) {
		t.Fatal("save → load → save changed the file")
	}
	text := smallCorpus[:300] + "<|im_start|>x<|im_end|>"
	if !reflect.DeepEqual(a.EncodeWith(text, Options{AllowSpecial: true}), back.EncodeWith(text, Options{AllowSpecial: true})) {
		t.Fatal("reloaded tokenizer encodes differently")
	}
	if f, _ := back.ChatFormat(); f.Name != ChatML {
		t.Fatalf("chat format %q, want chatml", f.Name)
	}
}

func TestTrainConfigErrors(t *testing.T) {
	for _, cfg := range []TrainConfig{
		{VocabSize: 200},
		{VocabSize: 300, SpecialTokens: []string{"a", "a"}},
		{VocabSize: 300, SpecialTokens: []string{""}},
		{VocabSize: 300, Pattern: "o200k"},
	} {
		if _, err := NewTrainer(cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

// trainCorpus returns about n bytes of real text: Moby-Dick, then State of the
// Union addresses.
func trainCorpus(tb testing.TB, n int) []string {
	var docs []string
	size := 0
	for _, d := range append(mobyDick(tb), stateOfTheUnion(tb)...) {
		if size >= n {
			break
		}
		docs = append(docs, d)
		size += len(d)
	}
	if size < n {
		tb.Fatalf("only %d bytes of corpus, want %d: %s", size, n, installHint)
	}
	return docs
}

// TestTrainMatchesHF trains on real text, saves tokenizer.json, and checks that
// Hugging Face tokenizers loads it and encodes held-out text as we do.
func TestTrainMatchesHF(t *testing.T) {
	docs := mobyDick(t)
	tok, err := Train(TrainConfig{VocabSize: 2000}, docs[:100]...)
	if err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/tokenizer.json"
	if err := tok.Save(path); err != nil {
		t.Fatal(err)
	}
	held := append(lines(docs[100:120]), qwenExtra...)
	hf, _ := hfEncode(t, path, held)
	for i, text := range held {
		if got := tok.EncodeWith(text, Options{AllowSpecial: true}); !reflect.DeepEqual(got, hf[i]) {
			t.Fatalf("%.80q:\n got %v\n HF %v", text, got, hf[i])
		}
	}
}

// TestTrain5MB: training a 16k vocabulary on 5 MB of text takes under 30 s.
func TestTrain5MB(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("slow; timing is meaningless under -race")
	}
	docs := trainCorpus(t, 5<<20)
	start := time.Now()
	tok, err := Train(TrainConfig{VocabSize: 16384}, docs...)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("trained %d tokens (%d merges) on %d docs, 5 MB, in %v", tok.VocabSize(), tok.NumMerges(), len(docs), took)
	if took > 30*time.Second {
		t.Errorf("training took %v, want under 30 s", took)
	}
	if got, _ := tok.Decode(tok.Encode(docs[0])); got != docs[0] {
		t.Error("round trip failed")
	}
}

func BenchmarkTrain5MB(b *testing.B) {
	docs := trainCorpus(b, 5<<20)
	b.SetBytes(5 << 20)
	for b.Loop() {
		if _, err := Train(TrainConfig{VocabSize: 16384}, docs...); err != nil {
			b.Fatal(err)
		}
	}
}
