package data

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestReadHHFixture(t *testing.T) {
	f, err := os.Open("../testdata/data/hh_small.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []Preference
	rep, err := ReadHH(f, "hh_small.jsonl", ReadOptions{}, func(p Preference) error { got = append(got, p); return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := []Preference{
		{Prompt: "\n\nHuman: What are some cuss words in english?\n\nAssistant:",
			Chosen:   "I'd rather not list those. Is there something else I can help with?",
			Rejected: "I can't think of any right now, sorry."},
		{Prompt: "\n\nHuman: Can you help me plan a birthday party?\n\nAssistant: Of course! How many guests are you expecting?\n\nHuman: About twenty kids.\n\nAssistant:",
			Chosen:   "For twenty kids, plan simple games, a cake and a quiet corner for breaks.",
			Rejected: "Twenty is a lot."},
		{Prompt: "\n\nHuman: What is the capital of France?\n\nAssistant:",
			Chosen: "Paris.", Rejected: "Paris. Or maybe Lyon, I am not sure."},
		{Prompt: "\n\nHuman: Translate “Assistant: hello” into French.\n\nAssistant:",
			Chosen: "« Assistant : bonjour »", Rejected: "Bonjour."},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("preferences:\n got  %+v\n want %+v", got, want)
	}
	if rep.Bad != 2 || rep.Records != 4 {
		t.Fatalf("report %+v", rep)
	}
	wantErrs := []string{
		`hh_small.jsonl:4: field "chosen": differs from the other transcript before its last assistant turn`,
		`hh_small.jsonl:5: field "rejected": has an empty last assistant turn`,
	}
	for i, w := range wantErrs {
		if rep.Problems[i].Error() != w {
			t.Errorf("problem %d: %q, want %q", i, rep.Problems[i], w)
		}
	}
	for _, p := range got {
		if err := p.Validate(); err != nil {
			t.Errorf("imported preference invalid: %v", err)
		}
	}
}

func TestSplitHHKeepsSharedWordsInAnswers(t *testing.T) {
	// The answers share "The " and more; the prompt must still end at the header.
	p, err := SplitHH("\n\nHuman: Hi\n\nAssistant: The cat sat.", "\n\nHuman: Hi\n\nAssistant: The cat ran.")
	if err != nil {
		t.Fatal(err)
	}
	if p.Prompt != "\n\nHuman: Hi\n\nAssistant:" || p.Chosen != "The cat sat." || p.Rejected != "The cat ran." {
		t.Errorf("got %+v", p)
	}
	if _, err := SplitHH("\n\nHuman: Hi\n\nAssistant: same", "\n\nHuman: Hi\n\nAssistant: same"); err == nil {
		t.Error("identical transcripts accepted")
	}
	if _, err := SplitHH("\n\nHuman: A\n\nAssistant: x", "\n\nHuman: B\n\nAssistant: x"); err == nil {
		t.Error("transcripts with different first turns accepted")
	}
}

func TestParseHHTranscript(t *testing.T) {
	msgs, err := ParseHHTranscript("\n\nHuman: Hi there\n\nAssistant: Hello!\n\nHuman: Bye\n\nAssistant:")
	if err != nil {
		t.Fatal(err)
	}
	want := []Message{{"user", "Hi there"}, {"assistant", "Hello!"}, {"user", "Bye"}}
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("got %v, want %v", msgs, want)
	}
	if _, err := ParseHHTranscript("Hello"); err == nil || !strings.Contains(err.Error(), "Human") {
		t.Errorf("err = %v", err)
	}
}
