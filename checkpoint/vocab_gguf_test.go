package checkpoint

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// llamaVocabDir returns the directory of llama.cpp's vocab GGUF files, which
// scripts/install-test-assets.sh installs. Without them the test fails with
// a hint, except under -short.
func llamaVocabDir(t *testing.T) string {
	t.Helper()
	assets := os.Getenv("ALIGN_ASSETS")
	if assets == "" {
		assets = filepath.Join("..", ".assets")
	}
	dir := filepath.Join(assets, "llama-vocab")
	if _, err := os.Stat(filepath.Join(dir, ".done")); err != nil {
		if testing.Short() {
			t.Skipf("llama.cpp vocab GGUF files not installed in %s", dir)
		}
		t.Fatalf("llama.cpp vocab GGUF files not installed in %s\nhint: run scripts/install-test-assets.sh (or go test -short to skip)", dir)
	}
	return dir
}

// TestLlamaVocabGGUF parses every vocab-only GGUF file that ships with
// llama.cpp and checks what a tokenizer loader relies on.
func TestLlamaVocabGGUF(t *testing.T) {
	dir := llamaVocabDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "ggml-vocab-*.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 || !slices.Contains(files, filepath.Join(dir, "ggml-vocab-gpt-2.gguf")) {
		t.Fatalf("found %d vocab files in %s, want ggml-vocab-gpt-2.gguf among 10 or more", len(files), dir)
	}
	if testing.Short() { // parsing all ~75 MB takes seconds
		files = []string{filepath.Join(dir, "ggml-vocab-gpt-2.gguf")}
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".gguf"), func(t *testing.T) {
			g, err := OpenGGUF(path)
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			st, _ := os.Stat(path)
			if len(g.Tensors) != 0 || g.DataOffset < st.Size() || g.DataOffset-st.Size() >= int64(g.Alignment) {
				t.Errorf("%d tensors, data offset %d, size %d: the metadata should end the file", len(g.Tensors), g.DataOffset, st.Size())
			}
			arch, err := GGUFGet[string](g, KeyArchitecture)
			if err != nil || arch == "" {
				t.Errorf("architecture %q: %v", arch, err)
			}
			model, err := GGUFGet[string](g, KeyTokenizerModel)
			if err != nil {
				t.Fatal(err)
			}
			tokens, err := GGUFGet[[]string](g, KeyTokenizerTokens)
			if err != nil || len(tokens) < 1000 {
				t.Fatalf("%d tokens: %v", len(tokens), err)
			}
			if types, err := GGUFGet[[]int32](g, KeyTokenizerTypes); err != nil || len(types) != len(tokens) {
				t.Errorf("%d token types for %d tokens: %v", len(types), len(tokens), err)
			} else {
				for i, ty := range types {
					if ty < TokenTypeUndefined || ty > TokenTypeByte {
						t.Errorf("token %d %q has type %d", i, tokens[i], ty)
						break
					}
				}
			}
			if _, ok := g.Lookup(KeyTokenizerScores); ok {
				if s, err := GGUFGet[[]float32](g, KeyTokenizerScores); err != nil || len(s) != len(tokens) {
					t.Errorf("%d scores for %d tokens: %v", len(s), len(tokens), err)
				}
			}
			if model == "gpt2" {
				merges, err := GGUFGet[[]string](g, KeyTokenizerMerges)
				if err != nil || len(merges) == 0 {
					t.Errorf("BPE vocab without merges: %v", err)
				}
				for i, m := range merges {
					if l, r, ok := strings.Cut(m, " "); !ok || l == "" || r == "" {
						t.Errorf("merge %d %q is not \"left right\"", i, m)
						break
					}
				}
			}
			for _, k := range []string{KeyBOSTokenID, KeyEOSTokenID} {
				if _, ok := g.Lookup(k); !ok {
					continue
				}
				if id, err := GGUFGet[uint32](g, k); err != nil || int(id) >= len(tokens) {
					t.Errorf("%s = %d of %d tokens: %v", k, id, len(tokens), err)
				}
			}
			// Our writer reproduces a v3 file byte for byte from what our
			// reader found in it.
			if g.Version == 3 {
				var buf bytes.Buffer
				if err := WriteGGUF(&buf, g.KV, nil); err != nil {
					t.Fatal(err)
				}
				orig, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(buf.Bytes(), orig) {
					t.Errorf("rewritten file differs (%d bytes, original %d)", buf.Len(), len(orig))
				}
			}
		})
	}
}

// TestLlamaVocabGPT2 pins the GPT-2 vocab file to what GPT-2 is.
func TestLlamaVocabGPT2(t *testing.T) {
	g, err := OpenGGUF(filepath.Join(llamaVocabDir(t), "ggml-vocab-gpt-2.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for k, want := range map[string]any{
		KeyArchitecture:          "gpt2",
		KeyTokenizerModel:        "gpt2",
		KeyTokenizerPre:          "gpt-2",
		KeyGPT2ContextLength:     uint32(1024),
		KeyGPT2EmbeddingLength:   uint32(768),
		KeyGPT2FeedForwardLength: uint32(3072),
		KeyGPT2BlockCount:        uint32(12),
		KeyGPT2HeadCount:         uint32(12),
		KeyGPT2LayerNormEpsilon:  float32(1e-5),
		KeyBOSTokenID:            uint32(50256),
		KeyEOSTokenID:            uint32(50256),
	} {
		if got, ok := g.Lookup(k); !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", k, got, want)
		}
	}
	tokens, _ := GGUFGet[[]string](g, KeyTokenizerTokens)
	merges, _ := GGUFGet[[]string](g, KeyTokenizerMerges)
	if len(tokens) != 50257 || tokens[0] != "!" || tokens[50256] != "<|endoftext|>" || tokens[220] != "Ġ" {
		t.Errorf("%d tokens, [0]=%q [220]=%q", len(tokens), tokens[0], tokens[min(220, len(tokens)-1)])
	}
	if len(merges) != 50000 || merges[0] != "Ġ t" {
		t.Errorf("%d merges, first %q", len(merges), merges[0])
	}
}
