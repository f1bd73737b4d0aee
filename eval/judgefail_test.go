package eval

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/align-project/align/judge"
)

// abstainingJudge abstains on every comparison whose prompt contains one
// of its words (every one when it has none).
type abstainingJudge struct{ on []string }

func (abstainingJudge) ID() string { return "stub" }

func (j abstainingJudge) Compare(_ context.Context, c judge.Comparison) (judge.Verdict, error) {
	abstain := len(j.on) == 0
	for _, w := range j.on {
		abstain = abstain || strings.Contains(c.Prompt, w)
	}
	if abstain {
		return judge.Verdict{PA: 0.5, Abstained: true, Reason: "request failed: HTTP 503: busy"}, nil
	}
	return judge.Verdict{PA: 0.8, Judge: "stub", Constitution: "c"}, nil
}

func matchups(n int) []Matchup {
	ms := make([]Matchup, n)
	for i := range ms {
		ms[i] = Matchup{Prompt: fmt.Sprintf("prompt %d", i), Policy: "p", Baseline: "b"}
	}
	return ms
}

// A win rate of nothing used to be a result: eval exited 0 with no
// verdicts. Now a judge that judged nothing is an error, and one that
// failed on more than judge.FailWarnShare of the comparisons is a warning.
func TestWinRateOfAJudgeThatCannotJudge(t *testing.T) {
	_, err := ComputeWinRate(context.Background(), abstainingJudge{}, matchups(3), WinRateOptions{})
	fe, ok := errors.AsType[*judge.FailureError](err)
	if !ok || fe.Failed != 6 || fe.Judged != 0 {
		t.Fatalf("err = %v, want a *judge.FailureError of 6 comparisons", err)
	}
	if want := "win rate: judge stub could not judge any of the 6 comparisons; the last failure: request failed: HTTP 503: busy. Check the judge and its settings, then run the evaluation again"; err.Error() != want {
		t.Errorf("error\n got  %s\n want %s", err, want)
	}

	w, err := ComputeWinRate(context.Background(), abstainingJudge{on: []string{"prompt 1"}}, matchups(4), WinRateOptions{Resamples: 10})
	if err != nil {
		t.Fatal(err)
	}
	if w.Prompts != 3 || w.Abstained != 1 || !strings.Contains(w.Warning, "2 of 8 comparisons (25%) could not be judged by stub") {
		t.Errorf("win rate %+v", w)
	}
	if w, err := ComputeWinRate(context.Background(), abstainingJudge{on: []string{"none"}}, matchups(4), WinRateOptions{Resamples: 10}); err != nil || w.Warning != "" {
		t.Errorf("a judge that never fails: %+v, %v", w, err)
	}
}

// eval --judge openai against a server that only fails: an error naming
// the server, and no result file.
func TestRunFailsWhenTheJudgeServerFails(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	s := runSpec(t)
	s.Judge.Kind, s.Judge.BaseURL, s.Judge.Model = judge.KindOpenAI, srv.URL+"/v1", "m"
	s.Judge.Retries, s.Judge.Backoff = 1, time.Millisecond
	s.Out = filepath.Join(t.TempDir(), "eval.json")
	_, err := Run(context.Background(), s)
	if _, ok := errors.AsType[*judge.FailureError](err); !ok {
		t.Fatalf("err = %v, want a *judge.FailureError", err)
	}
	for _, want := range []string{"eval: win rate: judge openai:m at " + srv.URL + "/v1 could not judge any of the 8 comparisons",
		"HTTP 503: overloaded", "HTTP 5xx", "then run the evaluation again"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := os.Stat(s.Out); err == nil {
		t.Error("a failed evaluation wrote its result")
	}
}
