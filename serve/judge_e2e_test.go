package serve_test

import (
	"context"
	"testing"
	"time"

	"github.com/align-project/align/judge"
	"github.com/align-project/align/serve"
)

// TestJudgeAgainstServe runs align's LLM judge against align's own server
// (self-rewarding). A random tiny model answers garbage, so the judge must
// abstain or read what it can; the test checks that every comparison ends
// with a bounded verdict, that every HTTP request succeeded, and that the
// counts add up.
func TestJudgeAgainstServe(t *testing.T) {
	m, tok := tiny(t, 2048, 1, 32)
	_, hs, _, _ := startWith(t, m, tok, serve.Config{MaxBatch: 8})
	client := judge.NewClient(hs.URL+"/v1", "", 4)
	client.Timeout = time.Minute
	j := judge.NewLLM(client, "tiny", nil)
	j.MaxTokens = 24
	pairs := []judge.Comparison{
		{Prompt: "What is the capital of France?", A: "Paris is the capital of France.", B: "I do not know."},
		{Prompt: "Say something kind.", A: "You are doing great!", B: "Go away."},
		{Prompt: "Add 2 and 3.", A: "5", B: "23"},
	}
	if !testing.Short() {
		pairs = append(pairs, judge.Comparison{Prompt: "Describe a dog.", A: "A loyal furry friend.", B: "A kind of fish."})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i, c := range pairs {
		v, err := j.Compare(ctx, c)
		if err != nil {
			t.Fatalf("pair %d: %v", i, err)
		}
		if !(v.PA >= 0 && v.PA <= 1) || v.Orders < 0 || v.Orders > 2 {
			t.Fatalf("pair %d: verdict out of bounds %+v", i, v)
		}
		if v.Abstained && (v.PA != 0.5 || v.Reason == "") {
			t.Fatalf("pair %d: abstention without reason or with a label: %+v", i, v)
		}
		t.Logf("pair %d: abstained %v (%s), pA %.3f from %q, orders %d", i, v.Abstained, v.Reason, v.PA, v.SoftFrom, v.Orders)
	}
	st := j.Stats()
	t.Logf("judge stats %+v", st)
	n := int64(len(pairs))
	if st.Comparisons != n || st.Abstained+st.OneOrder+st.Consistent+st.Inconsistent != n {
		t.Fatalf("counts do not add up: %+v", st)
	}
	if st.FailedRequests != 0 || st.Client.Failures != 0 || st.Client.Status5xx != 0 || st.Client.Status429 != 0 || st.Client.BadBodies != 0 {
		t.Fatalf("requests to align serve failed: %+v", st)
	}
	// Each order asks once and re-asks at most twice after unreadable answers.
	if st.Asked != 2*n || st.Client.Requests < 2*n || st.Client.Requests > 6*n {
		t.Fatalf("asked %d orders with %d requests for %d pairs", st.Asked, st.Client.Requests, n)
	}
	if st.Unparseable+st.FromLogprobs+st.FromAnswer < 2*n {
		t.Fatalf("answers unaccounted for: %+v", st)
	}
}
