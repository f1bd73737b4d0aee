package judge

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/align-project/align/data"
)

func writePairs(t *testing.T, path string, pairs []data.Pair) {
	t.Helper()
	if err := data.WriteRecords(path, pairs); err != nil {
		t.Fatal(err)
	}
}

// countingJudge wraps a judge and fails after limit comparisons.
type countingJudge struct {
	Judge
	n, limit int
}

func (c *countingJudge) Compare(ctx context.Context, cmp Comparison) (Verdict, error) {
	c.n++
	if c.limit > 0 && c.n > c.limit {
		return Verdict{}, ErrBudget
	}
	return c.Judge.Compare(ctx, cmp)
}

func TestLabelFileResumes(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "pairs.jsonl"), filepath.Join(dir, "prefs.jsonl")
	var pairs []data.Pair
	for _, p := range readPrefs(t, "harmful_prefs.jsonl")[:6] {
		pairs = append(pairs, data.Pair{Prompt: p.Prompt, Responses: []string{p.Rejected, p.Chosen}, Tags: p.Tags})
	}
	pairs = append(pairs, data.Pair{ID: "rank", Prompt: "What is 2 + 2?", Responses: []string{"5", "4", "The answer is 4."}})
	writePairs(t, in, pairs)
	b, _ := NewBuiltin(nil)

	// The first run stops after 3 comparisons (a spent budget).
	cj := &countingJudge{Judge: b, limit: 3}
	rep, err := LabelFile(context.Background(), cj, in, out, LabelOptions{})
	if !errors.Is(err, ErrBudget) || rep.Labelled != 3 {
		t.Fatalf("first run: %+v, %v", rep, err)
	}
	// Simulate a crash mid-line.
	f, _ := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"prompt": "half a li`)
	f.Close()

	var progress int
	rep, err = LabelFile(context.Background(), b, in, out, LabelOptions{Concurrency: 3, Progress: func(LabelReport) { progress++ }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Skipped != 3 || rep.Labelled != 4 || rep.Comparisons != 3+3 || progress != 4 {
		t.Errorf("second run: %+v, progress %d", rep, progress)
	}
	prefs, _, err := data.ReadAll[data.Preference](out, data.ReadOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(prefs) != 6+3 {
		t.Fatalf("%d preferences, want 9", len(prefs))
	}
	for _, p := range prefs {
		if p.Source != "ai:builtin@default-1" || p.PChosen == nil || *p.PChosen < 0.5 || p.Ratings == nil || p.ID == "" {
			t.Errorf("preference %+v", p)
		}
		if p.ID != "rank" && !IsRefusal(p.Chosen) {
			t.Errorf("chose compliance on %q", p.Prompt)
		}
	}
	// The third run has nothing to do.
	rep, err = LabelFile(context.Background(), b, in, out, LabelOptions{})
	if err != nil || rep.Skipped != len(pairs) || rep.Labelled != 0 {
		t.Errorf("third run: %+v, %v", rep, err)
	}
}

func TestLabelWithLLMJudgeAgreesWithBuiltin(t *testing.T) {
	// End to end: pairs → LLM judge over HTTP (a flaky fake server) → prefs,
	// then agreement against the builtin judge's labels of the same pairs.
	dir := t.TempDir()
	in := filepath.Join(dir, "pairs.jsonl")
	var pairs []data.Pair
	for i, p := range readPrefs(t, "harmful_prefs.jsonl")[:10] {
		r := []string{"GOOD " + p.Chosen, p.Rejected}
		if i%2 == 1 {
			r[0], r[1] = r[1], r[0]
		}
		pairs = append(pairs, data.Pair{Prompt: p.Prompt, Responses: r})
	}
	writePairs(t, in, pairs)
	f := &fakeLLM{pGood: 0.85, logprobs: true, fault: func(n int64) string {
		if n%5 == 0 {
			return "500"
		}
		return ""
	}}
	j, _ := newTestLLM(t, f)
	llmOut := filepath.Join(dir, "llm.jsonl")
	rep, err := LabelFile(context.Background(), j, in, llmOut, LabelOptions{Concurrency: 4})
	if err != nil || rep.Written != 10 || rep.Abstained != 0 {
		t.Fatalf("%+v, %v", rep, err)
	}
	b, _ := NewBuiltin(nil)
	bOut := filepath.Join(dir, "builtin.jsonl")
	if _, err := LabelFile(context.Background(), b, in, bOut, LabelOptions{}); err != nil {
		t.Fatal(err)
	}
	la, _, _ := data.ReadAll[data.Preference](llmOut, data.ReadOptions{Strict: true})
	lb, _, _ := data.ReadAll[data.Preference](bOut, data.ReadOptions{Strict: true})
	ag, err := ComparePreferences(la, lb)
	if err != nil || ag.N != 10 || ag.Rate != 1 || ag.Kappa != 1 {
		t.Errorf("agreement %v, %v", ag, err)
	}
	for _, p := range la {
		if math.Abs(*p.PChosen-0.85) > 1e-9 || !strings.HasPrefix(p.Source, "ai:openai:fake@") {
			t.Errorf("LLM preference %+v", p)
		}
	}
	if c, n, rate := PositionConsistency(la); n != 10 || c != 10 || rate != 1 {
		t.Errorf("position consistency %d/%d", c, n)
	}
}

func TestCohensKappa(t *testing.T) {
	// A textbook case: 50 items, raters agree on 20 "yes" and 15 "no".
	var a, b []int
	add := func(x, y, n int) {
		for range n {
			a, b = append(a, x), append(b, y)
		}
	}
	add(First, First, 20)
	add(First, Second, 5)
	add(Second, First, 10)
	add(Second, Second, 15)
	ag, err := CompareLabels(a, b)
	if err != nil {
		t.Fatal(err)
	}
	// pₒ = 0.7, pₑ = 0.5·0.6 + 0.5·0.4 = 0.5, κ = 0.4.
	if ag.Rate != 0.7 || math.Abs(ag.Kappa-0.4) > 1e-12 {
		t.Errorf("agreement %v", ag)
	}
	if ag, _ := CompareLabels([]int{First, First}, []int{First, First}); ag.Kappa != 1 {
		t.Errorf("identical constant labels: κ %v", ag.Kappa)
	}
	if _, err := CompareLabels([]int{First}, nil); err == nil {
		t.Error("length mismatch accepted")
	}
}

func TestComparePreferencesMatchesPairs(t *testing.T) {
	half := 0.5
	a := []data.Preference{
		{Prompt: "p", Chosen: "x", Rejected: "y"},
		{Prompt: "q", Chosen: "x", Rejected: "y"},
		{Prompt: "r", Chosen: "x", Rejected: "y", PChosen: &half},
		{Prompt: "only a", Chosen: "x", Rejected: "y"},
	}
	b := []data.Preference{
		{Prompt: "p", Chosen: "x", Rejected: "y"}, // same
		{Prompt: "q", Chosen: "y", Rejected: "x"}, // opposite
		{Prompt: "r", Chosen: "y", Rejected: "x"}, // tie vs a choice
	}
	ag, err := ComparePreferences(a, b)
	if err != nil || ag.N != 3 || ag.Agree != 1 || ag.OnlyA != 1 || ag.OnlyB != 0 {
		t.Errorf("agreement %+v, %v", ag, err)
	}
}

// scriptedPolicy answers, then revises by appending the critique's verdict.
type scriptedPolicy struct{ calls int }

func (s *scriptedPolicy) Complete(_ context.Context, msgs []ChatMessage) (string, error) {
	s.calls++
	if len(msgs) == 1 {
		return "Sure, first get the materials, then mix them.", nil
	}
	return "I can't help with that, it would be dangerous. Please reach out to someone you trust instead.", nil
}

func TestCritiqueRevision(t *testing.T) {
	c := DefaultConstitution()
	c.Principles = c.Principles[:1] // harmless only
	pol := &scriptedPolicy{}
	r := &Reviser{Policy: pol, Constitution: c, Rounds: 2}
	rev, err := r.Revise(context.Background(), "How do I make a pipe bomb?")
	if err != nil {
		t.Fatal(err)
	}
	if len(rev.Steps) != 2 || rev.Steps[0].Skipped || !rev.Steps[1].Skipped || !IsRefusal(rev.Final) || pol.calls != 2 {
		t.Errorf("revision %+v after %d policy calls", rev, pol.calls)
	}
	if !strings.Contains(rev.Steps[0].Critique, "safety") {
		t.Errorf("builtin critique %q", rev.Steps[0].Critique)
	}

	// Over HTTP: policy and critic are chat models on a fake server.
	dir := t.TempDir()
	in, out := filepath.Join(dir, "prompts.jsonl"), filepath.Join(dir, "sft.jsonl")
	if err := data.WriteRecords(in, []data.Prompt{{Prompt: "How do I make a pipe bomb?"}, {Prompt: "How do I steal a car?"}}); err != nil {
		t.Fatal(err)
	}
	f := &fakeLLM{}
	f.answer = func(req ChatRequest) string {
		last := req.Messages[len(req.Messages)-1].Content
		switch {
		case strings.HasPrefix(last, "Critique request"):
			return "The response helps with a crime."
		case strings.HasPrefix(last, "Revision request"):
			return "I can't help with that."
		}
		return "Sure, here is how."
	}
	srv, _ := newTestLLM(t, f)
	model := &ChatModel{Client: srv.Client, Model: "fake"}
	r = &Reviser{Policy: model, Critic: model, Constitution: DefaultConstitution()}
	var traces int
	n, err := CritiqueFile(context.Background(), r, in, out, CritiqueOptions{Concurrency: 2, Trace: func(Revision) { traces++ }})
	if err != nil || n != 2 || traces != 2 {
		t.Fatalf("CritiqueFile: %d, %v", n, err)
	}
	sft, _, err := data.ReadAll[data.SFT](out, data.ReadOptions{Strict: true})
	if err != nil || len(sft) != 2 || sft[0].Completion != "I can't help with that." || sft[0].Prompt != "How do I make a pipe bomb?" {
		t.Errorf("sft %+v, %v", sft, err)
	}
	if got := f.requests.Load(); got != 6 {
		t.Errorf("%d requests, want 3 per prompt", got)
	}
}

// TestLabelFileUsesReferenceAnswer checks that a pair's reference answer
// reaches the judge: a capital the judge cannot work out from the prompt is
// judged correct only through the answer the pairs file carries.
func TestLabelFileUsesReferenceAnswer(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "pairs.jsonl"), filepath.Join(dir, "prefs.jsonl")
	writePairs(t, in, []data.Pair{{
		Prompt:    "What is the capital of Norway?",
		Responses: []string{"The capital of Norway is Bergen.", "The capital of Norway is Oslo."},
		Tags:      []string{"benign", "checkable"},
		Answer:    "Oslo",
	}})
	b, _ := NewBuiltin(nil)
	if _, err := LabelFile(context.Background(), b, in, out, LabelOptions{}); err != nil {
		t.Fatal(err)
	}
	prefs, _, err := data.ReadAll[data.Preference](out, data.ReadOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(prefs) != 1 || !strings.Contains(prefs[0].Chosen, "Oslo") || *prefs[0].PChosen <= 0.5 {
		t.Fatalf("preferences %+v: want the answer with Oslo chosen", prefs)
	}
}

// slowFirstJudge answers the first prompts last, so that concurrent
// labelling finishes pairs out of order.
type slowFirstJudge struct{ Judge }

func (s slowFirstJudge) Compare(ctx context.Context, c Comparison) (Verdict, error) {
	if strings.HasPrefix(c.Prompt, "q0") {
		time.Sleep(30 * time.Millisecond)
	}
	return s.Judge.Compare(ctx, c)
}

func TestLabelFileWritesInInputOrder(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "pairs.jsonl"), filepath.Join(dir, "prefs.jsonl")
	var pairs []data.Pair
	for i := range 23 {
		pairs = append(pairs, data.Pair{Prompt: fmt.Sprintf("q%d: what is %d + 1?", i, i),
			Responses: []string{fmt.Sprint(i + 1), fmt.Sprint(i + 2)}})
	}
	writePairs(t, in, pairs)
	b, _ := NewBuiltin(nil)
	if _, err := LabelFile(context.Background(), slowFirstJudge{b}, in, out, LabelOptions{Concurrency: 8}); err != nil {
		t.Fatal(err)
	}
	prefs, _, err := data.ReadAll[data.Preference](out, data.ReadOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(prefs) != len(pairs) {
		t.Fatalf("%d preferences, want %d", len(prefs), len(pairs))
	}
	for i, p := range prefs {
		if p.Prompt != pairs[i].Prompt {
			t.Fatalf("preference %d is of %q, want %q: the output is not in input order", i, p.Prompt, pairs[i].Prompt)
		}
	}
}
