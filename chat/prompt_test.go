package chat_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/align-project/align/chat"
	"github.com/align-project/align/chat/chattest"
	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/tokenizer"
)

func TestPromptTokensKeepsTheEndOfALongPrompt(t *testing.T) {
	_, tok, err := checkpoint.LoadPolicy(chattest.PolicyDir(t, "sft", 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	render := func(prompt string) []int32 {
		ids, _, err := tok.RenderChat([]tokenizer.Message{{Role: "user", Content: prompt}}, true)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]int32, len(ids))
		for i, id := range ids {
			out[i] = int32(id)
		}
		return out
	}
	short := "Say a word."
	full := render(short)
	for _, context := range []int{0, len(full) + len(full)/2 + 2, 1000} {
		if got, err := chat.PromptTokens(tok, short, context); err != nil || !slices.Equal(got, full) {
			t.Errorf("context %d: a prompt that fits changed: %v, %v", context, got, err)
		}
	}
	long := strings.Repeat("What is 2 plus 3? ", 20)
	all := render(long)
	for _, context := range []int{48, 49, 7, 2} {
		got, err := chat.PromptTokens(tok, long, context)
		keep := context - max(context/4, 1)
		if err != nil || len(got) != keep || !slices.Equal(got, all[len(all)-keep:]) {
			t.Errorf("context %d: %d tokens, want the last %d of %d (%v)", context, len(got), keep, len(all), err)
		}
	}
	if got, _ := chat.PromptTokens(tok, long, 0); !slices.Equal(got, all) {
		t.Error("context 0 cut the prompt")
	}
}
