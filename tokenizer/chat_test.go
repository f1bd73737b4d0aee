package tokenizer

import (
	"reflect"
	"strings"
	"testing"
)

var conversation = []Message{
	{Role: "system", Content: "Be brief."},
	{Role: "user", Content: "Hi <|endoftext|> there"},
	{Role: "assistant", Content: "Hello!\n"},
	{Role: "user", Content: "  Bye"},
	{Role: "assistant", Content: ""},
}

func TestChatPlain(t *testing.T) {
	tok := trainSmall(t, TrainConfig{VocabSize: 400})
	f, err := tok.ChatFormat()
	eot, _ := tok.TokenID("<|endoftext|>")
	if err != nil || f.Name != ChatPlain || f.EndOfTurn != eot || !reflect.DeepEqual(f.Stop, []int{eot}) {
		t.Fatalf("format %+v, %v", f, err)
	}
	text, err := tok.ChatText(conversation, false)
	if err != nil {
		t.Fatal(err)
	}
	want := "System:\nBe brief.<|endoftext|>\nUser:\nHi <|endoftext|> there<|endoftext|>\n" +
		"Assistant:\nHello!\n<|endoftext|>\nUser:\n  Bye<|endoftext|>\nAssistant:\n<|endoftext|>\n"
	if text != want {
		t.Fatalf("ChatText:\n%q\nwant\n%q", text, want)
	}
	checkRendered(t, tok, conversation, f.EndOfTurn)
}

func TestChatML(t *testing.T) {
	tok := trainSmall(t, TrainConfig{VocabSize: 400, SpecialTokens: []string{"<|endoftext|>", "<|im_start|>", "<|im_end|>"}})
	f, _ := tok.ChatFormat()
	end, _ := tok.TokenID("<|im_end|>")
	eot, _ := tok.TokenID("<|endoftext|>")
	if f.Name != ChatML || f.EndOfTurn != end || !reflect.DeepEqual(f.Stop, []int{end, eot}) {
		t.Fatalf("format %+v", f)
	}
	text, _ := tok.ChatText(conversation[:3], true)
	want := "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi <|endoftext|> there<|im_end|>\n" +
		"<|im_start|>assistant\nHello!\n<|im_end|>\n<|im_start|>assistant\n"
	if text != want {
		t.Fatalf("ChatText:\n%q\nwant\n%q", text, want)
	}
	checkRendered(t, tok, conversation, f.EndOfTurn)
}

// checkRendered checks RenderChat's ids and mask against ChatText and the
// assistant contents, and that a prompt's ids prefix the ids of the full chat.
func checkRendered(t *testing.T, tok *Tokenizer, msgs []Message, endOfTurn int) {
	t.Helper()
	ids, mask, err := tok.RenderChat(msgs, false)
	if err != nil || len(ids) != len(mask) {
		t.Fatalf("RenderChat: %d ids, %d mask, %v", len(ids), len(mask), err)
	}
	text, _ := tok.ChatText(msgs, false)
	if got, _ := tok.Decode(ids); got != text {
		t.Fatalf("Decode(RenderChat) = %q, want ChatText %q", got, text)
	}
	var got, want []int
	for i, m := range mask {
		if m {
			got = append(got, ids[i])
		}
	}
	for _, m := range msgs {
		if m.Role == "assistant" {
			want = append(append(want, tok.Encode(m.Content)...), endOfTurn)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("assistant positions hold %v, want %v", got, want)
	}
	// The generation prompt for the last reply prefixes the whole conversation,
	// so what the model generates after it is exactly the reply's ids.
	prompt, pmask, _ := tok.RenderChat(msgs[:len(msgs)-1], true)
	if len(prompt) > len(ids) || !reflect.DeepEqual(ids[:len(prompt)], prompt) {
		t.Fatalf("prompt %v is not a prefix of %v", prompt, ids)
	}
	for _, m := range pmask[len(pmask)-3:] {
		if m {
			t.Fatal("generation prompt header is marked as assistant")
		}
	}
}

func TestChatErrors(t *testing.T) {
	tok := trainSmall(t, TrainConfig{VocabSize: 400})
	if _, _, err := tok.RenderChat([]Message{{Role: "robot", Content: "x"}}, false); err == nil || !strings.Contains(err.Error(), "robot") {
		t.Errorf("bad role: %v", err)
	}
	if _, _, err := tok.RenderChat(nil, false); err == nil {
		t.Error("no messages: no error")
	}
	none := trainSmall(t, TrainConfig{VocabSize: 400, SpecialTokens: []string{}})
	if _, _, err := none.RenderChat(conversation, false); err == nil {
		t.Error("tokenizer without EOS: no error")
	}
}
