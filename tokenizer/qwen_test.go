package tokenizer

import (
	"reflect"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// Texts beyond English prose for the Qwen3 comparison: other scripts, digits,
// line-break runs, contractions in both cases, and text that NFC changes.
var qwenExtra = []string{
	"Ça va? 日本語のテキスト、中文文本。한국어 텍스트",
	"Числа 1234567 and ²³ ٣٤ ⅻ",
	"don't STOP'S They'RE we'Ve\r\n\r\n  \tindented\n\n\n",
	"e\u0301 vs é — NFC composes the first",
	"emoji 😀👍🏽 and math ∑∫√ and code: if (x != 0) { return -1; }",
	"<think>\nreasoning\n</think>\n\nanswer",
	"a<|im_start|>b<|endoftext|>c",
}

func TestQwen3MatchesHF(t *testing.T) {
	tok := loadQwen3(t)
	if f, err := tok.ChatFormat(); err != nil || f.Name != ChatML {
		t.Fatalf("chat format %+v, %v", f, err)
	}
	texts := append(lines(mobyDick(t)), qwenExtra...)
	if testing.Short() {
		texts = texts[len(texts)-200:]
	}
	hf, hfDecoded := hfEncode(t, asset(t, qwen3JSON), texts)
	for i, text := range texts {
		got := tok.EncodeWith(text, Options{AllowSpecial: true})
		if !reflect.DeepEqual(got, hf[i]) {
			t.Fatalf("text %d %.80q:\n got %v\nwant %v", i, text, got, hf[i])
		}
		dec, err := tok.Decode(got)
		if err != nil || dec != hfDecoded[i] || dec != norm.NFC.String(text) {
			t.Fatalf("text %d: decoded %q (%v), HF %q", i, dec, err, hfDecoded[i])
		}
	}
	t.Logf("%d texts: identical ids", len(texts))
}

func TestQwen3SpecialTokens(t *testing.T) {
	tok := loadQwen3(t)
	start, _ := tok.TokenID("<|im_start|>")
	think, _ := tok.TokenID("<think>")
	if start != 151644 || think != 151667 || tok.VocabSize() != 151669 {
		t.Fatalf("ids %d %d, vocab %d", start, think, tok.VocabSize())
	}
	// Special tokens are text unless allowed; non-special added tokens always match.
	plain := tok.Encode("<|im_start|><think>")
	if plain[len(plain)-1] != think || len(plain) < 3 {
		t.Errorf("Encode: %v", plain)
	}
	if got := tok.EncodeWith("<|im_start|><think>", Options{AllowSpecial: true}); !reflect.DeepEqual(got, []int{start, think}) {
		t.Errorf("EncodeWith AllowSpecial: %v", got)
	}
}

func TestQwen3ChatMatchesHF(t *testing.T) {
	tok := loadQwen3(t)
	msgs := []Message{
		{Role: "system", Content: "You are a helpful assistant."},
		{Role: "user", Content: "What is the capital of France?"},
		{Role: "assistant", Content: "Paris."},
		{Role: "user", Content: "And of Italy?"},
	}
	ids, mask, err := tok.RenderChat(msgs, true)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := tok.ChatText(msgs, true)
	want := "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is the capital of France?<|im_end|>\n" +
		"<|im_start|>assistant\nParis.<|im_end|>\n<|im_start|>user\nAnd of Italy?<|im_end|>\n<|im_start|>assistant\n"
	if text != want {
		t.Fatalf("ChatText:\n%q\nwant\n%q", text, want)
	}
	hf, _ := hfEncode(t, asset(t, qwen3JSON), []string{text})
	if !reflect.DeepEqual(ids, hf[0]) {
		t.Fatalf("RenderChat ids %v\nHF %v", ids, hf[0])
	}
	var assistant []int
	for i, m := range mask {
		if m {
			assistant = append(assistant, ids[i])
		}
	}
	end, _ := tok.TokenID("<|im_end|>")
	if want := append(tok.Encode("Paris."), end); !reflect.DeepEqual(assistant, want) {
		t.Fatalf("assistant positions hold %v, want %v", assistant, want)
	}
}

func TestQwen3SavedLoadsInHF(t *testing.T) {
	tok := loadQwen3(t)
	path := t.TempDir() + "/tokenizer.json"
	if err := tok.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := LoadTokenizerJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	hf, _ := hfEncode(t, path, qwenExtra)
	for i, text := range qwenExtra {
		want := tok.EncodeWith(text, Options{AllowSpecial: true})
		if got := back.EncodeWith(text, Options{AllowSpecial: true}); !reflect.DeepEqual(got, want) {
			t.Fatalf("reloaded, %q: got %v, want %v", text, got, want)
		}
		if !reflect.DeepEqual(hf[i], want) {
			t.Fatalf("HF on saved file, %q: got %v, want %v", text, hf[i], want)
		}
	}
}
