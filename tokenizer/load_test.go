package tokenizer

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/tokenizer/tiny_tokenizer.json")

// tinyJSON is the tokenizer.json of a small trained tokenizer with ChatML tokens.
func tinyJSON(tb testing.TB) []byte {
	tb.Helper()
	tok := trainSmall(tb, TrainConfig{VocabSize: 300, SpecialTokens: []string{"<|endoftext|>", "<|im_start|>", "<|im_end|>"}})
	var buf bytes.Buffer
	if err := tok.WriteJSON(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// mutated returns data with fn applied to its decoded JSON object.
func mutated(tb testing.TB, data []byte, fn func(m map[string]any)) []byte {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		tb.Fatal(err)
	}
	fn(m)
	out, err := json.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func model(m map[string]any) map[string]any { return m["model"].(map[string]any) }

func TestTokenizerJSONTestdata(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "tokenizer", "tiny_tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	if want := tinyJSON(t); !bytes.Equal(data, want) {
		// Regenerate with: go test ./tokenizer -run TestTokenizerJSONTestdata -update
		if *update {
			os.WriteFile(filepath.Join("..", "testdata", "tokenizer", "tiny_tokenizer.json"), want, 0o644)
		} else {
			t.Fatal("testdata/tokenizer/tiny_tokenizer.json is stale: training or saving changed (rerun with -update)")
		}
	}
}

func TestMergesAsPairs(t *testing.T) {
	data := tinyJSON(t)
	pairs := mutated(t, data, func(m map[string]any) {
		var out []any
		for _, s := range model(m)["merges"].([]any) {
			a, b, _ := strings.Cut(s.(string), " ")
			out = append(out, []string{a, b})
		}
		model(m)["merges"] = out
	})
	a, err := ParseTokenizerJSON(data, "strings.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseTokenizerJSON(pairs, "pairs.json")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Encode(smallCorpus), b.Encode(smallCorpus)) || a.NumMerges() != b.NumMerges() {
		t.Fatal("merges as pairs load differently")
	}
}

func TestLoadTokenizerJSONErrors(t *testing.T) {
	data := tinyJSON(t)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "file is empty"},
		{"truncated", data[:len(data)/2], "truncated JSON"},
		{"garbage", []byte("{\"model\": [}"), "invalid JSON at line 1, column"},
		{"no model", []byte(`{"added_tokens": []}`), "model: missing"},
		{"unigram", mutated(t, data, func(m map[string]any) { model(m)["type"] = "Unigram" }), `model.type: "Unigram"`},
		{"vocab type", mutated(t, data, func(m map[string]any) { model(m)["vocab"] = []int{1} }), "model.vocab"},
		{"byte fallback", mutated(t, data, func(m map[string]any) { model(m)["byte_fallback"] = true }), "model.byte_fallback"},
		{"prefix", mutated(t, data, func(m map[string]any) { model(m)["continuing_subword_prefix"] = "##" }), "model.continuing_subword_prefix"},
		{"bad merge", mutated(t, data, func(m map[string]any) { model(m)["merges"].([]any)[3] = "abc" }), `model.merges[3]: want "a b"`},
		{"merges type", mutated(t, data, func(m map[string]any) { model(m)["merges"] = []any{1, 2} }), `model.merges: want ["a b", ...]`},
		{"pairs type", mutated(t, data, func(m map[string]any) { model(m)["merges"] = []any{[]any{"a", 3}} }), `model.merges: want [[a, b], ...]`},
		{"bad pair", mutated(t, data, func(m map[string]any) { model(m)["merges"] = []any{[]string{"a"}} }), "model.merges[0]: want a pair"},
		{"unknown merge token", mutated(t, data, func(m map[string]any) { model(m)["merges"].([]any)[5] = "zzz q" }), `model.merges[5]: merge "zzz" "q": token "zzz" is not in the vocabulary`},
		{"missing byte", mutated(t, data, func(m map[string]any) { delete(model(m)["vocab"].(map[string]any), "Ā") }), "no token for byte 0x00"},
		{"duplicate id", mutated(t, data, func(m map[string]any) { model(m)["vocab"].(map[string]any)["Ā"] = 1 }), "id 1 is given to two tokens"},
		{"not byte-level", mutated(t, data, func(m map[string]any) { model(m)["vocab"].(map[string]any)["é€"] = 5000 }), `token "é€" (id 5000) is not byte-level encoded`},
		{"negative id", mutated(t, data, func(m map[string]any) { model(m)["vocab"].(map[string]any)["Ā"] = -1 }), "out of range"},
		{"added no id", mutated(t, data, func(m map[string]any) { delete(m["added_tokens"].([]any)[0].(map[string]any), "id") }), "added_tokens[0]: missing id"},
		{"added dup", mutated(t, data, func(m map[string]any) { m["added_tokens"].([]any)[1].(map[string]any)["id"] = 297 }), "two added tokens have id 297"},
		{"normalizer", mutated(t, data, func(m map[string]any) { m["normalizer"] = map[string]any{"type": "Lowercase"} }), `normalizer.type: "Lowercase"`},
		{"no pre-tokenizer", mutated(t, data, func(m map[string]any) { m["pre_tokenizer"] = nil }), "pre_tokenizer: missing"},
		{"whitespace", mutated(t, data, func(m map[string]any) { m["pre_tokenizer"] = map[string]any{"type": "Whitespace"} }), `pre_tokenizer.type: "Whitespace"`},
		{"prefix space", mutated(t, data, func(m map[string]any) {
			m["pre_tokenizer"].(map[string]any)["add_prefix_space"] = true
		}), "pre_tokenizer.add_prefix_space"},
		{"unknown regex", mutated(t, data, func(m map[string]any) {
			m["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
				map[string]any{"type": "Split", "pattern": map[string]any{"Regex": `\w+`}, "behavior": "Isolated"},
				map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}}}
		}), `pre_tokenizer.pretokenizers[0].pattern.Regex: "\\w+" is not a supported pattern`},
		{"decoder", mutated(t, data, func(m map[string]any) { m["decoder"] = map[string]any{"type": "WordPiece"} }), `decoder.type: "WordPiece"`},
	}
	for _, c := range cases {
		_, err := ParseTokenizerJSON(c.data, "dir/tokenizer.json")
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "dir/tokenizer.json: ") || !strings.Contains(msg, c.want) {
			t.Errorf("%s: error %q, want the file name and %q", c.name, msg, c.want)
		}
	}
}

