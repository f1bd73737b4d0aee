package tokenizer

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// llama.cpp's vocabulary-only GGUF files (installed by
// scripts/install-test-assets.sh) hold the tokenizers of models whose
// tokenizer.json we have no npm package for: Llama 3's among them. The tests
// below rebuild a tokenizer.json from one, which this small reader of GGUF
// metadata makes possible (the checkpoint package has the full reader, but it
// imports this package).
const llamaVocabDir = "llama-vocab"

// ggufMeta reads the metadata key/values of a GGUF file: strings, integers,
// and arrays of them (arrays of strings as []string, of integers as []int).
func ggufMeta(tb testing.TB, path string) map[string]any {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	le := binary.LittleEndian
	fail := func(err error) { tb.Fatalf("%s: %v", path, err) }
	u32 := func() uint32 {
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			fail(err)
		}
		return le.Uint32(b[:])
	}
	u64 := func() uint64 {
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			fail(err)
		}
		return le.Uint64(b[:])
	}
	str := func() string {
		b := make([]byte, u64())
		if _, err := io.ReadFull(r, b); err != nil {
			fail(err)
		}
		return string(b)
	}
	// scalar reads one value of a GGUF scalar type: integers as int.
	scalar := func(typ uint32) any {
		switch typ {
		case 0, 1, 7: // uint8, int8, bool
			b, err := r.ReadByte()
			if err != nil {
				fail(err)
			}
			return int(b)
		case 2, 3: // uint16, int16
			var b [2]byte
			if _, err := io.ReadFull(r, b[:]); err != nil {
				fail(err)
			}
			return int(le.Uint16(b[:]))
		case 4: // uint32
			return int(u32())
		case 5: // int32
			return int(int32(u32()))
		case 6: // float32: kept as bits
			return u32()
		case 8:
			return str()
		case 10, 11, 12: // uint64, int64, float64
			return int(u64())
		}
		fail(fmt.Errorf("GGUF value type %d", typ))
		return nil
	}
	if magic := u32(); magic != 0x46554747 {
		fail(fmt.Errorf("not a GGUF file (magic %#x)", magic))
	}
	u32() // version
	u64() // tensor count
	meta := map[string]any{}
	for range u64() {
		key := str()
		typ := u32()
		if typ != 9 {
			meta[key] = scalar(typ)
			continue
		}
		elem, n := u32(), u64()
		if elem == 8 {
			ss := make([]string, n)
			for i := range ss {
				ss[i] = str()
			}
			meta[key] = ss
			continue
		}
		is := make([]int, n)
		for i := range is {
			v, _ := scalar(elem).(int)
			is[i] = v
		}
		meta[key] = is
	}
	return meta
}

// llama3FromGGUF writes a Hugging Face tokenizer.json equivalent to llama.cpp's
// Llama 3 vocabulary (as Meta's file is built: cl100k's pattern, ignore_merges,
// the control tokens as special added tokens) into dir and returns its path and
// the GGUF's BOS and EOS ids.
func llama3FromGGUF(tb testing.TB, dir string) (path string, bos, eos int) {
	tb.Helper()
	meta := ggufMeta(tb, asset(tb, filepath.Join(llamaVocabDir, "ggml-vocab-llama-bpe.gguf")))
	tokens, _ := meta["tokenizer.ggml.tokens"].([]string)
	merges, _ := meta["tokenizer.ggml.merges"].([]string)
	types, _ := meta["tokenizer.ggml.token_type"].([]int)
	if len(tokens) == 0 || len(types) != len(tokens) || len(merges) == 0 || meta["tokenizer.ggml.pre"] != "llama-bpe" {
		tb.Fatalf("unexpected GGUF metadata: %d tokens, %d types, %d merges, pre %v", len(tokens), len(types), len(merges), meta["tokenizer.ggml.pre"])
	}
	vocab := make(map[string]int, len(tokens))
	var added []map[string]any
	for id, tok := range tokens {
		vocab[tok] = id
		if types[id] == 3 || types[id] == 4 { // control, user-defined
			added = append(added, map[string]any{"id": id, "content": tok, "special": true,
				"single_word": false, "lstrip": false, "rstrip": false, "normalized": false})
		}
	}
	f := map[string]any{
		"added_tokens": added,
		"normalizer":   nil,
		"pre_tokenizer": map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]string{"Regex": patternRegex[PatternCL100K]}, "behavior": "Isolated", "invert": false},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false},
		}},
		"decoder": map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
		"model": map[string]any{"type": "BPE", "ignore_merges": true, "vocab": vocab, "merges": merges,
			"dropout": nil, "unk_token": nil, "continuing_subword_prefix": nil, "end_of_word_suffix": nil, "fuse_unk": false, "byte_fallback": false},
		"version": "1.0", "truncation": nil, "padding": nil, "post_processor": nil,
	}
	data, err := json.Marshal(f)
	if err != nil {
		tb.Fatal(err)
	}
	path = filepath.Join(dir, "tokenizer.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	bos, _ = meta["tokenizer.ggml.bos_token_id"].(int)
	eos, _ = meta["tokenizer.ggml.eos_token_id"].(int)
	return path, bos, eos
}

