package judge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/align-project/align/data"
)

// switchable is a fakeLLM whose fault can be changed between runs.
type switchable struct {
	fakeLLM
	mode atomic.Value // string: a fakeLLM fault, or "" to judge
}

func newSwitchable(t *testing.T) (*switchable, *httptest.Server) {
	s := &switchable{}
	s.mode.Store("")
	s.fault = func(int64) string { return s.mode.Load().(string) }
	srv := httptest.NewServer(&s.fakeLLM)
	t.Cleanup(srv.Close)
	return s, srv
}

// failingSpec is an openai judge on base with fast retries.
func failingSpec(base, in, out string) LabelSpec {
	s := LabelSpec{Spec: DefaultSpec(), In: in, Out: out}
	s.Kind, s.BaseURL, s.Model, s.Concurrency = KindOpenAI, base, "fake", 2
	s.Retries, s.Backoff, s.Timeout = 1, time.Millisecond, 5*time.Second
	return s
}

// GOOD marks the response the fake judge prefers.
func goodPairs(t *testing.T, n, k int) ([]data.Pair, string) {
	t.Helper()
	var pairs []data.Pair
	for i := range n {
		p := data.Pair{Prompt: fmt.Sprintf("Question %d?", i)}
		for r := range k {
			text := fmt.Sprintf("answer %d.%d", i, r)
			if r == 0 {
				text = "GOOD " + text
			}
			p.Responses = append(p.Responses, text)
		}
		pairs = append(pairs, p)
	}
	path := filepath.Join(t.TempDir(), "pairs.jsonl")
	writePairs(t, path, pairs)
	return pairs, path
}

// label --judge openai used to report success when every request failed:
// exit 0, "3 labelled now", nothing written. Now it is an error with the
// counts, the server, the last failure and the fix, and what was labelled
// before stays and is resumed.
func TestLabelFailsWhenNoComparisonIsJudged(t *testing.T) {
	for _, tc := range []struct {
		mode, last, hint string
	}{
		{"down", "connection refused", "Nothing answered at"},
		{"500", "HTTP 500", "The server answers with errors (HTTP 5xx)"},
		{"garbage", "not a chat completion", "The server's answers are not chat completions"},
		{"unparseable", `unparseable: no readable answer in 3 tries, the last: "I think both responses are fine, really."`, "The model's answers could not be read as a verdict"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			sw, srv := newSwitchable(t)
			pairs, in := goodPairs(t, 4, 2)
			out := filepath.Join(t.TempDir(), "prefs.jsonl")
			// Two pairs are labelled while the server works.
			first := filepath.Join(t.TempDir(), "first.jsonl")
			writePairs(t, first, pairs[:2])
			if _, err := Label(context.Background(), failingSpec(srv.URL, first, out)); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(out)

			base := srv.URL
			if tc.mode == "down" {
				down := httptest.NewServer(http.NotFoundHandler())
				base = down.URL
				down.Close()
			} else {
				sw.mode.Store(tc.mode)
			}
			s := failingSpec(base, in, out)
			res, err := Label(context.Background(), s)
			fe, ok := errors.AsType[*FailureError](err)
			if !ok {
				t.Fatalf("err = %v, want a *FailureError", err)
			}
			if fe.Judged != 0 || fe.Failed != 2 || fe.Stopped || fe.Server != base {
				t.Errorf("failure %+v", fe)
			}
			msg := err.Error()
			for _, want := range []string{"label: judge openai:fake at " + base + " could not judge any of the 2 comparisons",
				tc.last, tc.hint, "then run the same command again: the preferences in " + out + " are kept"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q:\n%s", want, msg)
				}
			}
			if res.Report.Labelled != 0 || res.Report.Incomplete != 2 || res.Report.Skipped != 2 || res.Report.Written != 0 {
				t.Errorf("report %+v", res.Report)
			}
			var text bytes.Buffer
			res.WriteText(&text)
			if !strings.Contains(text.String(), "0 labelled now, 2 incomplete") {
				t.Errorf("summary:\n%s", text.String())
			}
			if after, _ := os.ReadFile(out); !bytes.Equal(after, before) {
				t.Errorf("the preferences labelled before changed:\n%s\nnow\n%s", before, after)
			}

			// Fixed, the same command resumes.
			sw.mode.Store("")
			res, err = Label(context.Background(), failingSpec(srv.URL, in, out))
			if err != nil || res.Report.Skipped != 2 || res.Report.Labelled != 2 {
				t.Fatalf("rerun: %+v, %v", res.Report, err)
			}
			if prefs, _, err := data.ReadAll[data.Preference](out, data.ReadOptions{Strict: true}); err != nil || len(prefs) != 4 {
				t.Errorf("%d preferences, %v", len(prefs), err)
			}
		})
	}
}