func TestLoadGPT2Errors(t *testing.T) {
	enc, _ := json.Marshal(gpt2LikeVocab())
	bpe := []byte("#version: 0.2\nĠ t\n")
	if _, err := ParseGPT2(enc, bpe, "encoder.json", "vocab.bpe"); err != nil {
		t.Fatalf("valid files: %v", err)
	}
	cases := []struct {
		name     string
		enc, bpe []byte
		want     string
	}{
		{"truncated encoder", enc[:len(enc)-10], bpe, "encoder.json: truncated JSON"},
		{"encoder not object", []byte("[1, 2]"), bpe, "encoder.json: invalid JSON"},
		{"bad line", enc, []byte("#version: 0.2\nĠt\n"), "vocab.bpe: line 2: want two tokens"},
		{"unknown token", enc, []byte("#version: 0.2\nĠ t\nx yz\n"), `vocab.bpe: line 3: merge "x" "yz": token "yz" is not in the vocabulary`},
		{"missing result", enc, []byte("Ġ x\n"), `vocab.bpe: line 1: merge "Ġ" "x": result "Ġx" is not in the vocabulary`},
	}
	for _, c := range cases {
		_, err := ParseGPT2(c.enc, c.bpe, "encoder.json", "vocab.bpe")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "neither tokenizer.json nor encoder.json") {
		t.Errorf("empty dir: %v", err)
	}
}

// gpt2LikeVocab is the 256 byte tokens in GPT-2's order, then "Ġt".
func gpt2LikeVocab() map[string]int {
	v := map[string]int{}
	for id, b := range byteOrder() {
		v[string(byteToRune[b])] = id
	}
	v["Ġt"] = 256
	return v
}
