package judge

import (
	"fmt"
	"strings"
	"sync"
)

// How a run treats comparisons its judge could not judge: an abstained
// verdict, which the openai judge gives when every request of a comparison
// failed (server down, only 5xx, answers that are not chat completions) or
// no answer could be read as a verdict. Such a comparison is not a label
// and is never written; a rerun asks it again.
const (
	// FailStreak is how many comparisons in a row may go unjudged before a
	// run stops: by then the server or the model is not working, and
	// going on only spends time (every comparison retries with backoff)
	// and requests.
	FailStreak = 10
	// FailWarnShare is the share of unjudged comparisons above which a
	// finished run warns: its labels are a sample biased towards what the
	// judge could answer.
	FailWarnShare = 0.1
)

// Tally counts the verdicts of a run (labelling, a win rate) to tell a
// judge that cannot judge from one that abstains now and then. It is safe
// for concurrent use.
type Tally struct {
	judge Judge

	mu             sync.Mutex
	judged, failed int
	streak         int
	last           string // why the last unjudged comparison failed
}

// NewTally returns a Tally of the verdicts of j.
func NewTally(j Judge) *Tally { return &Tally{judge: j} }

// Add counts v. Once FailStreak comparisons in a row went unjudged it
// returns a *FailureError: the caller should stop.
func (t *Tally) Add(v Verdict) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !v.Abstained {
		t.judged++
		t.streak = 0
		return nil
	}
	t.failed++
	t.streak++
	t.last = v.Reason
	if t.streak >= FailStreak {
		return t.failure(true)
	}
	return nil
}

// Counts returns how many comparisons were judged and how many were not.
func (t *Tally) Counts() (judged, failed int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.judged, t.failed
}

// Err returns a *FailureError when comparisons were asked and none could be
// judged, else nil.
func (t *Tally) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failed == 0 || t.judged > 0 {
		return nil
	}
	return t.failure(false)
}

// Warning describes the unjudged comparisons when they exceed
// FailWarnShare of those asked, else it is "".
func (t *Tally) Warning() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.judged + t.failed
	if t.failed == 0 || float64(t.failed) <= FailWarnShare*float64(n) {
		return ""
	}
	e := t.failure(false)
	return fmt.Sprintf("%d of %d comparisons (%.0f%%) could not be judged by %s%s and were left out; the last failure: %s. %s",
		t.failed, n, 100*float64(t.failed)/float64(n), e.Judge, e.at(), e.Last, e.Hint)
}

// failure builds the error of the counts so far; t.mu is held.
func (t *Tally) failure(stopped bool) *FailureError {
	e := &FailureError{Judge: t.judge.ID(), Judged: t.judged, Failed: t.failed, Stopped: stopped, Last: t.last}
	if l, ok := t.judge.(*LLM); ok && l.Client != nil {
		e.Server = l.Client.BaseURL
		st := l.Client.Stats()
		e.HTTP = &st
		e.Hint = httpHint(st, l.Model, l.Client.BaseURL)
	}
	if e.Hint == "" {
		if strings.HasPrefix(t.last, "unparseable") {
			e.Hint = "The model's answers could not be read as a verdict: use a model that follows instructions better, or give it few-shot examples"
		} else {
			e.Hint = "Check the judge and its settings"
		}
	}
	return e
}

// httpHint is the fix the client's counts point to ("" when its requests
// did not fail: the answers were unreadable).
func httpHint(st ClientStats, model, base string) string {
	if st.Failures == 0 {
		return ""
	}
	type cause struct {
		n    int64
		hint string
	}
	causes := []cause{
		{st.Network, fmt.Sprintf("Nothing answered at %s: start the server, or correct the judge's base URL", base)},
		{st.Status5xx, fmt.Sprintf("The server answers with errors (HTTP 5xx): check its log, and that it serves the model %q", model)},
		{st.Status4xx, fmt.Sprintf("The server refuses the requests (HTTP 4xx): check the model name %q, the API key and that the base URL is the API root, e.g. http://HOST:PORT/v1", model)},
		{st.BadBodies, "The server's answers are not chat completions: the base URL must be the API root of an OpenAI-compatible server, e.g. http://HOST:PORT/v1"},
		{st.Timeouts, "Requests time out: raise the timeout or lower the concurrency"},
		{st.Status429, "The server keeps limiting the request rate (HTTP 429): lower the concurrency, or raise the retries and the backoff"},
	}
	best := cause{}
	for _, c := range causes {
		if c.n > best.n {
			best = c
		}
	}
	return best.hint
}

// FailureError is returned when a judge could not judge: no comparison of
// a run was judged, or FailStreak in a row were not (Stopped). It carries
// the counts, the server and its HTTP counts (openai judge), the last
// failure and the fix.
type FailureError struct {
	Judge          string // the judge's id, e.g. "openai:llama3"
	Server         string // API root of an openai judge ("" for others)
	Judged, Failed int    // comparisons judged and not judged
	Stopped        bool   // the run stopped after FailStreak unjudged in a row
	Last           string // why the last unjudged comparison failed
	HTTP           *ClientStats
	Hint           string // what to fix
	// Then is what to do once it is fixed, set by the caller: "run the
	// same command again: ...".
	Then string
}

func (e *FailureError) at() string {
	if e.Server == "" {
		return ""
	}
	return " at " + e.Server
}

func (e *FailureError) Error() string {
	var b strings.Builder
	switch {
	case e.Stopped && e.Judged == 0:
		fmt.Fprintf(&b, "judge %s%s could not judge any of the first %d comparisons, so the run stopped", e.Judge, e.at(), e.Failed)
	case e.Stopped:
		fmt.Fprintf(&b, "judge %s%s could not judge %d comparisons in a row, so the run stopped (%d judged, %d not)", e.Judge, e.at(), FailStreak, e.Judged, e.Failed)
	default:
		fmt.Fprintf(&b, "judge %s%s could not judge any of the %d comparisons", e.Judge, e.at(), e.Failed)
	}
	if h := e.HTTP; h != nil {
		var parts []string
		for _, c := range []struct {
			n    int64
			what string
		}{{h.Network, "no answer"}, {h.Status5xx, "HTTP 5xx"}, {h.Status4xx, "HTTP 4xx"}, {h.Status429, "HTTP 429"},
			{h.BadBodies, "not a chat completion"}, {h.Timeouts, "timed out"}} {
			if c.n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
			}
		}
		fmt.Fprintf(&b, " (%d HTTP requests", h.Requests)
		if len(parts) > 0 {
			fmt.Fprintf(&b, ": %s", strings.Join(parts, ", "))
		}
		b.WriteString(")")
	}
	if e.Last != "" {
		fmt.Fprintf(&b, "; the last failure: %s", e.Last)
	}
	fmt.Fprintf(&b, ". %s", e.Hint)
	if e.Then != "" {
		fmt.Fprintf(&b, ", then %s", e.Then)
	}
	return b.String()
}