// A server that stops working stops the run after FailStreak unjudged
// comparisons instead of retrying every remaining pair.
func TestLabelStopsAfterAStreakOfFailures(t *testing.T) {
	sw, srv := newSwitchable(t)
	_, in := goodPairs(t, 60, 2)
	out := filepath.Join(t.TempDir(), "prefs.jsonl")
	var judged atomic.Int64
	sw.onRequest = func(ChatRequest) {
		if judged.Add(1) > 10 { // 5 comparisons of two orders, then a 503 for ever
			sw.mode.Store("500")
		}
	}
	s := failingSpec(srv.URL, in, out)
	s.Concurrency = 1
	res, err := Label(context.Background(), s)
	fe, ok := errors.AsType[*FailureError](err)
	if !ok || !fe.Stopped || fe.Judged != 5 || fe.Failed != FailStreak {
		t.Fatalf("err = %v (%+v)", err, fe)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("could not judge %d comparisons in a row, so the run stopped (5 judged, %d not)", FailStreak, FailStreak)) {
		t.Errorf("error: %v", err)
	}
	if res.Report.Labelled != 5 || res.Report.Written != 5 || res.Report.Comparisons != 5+FailStreak {
		t.Errorf("report %+v", res.Report)
	}
	if n := sw.requests.Load(); n > 10+int64(FailStreak)*2*2 {
		t.Errorf("%d requests for %d pairs: the run went on", n, 60)
	}
}

// A judge that fails now and then: the run succeeds with a warning, writes
// what was judged, and a rerun asks only the comparisons that are missing,
// also inside pairs that were partly labelled.
func TestLabelWarnsAndResumesIncompletePairs(t *testing.T) {
	var pairs []data.Pair
	for i := range 4 {
		pairs = append(pairs, data.Pair{Prompt: fmt.Sprintf("Question %d?", i),
			Responses: []string{fmt.Sprint("GOOD answer ", i), fmt.Sprint("answer ", i), fmt.Sprint("FLAKY answer ", i)}})
	}
	in := filepath.Join(t.TempDir(), "pairs.jsonl")
	writePairs(t, in, pairs)
	out := filepath.Join(t.TempDir(), "prefs.jsonl")
	// While flaky, every comparison with the third response fails.
	var flaky atomic.Bool
	flaky.Store(true)
	judge := &fakeLLM{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if flaky.Load() && bytes.Contains(body, []byte("FLAKY")) {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		judge.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	res, err := Label(context.Background(), failingSpec(srv.URL, in, out))
	if err != nil {
		t.Fatal(err)
	}
	rep := res.Report
	if rep.Comparisons != 12 || rep.Abstained != 8 || rep.Written != 4 || rep.Incomplete != 4 || rep.Labelled != 0 {
		t.Errorf("report %+v", rep)
	}
	if !strings.Contains(rep.Warning, "8 of 12 comparisons (67%) could not be judged by openai:fake at "+srv.URL) ||
		!strings.Contains(rep.Warning, "HTTP 503") || !strings.Contains(rep.Warning, "HTTP 5xx") {
		t.Errorf("warning %q", rep.Warning)
	}
	var text bytes.Buffer
	res.WriteText(&text)
	if !strings.Contains(text.String(), "label: warning: 8 of 12 comparisons") {
		t.Errorf("summary:\n%s", text.String())
	}

	flaky.Store(false)
	res, err = Label(context.Background(), failingSpec(srv.URL, in, out))
	if err != nil || res.Report.Comparisons != 8 || res.Report.Labelled != 4 || res.Report.Skipped != 0 || res.Report.Warning != "" {
		t.Fatalf("rerun: %+v, %v", res.Report, err)
	}
	prefs, _, err := data.ReadAll[data.Preference](out, data.ReadOptions{Strict: true})
	if err != nil || len(prefs) != 4*3 {
		t.Fatalf("%d preferences, %v", len(prefs), err)
	}
	seen := map[[2]string]bool{}
	for _, p := range prefs {
		k := comparisonKey(p.Chosen, p.Rejected)
		if seen[k] {
			t.Errorf("comparison asked twice: %v", k)
		}
		seen[k] = true
	}
	res, err = Label(context.Background(), failingSpec(srv.URL, in, out))
	if err != nil || res.Report.Skipped != len(pairs) || res.Report.Comparisons != 0 {
		t.Errorf("third run: %+v, %v", res.Report, err)
	}
}

// label on a pair of 3,000 responses used to start 4.5M comparisons.
func TestLabelRefusesHugeRankings(t *testing.T) {
	p := data.Pair{Prompt: "q"}
	for i := range 3000 {
		p.Responses = append(p.Responses, fmt.Sprint("response ", i))
	}
	in := filepath.Join(t.TempDir(), "pairs.jsonl")
	b, _ := json.Marshal(p)
	if err := os.WriteFile(in, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	j, _ := NewBuiltin(nil)
	cj := &countingJudge{Judge: j}
	_, err := LabelFile(context.Background(), cj, in, filepath.Join(t.TempDir(), "prefs.jsonl"), LabelOptions{})
	if err == nil || !strings.Contains(err.Error(), `pairs.jsonl:1: field "responses": has 3000 responses, at most 16`) || cj.n != 0 {
		t.Errorf("%v after %d comparisons", err, cj.n)
	}
}

// The tally alone: the share that warns, and a judge that never abstains.
func TestTally(t *testing.T) {
	j, _ := NewBuiltin(nil)
	tl := NewTally(j)
	for range 9 {
		tl.Add(Verdict{})
	}
	tl.Add(Verdict{Abstained: true, Reason: "x"})
	if w := tl.Warning(); w != "" || tl.Err() != nil {
		t.Errorf("10%% unjudged: warning %q, err %v", w, tl.Err())
	}
	tl.Add(Verdict{Abstained: true, Reason: "x"})
	if w := tl.Warning(); !strings.Contains(w, "2 of 11 comparisons (18%) could not be judged by builtin and were left out; the last failure: x. Check the judge") {
		t.Errorf("warning %q", w)
	}
	if NewTally(j).Err() != nil {
		t.Error("an empty tally is an error")
	}
}