// TestLlama3ChatFromGGUF renders conversations with Llama 3's real vocabulary
// from a model directory holding a Llama 3.1-style template and Llama 3.1's
// generation_config.json, and checks the ids against Hugging Face tokenizers'
// encoding of the text the template gives (written out by hand), and the
// tokenizer itself against llama.cpp's test vectors.
func TestLlama3ChatFromGGUF(t *testing.T) {
	dir := t.TempDir()
	path, bos, eos := llama3FromGGUF(t, dir)
	gen := fmt.Sprintf(`{"bos_token_id": %d, "eos_token_id": [128001, 128008, 128009]}`, bos)
	if err := os.WriteFile(filepath.Join(dir, GenerationConfigFile), []byte(gen), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(map[string]any{"chat_template": llama31Template, "bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"})
	if err := os.WriteFile(filepath.Join(dir, TokenizerConfigFile), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}

	// The conversion: llama.cpp's own test vectors for this vocabulary.
	inp, err := os.ReadFile(asset(t, filepath.Join(llamaVocabDir, "ggml-vocab-llama-bpe.gguf.inp")))
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(asset(t, filepath.Join(llamaVocabDir, "ggml-vocab-llama-bpe.gguf.out")))
	if err != nil {
		t.Fatal(err)
	}
	texts := strings.Split(strings.TrimSuffix(string(inp), "\n__ggml_vocab_test__\n"), "\n__ggml_vocab_test__\n")
	wants := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(texts) != len(wants) {
		t.Fatalf("%d texts, %d encodings", len(texts), len(wants))
	}
	for i, text := range texts {
		var want []int
		for _, f := range strings.Fields(wants[i]) {
			var id int
			fmt.Sscan(f, &id)
			want = append(want, id)
		}
		if got := tok.Encode(text); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("llama.cpp vector %d %q: got %v, want %v", i, text, got, want)
		}
	}

	f, err := tok.ChatFormat()
	if err != nil || f.Name != ChatLlama3 || f.EndOfTurn != 128009 || !reflect.DeepEqual(f.Stop, []int{128009, 128001, 128008}) || f.BOS != 128000 || bos != 128000 || eos != 128001 {
		t.Fatalf("format %+v, %v (GGUF bos %d, eos %d)", f, err, bos, eos)
	}
	const sys = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
	cases := []struct {
		msgs []Message
		gen  bool
		want string
	}{
		{userOnly, true, sys + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
		{sysUser, true, sys + "Be brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
		{multi, false, sys + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>" +
			"<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nSee you.<|eot_id|>"},
	}
	var want []string
	for _, c := range cases {
		want = append(want, c.want)
	}
	hf, _ := hfEncode(t, path, want)
	for i, c := range cases {
		text, err := tok.ChatText(c.msgs, c.gen)
		if err != nil || text != c.want {
			t.Fatalf("case %d: ChatText %q (%v)\nwant %q", i, text, err, c.want)
		}
		ids, mask, err := tok.RenderChat(c.msgs, c.gen)
		if err != nil || !reflect.DeepEqual(ids, hf[i]) {
			t.Fatalf("case %d: RenderChat %v (%v)\nHF %v", i, ids, err, hf[i])
		}
		var a []int
		for j, m := range mask {
			if m {
				a = append(a, ids[j])
			}
		}
		var wantA []int
		for _, m := range c.msgs {
			if m.Role == "assistant" {
				wantA = append(append(wantA, tok.Encode(strings.TrimSpace(m.Content))...), 128009)
			}
		}
		if !reflect.DeepEqual(a, wantA) {
			t.Fatalf("case %d: assistant positions hold %v, want %v", i, a, wantA)
		}
	}
}

// qwen2GGUFTemplate is the chat template of llama.cpp's Qwen2 vocabulary file,
// as Qwen2's tokenizer_config.json has it.
func qwen2GGUFTemplate(tb testing.TB) string {
	tb.Helper()
	meta := ggufMeta(tb, asset(tb, filepath.Join(llamaVocabDir, "ggml-vocab-qwen2.gguf")))
	s, _ := meta["tokenizer.chat_template"].(string)
	if s == "" {
		tb.Fatal("ggml-vocab-qwen2.gguf has no tokenizer.chat_template")
	}
	return s
}
