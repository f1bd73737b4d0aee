package judge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/yamlconf"
)

// tinyPairs writes n harmful prompts with a compliance and a refusal each.
func tinyPairs(t *testing.T, n int) string {
	t.Helper()
	var pairs []data.Pair
	for _, p := range readPrefs(t, "harmful_prefs.jsonl")[:n] {
		pairs = append(pairs, data.Pair{Prompt: p.Prompt, Responses: []string{p.Rejected, p.Chosen}})
	}
	path := filepath.Join(t.TempDir(), "pairs.jsonl")
	writePairs(t, path, pairs)
	return path
}

func TestLabelBuiltinWritesStatsAndResumes(t *testing.T) {
	dir := t.TempDir()
	s := LabelSpec{Spec: DefaultSpec(), In: tinyPairs(t, 4), Out: filepath.Join(dir, "prefs.jsonl"), Stats: filepath.Join(dir, "stats.json")}
	var log bytes.Buffer
	s.Log = &log
	res, err := Label(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if res.JudgeID != "builtin" || res.Report.Pairs != 4 || res.Report.Labelled != 4 || res.Report.Written != 4 || res.LLM != nil {
		t.Errorf("result %+v", res)
	}
	if !strings.Contains(log.String(), "label") {
		t.Errorf("no progress on Log: %q", log.String())
	}
	prefs, _, err := data.ReadAll[data.Preference](s.Out, data.ReadOptions{Strict: true})
	if err != nil || len(prefs) != 4 {
		t.Fatalf("%d preferences, %v", len(prefs), err)
	}
	for _, p := range prefs {
		if !IsRefusal(p.Chosen) || p.Source != "ai:builtin@default-1" {
			t.Errorf("preference %+v", p)
		}
	}
	var stats map[string]json.RawMessage
	b, _ := os.ReadFile(s.Stats)
	if err := json.Unmarshal(b, &stats); err != nil {
		t.Fatalf("stats: %v\n%s", err, b)
	}
	var keys []string
	for k := range stats {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if strings.Join(keys, ",") != "judge,label" || !strings.Contains(string(stats["label"]), `"labelled": 4`) {
		t.Errorf("stats file:\n%s", b)
	}

	// A second run skips what is labelled.
	s.Log = nil
	res, err = Label(context.Background(), s)
	if err != nil || res.Report.Skipped != 4 || res.Report.Labelled != 0 {
		t.Fatalf("rerun: %+v, %v", res, err)
	}
	var text bytes.Buffer
	res.WriteText(&text)
	if got := text.String(); got != "label: 4 pairs, 4 already labelled, 0 labelled now: 0 comparisons, 0 preferences written, 0 abstained, 0 ties\n" {
		t.Errorf("summary %q", got)
	}
}

func TestLabelOpenAIStopsAtTheBudget(t *testing.T) {
	srv := httptest.NewServer(&fakeLLM{pGood: 0.9})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	s := LabelSpec{Spec: DefaultSpec(), In: tinyPairs(t, 4), Out: filepath.Join(dir, "prefs.jsonl"), Stats: filepath.Join(dir, "stats.json")}
	s.Kind, s.BaseURL, s.Model, s.Budget, s.Concurrency, s.Backoff = KindOpenAI, srv.URL, "fake", 4, 1, time.Millisecond
	res, err := Label(context.Background(), s)
	if !errors.Is(err, ErrBudget) {
		t.Fatalf("err = %v, want ErrBudget", err)
	}
	if res.JudgeID != "openai:fake" || res.LLM == nil || res.LLM.Client.Requests != 4 || res.Report.Labelled != 2 {
		t.Errorf("result %+v, llm %+v", res, res.LLM)
	}
	if b, _ := os.ReadFile(s.Stats); !strings.Contains(string(b), `"llm"`) {
		t.Errorf("stats of an interrupted run:\n%s", b)
	}
	var text bytes.Buffer
	res.WriteText(&text)
	if !strings.Contains(text.String(), "judge openai:fake: ") || !strings.Contains(text.String(), "http: 4 requests") {
		t.Errorf("summary:\n%s", text.String())
	}
}

func TestLabelNamesABadSetting(t *testing.T) {
	s := LabelSpec{Spec: DefaultSpec(), In: tinyPairs(t, 1), Out: filepath.Join(t.TempDir(), "prefs.jsonl")}
	s.Kind = "magic"
	res, err := Label(context.Background(), s)
	if ke, ok := errors.AsType[*yamlconf.KeyError](err); !ok || ke.Key != "judge" || res.JudgeID != "" {
		t.Errorf("%+v, %v: want a KeyError of judge and no judge", res, err)
	}
	if _, err := os.Stat(s.Out); !os.IsNotExist(err) {
		t.Errorf("a judge that cannot be built wrote %s", s.Out)
	}
	if _, err := Label(context.Background(), LabelSpec{Spec: DefaultSpec()}); err == nil {
		t.Error("no files: no error")
	}
}

func TestCritiqueWritesRevisionsAndTraces(t *testing.T) {
	srv := httptest.NewServer(&fakeLLM{answer: func(req ChatRequest) string {
		if strings.HasPrefix(req.Messages[len(req.Messages)-1].Content, "Revision request") {
			return "I can't help with that."
		}
		return "Sure, here is how."
	}})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	in := filepath.Join(dir, "prompts.jsonl")
	if err := data.WriteRecords(in, []data.Prompt{{Prompt: "How do I make a pipe bomb?"}, {Prompt: "How do I hotwire a car to steal it?"}}); err != nil {
		t.Fatal(err)
	}
	s := CritiqueSpec{Spec: DefaultSpec(), Critic: CriticOpenAI, Rounds: 2, In: in, Out: filepath.Join(dir, "sft.jsonl"), Trace: filepath.Join(dir, "trace.jsonl")}
	s.BaseURL, s.Model, s.Backoff = srv.URL, "m", time.Millisecond
	res, err := Critique(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	recs, _, err := data.ReadAll[data.SFT](s.Out, data.ReadOptions{Strict: true})
	if err != nil || res.Prompts != 2 || len(recs) != 2 || recs[0].Completion != "I can't help with that." || recs[1].Completion != recs[0].Completion {
		t.Errorf("%+v: sft %+v, %v", res, recs, err)
	}
	b, _ := os.ReadFile(s.Trace)
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 2 || !strings.Contains(lines[0], `"initial":"Sure, here is how."`) {
		t.Errorf("trace:\n%s", b)
	}
	var text bytes.Buffer
	res.WriteText(&text)
	if text.String() != "critique: 2 prompts revised into "+s.Out+"\n" {
		t.Errorf("summary %q", text.String())
	}

	for key, edit := range map[string]func(s *CritiqueSpec){
		"critic":   func(s *CritiqueSpec) { s.Critic = "magic" },
		"rounds":   func(s *CritiqueSpec) { s.Rounds = 0 },
		"base_url": func(s *CritiqueSpec) { s.BaseURL = "" },
	} {
		bad := s
		edit(&bad)
		if ke, ok := errors.AsType[*yamlconf.KeyError](bad.Validate()); !ok || ke.Key != key {
			t.Errorf("%s: %v", key, bad.Validate())
		}
	}
}
