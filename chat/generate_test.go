package chat_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/chat"
	"github.com/align-project/align/chat/chattest"
	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/yamlconf"
)

func promptsFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "prompts.jsonl")
	if err := os.WriteFile(path, []byte(chattest.PromptsJSONL), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func generateSpec(t *testing.T, model, prompts string) chat.GenerateSpec {
	s := chat.GenerateSpec{GenerateConfig: chat.DefaultGenerateConfig(), Model: model, Seed: 5,
		Out: filepath.Join(t.TempDir(), "pairs.jsonl")}
	s.Prompts, s.N, s.MaxNewTokens, s.TopP = prompts, 3, 6, 0.9
	return s
}

func TestGeneratePairsWithContrastPrefix(t *testing.T) {
	policy, prompts := chattest.PolicyDir(t, "sft", 1, 0), promptsFile(t)
	s := generateSpec(t, policy, prompts)
	s.ContrastPrefix = "I can't"
	var log bytes.Buffer
	s.Log = &log
	res, err := chat.GeneratePairs(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Prompts != 4 || res.Pairs != 4 || res.N != 3 || res.Out != s.Out || res.DroppedPairs != 0 {
		t.Errorf("result %+v", res)
	}
	if !strings.Contains(log.String(), "generate") {
		t.Errorf("no progress on Log: %q", log.String())
	}
	pairs, _, err := data.ReadAll[data.Pair](s.Out, data.ReadOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := data.ReadAll[data.Prompt](prompts, data.ReadOptions{Strict: true})
	if len(pairs) != len(want) {
		t.Fatalf("%d pairs, want %d", len(pairs), len(want))
	}
	for i, p := range pairs {
		if p.Prompt != want[i].Prompt || p.Answer != want[i].Answer || strings.Join(p.Tags, ",") != strings.Join(want[i].Tags, ",") {
			t.Errorf("pair %d does not carry its prompt record: %+v", i, p)
		}
		if len(p.Responses) != 3 || !strings.HasPrefix(p.Responses[2], "I can't") || strings.HasPrefix(p.Responses[0], "I can't") {
			t.Errorf("%q: responses %q, want 3 with only the last starting with the prefix", p.Prompt, p.Responses)
		}
		id := p.ID
		p.ID = ""
		if id == "" || id != data.PairID(p) {
			t.Errorf("pair %d: id %q, want its data.PairID %q", i, id, data.PairID(p))
		}
	}

	// The same seed gives the same file, another seed other responses.
	first, _ := os.ReadFile(s.Out)
	s.Out, s.Log = filepath.Join(t.TempDir(), "again.jsonl"), nil
	if _, err := chat.GeneratePairs(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(s.Out); !bytes.Equal(first, again) {
		t.Error("the same seed gave another file")
	}
	s.Seed++
	if _, err := chat.GeneratePairs(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if other, _ := os.ReadFile(s.Out); bytes.Equal(first, other) {
		t.Error("another seed gave the same file")
	}
}

// TestGeneratePairsResamplesEmptyResponses uses a model that ends half its
// answers at once: empty responses are sampled again, and what stays empty
// is dropped with the pairs it leaves short.
func TestGeneratePairsResamplesEmptyResponses(t *testing.T) {
	policy, prompts := chattest.PolicyDir(t, "sft", 1, 0.5), promptsFile(t)
	s := generateSpec(t, policy, prompts)
	s.Retries = 1
	res, err := chat.GeneratePairs(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if res.Resampled == 0 || res.DroppedResponses == 0 || res.DroppedResponses >= res.Resampled {
		t.Errorf("%+v: want some responses sampled again, fewer of them dropped", res)
	}
	pairs, _, err := data.ReadAll[data.Pair](s.Out, data.ReadOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	responses := 0
	for _, p := range pairs {
		responses += len(p.Responses)
		for _, r := range p.Responses {
			if strings.TrimSpace(r) == "" {
				t.Errorf("%q: an empty response was kept", p.Prompt)
			}
		}
	}
	// Every sampled response is kept, dropped as empty, or lost with a
	// pair left with one response.
	if kept := responses + res.DroppedResponses; len(pairs) != res.Pairs || res.Pairs+res.DroppedPairs != 4 || kept > 4*3 || kept < 4*3-res.DroppedPairs {
		t.Errorf("%+v: counts do not add up to %d pairs of %d responses", res, len(pairs), responses)
	}
	var text bytes.Buffer
	res.WriteText(&text)
	if !strings.Contains(text.String(), "empty responses sampled again") {
		t.Errorf("summary: %s", text.String())
	}

	// A model that never answers leaves no pair at all: ErrNoPairs, and no file.
	s = generateSpec(t, chattest.PolicyDir(t, "sft", 1, 1), prompts)
	s.Retries = 2
	res, err = chat.GeneratePairs(context.Background(), s)
	if !errors.Is(err, chat.ErrNoPairs) || res.Resampled != 2*12 || res.DroppedResponses != 12 || res.DroppedPairs != 4 {
		t.Errorf("mute model: %+v, %v", res, err)
	}
	if _, err := os.Stat(s.Out); !os.IsNotExist(err) {
		t.Errorf("no pairs, but %s was written: %v", s.Out, err)
	}
}

func TestGenerateConfigValidate(t *testing.T) {
	if err := chat.DefaultGenerateConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for key, edit := range map[string]func(c *chat.GenerateConfig){
		"prompts":        func(c *chat.GenerateConfig) { c.Prompts = "" },
		"n":              func(c *chat.GenerateConfig) { c.N = 1 },
		"temperature":    func(c *chat.GenerateConfig) { c.Temperature = 0 },
		"top_p":          func(c *chat.GenerateConfig) { c.TopP = 1.5 },
		"max_new_tokens": func(c *chat.GenerateConfig) { c.MaxNewTokens = 0 },
		"batch":          func(c *chat.GenerateConfig) { c.Batch = 0 },
		"retries":        func(c *chat.GenerateConfig) { c.Retries = -1 },
		"limit":          func(c *chat.GenerateConfig) { c.Limit = -1 },
	} {
		c := chat.DefaultGenerateConfig()
		edit(&c)
		ke, ok := errors.AsType[*yamlconf.KeyError](c.Validate())
		if !ok || ke.Key != key {
			t.Errorf("%s: got %v, want a *yamlconf.KeyError of %s", key, c.Validate(), key)
		}
	}
	// A prompts file that cannot be read names its key too.
	s := chat.GenerateSpec{GenerateConfig: chat.DefaultGenerateConfig(), Model: chattest.PolicyDir(t, "sft", 1, 0),
		Out: filepath.Join(t.TempDir(), "p.jsonl")}
	s.Prompts = filepath.Join(t.TempDir(), "missing.jsonl")
	_, err := chat.GeneratePairs(context.Background(), s)
	if ke, ok := errors.AsType[*yamlconf.KeyError](err); !ok || ke.Key != "prompts" {
		t.Errorf("missing prompts file: %v", err)
	}
}
