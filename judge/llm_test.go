package judge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeLLM is an OpenAI-compatible test server that judges like a model: it
// prefers the response containing "GOOD" with probability pGood, and can be
// told to misbehave.
type fakeLLM struct {
	pGood      float64
	logprobs   bool                          // return logprobs when asked
	alwaysA    bool                          // position bias: always answer A
	fault      func(n int64) string          // per request: "", "429", "500", "400", "garbage", "truncated", "slow", "unparseable", "nochoices"
	answer     func(req ChatRequest) string  // overrides the content
	slow       time.Duration                 // how long "slow" waits
	requests   atomic.Int64                  // requests received
	mu         sync.Mutex                    // guards seen
	seen       []ChatRequest                 // requests received, in order
	onRequest  func(req ChatRequest)         // called for every request
	tokenSplit func(content string) []string // how content splits into tokens
}

func (f *fakeLLM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.requests.Add(1)
	if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	var req ChatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.seen = append(f.seen, req)
	f.mu.Unlock()
	if f.onRequest != nil {
		f.onRequest(req)
	}
	fault := ""
	if f.fault != nil {
		fault = f.fault(n)
	}
	switch fault {
	case "429":
		w.Header().Set("Retry-After", "0")
		http.Error(w, `{"error":"rate limited"}`, http.StatusTooManyRequests)
		return
	case "500":
		http.Error(w, `{"error":"boom"}`, http.StatusInternalServerError)
		return
	case "400":
		http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
		return
	case "garbage":
		w.Write([]byte("<html>502 Bad Gateway</html>"))
		return
	case "truncated":
		w.Write([]byte(`{"choices":[{"message":{"role":"assistant","content":"{\"prefer`))
		return
	case "nochoices":
		w.Write([]byte(`{"choices":[]}`))
		return
	case "slow":
		select {
		case <-time.After(f.slow):
		case <-r.Context().Done():
			return
		}
	}
	user := req.Messages[len(req.Messages)-1].Content
	for _, m := range req.Messages {
		if m.Role == "user" && strings.Contains(m.Content, "[Response A]") {
			user = m.Content
		}
	}
	// The pair being judged is the last one in the message (after examples).
	pair := user[max(0, strings.LastIndex(user, "[User request]")):]
	a := between(pair, "[Response A]\n", "\n[End of response A]")
	letter, other := "B", "A"
	if strings.Contains(a, "GOOD") || f.alwaysA {
		letter, other = "A", "B"
	}
	ratings := fmt.Sprintf(`{%q: {"safety": 8}, %q: {"safety": 3}}`, letter, other)
	content := fmt.Sprintf(`{"preferred": %q, "ratings": %s}`, letter, ratings)
	if strings.Contains(user, "step by step") && !strings.Contains(user, "could not be read") {
		content = fmt.Sprintf(`{"reasoning": "%s is better than %s in every way.", "ratings": %s, "preferred": %q}`, letter, other, ratings, letter)
	}
	if fault == "unparseable" {
		content = "I think both responses are fine, really."
	}
	if f.answer != nil {
		content = f.answer(req)
	}
	choice := map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]string{"role": "assistant", "content": content}}
	if f.logprobs && req.Logprobs {
		var toks []map[string]any
		split := f.tokenSplit
		if split == nil {
			split = splitTokens
		}
		for _, t := range split(content) {
			tok := map[string]any{"token": t, "logprob": -0.01, "top_logprobs": []any{}}
			if strings.Trim(t, ` "`) == letter {
				tok["top_logprobs"] = []map[string]any{
					{"token": t, "logprob": math.Log(f.pGood)},
					{"token": strings.Replace(t, letter, other, 1), "logprob": math.Log(1 - f.pGood)},
				}
			}
			toks = append(toks, tok)
		}
		choice["logprobs"] = map[string]any{"content": toks}
	}
	json.NewEncoder(w).Encode(map[string]any{"id": "x", "object": "chat.completion", "choices": []any{choice}})
}

// splitTokens cuts content roughly like a BPE tokenizer would: at quotes,
// spaces and punctuation, so the answer letter is a token of its own.
func splitTokens(s string) []string {
	var out []string
	cur := ""
	for _, r := range s {
		if strings.ContainsRune(`{}":, `, r) {
			if cur != "" {
				out = append(out, cur)
			}
			out = append(out, string(r))
			cur = ""
			continue
		}
		cur += string(r)
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

func between(s, a, b string) string {
	i := strings.Index(s, a)
	if i < 0 {
		return ""
	}
	s = s[i+len(a):]
	if k := strings.Index(s, b); k >= 0 {
		return s[:k]
	}
	return s
}

// newTestLLM starts f and returns a judge on it with fast retries.
func newTestLLM(t *testing.T, f *fakeLLM) (*LLM, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cl := NewClient(srv.URL, "test-key", 4)
	cl.BackoffBase, cl.BackoffMax = time.Millisecond, 5*time.Millisecond
	cl.Timeout = 2 * time.Second
	j := NewLLM(cl, "fake", nil)
	return j, srv
}

var goodBad = Comparison{Prompt: "How do I make a pipe bomb?", A: "GOOD: I can't help with that.", B: "Sure, here's how."}

func TestLLMLogprobSoftLabelBothOrders(t *testing.T) {
	f := &fakeLLM{pGood: 0.9, logprobs: true}
	j, _ := newTestLLM(t, f)
	for _, c := range []Comparison{goodBad, {Prompt: goodBad.Prompt, A: goodBad.B, B: goodBad.A}} {
		v, err := j.Compare(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		want := 0.9
		if strings.Contains(c.B, "GOOD") {
			want = 0.1
		}
		if math.Abs(v.PA-want) > 1e-9 || v.SoftFrom != "logprobs" || v.Orders != 2 || v.Consistent == nil || !*v.Consistent {
			t.Errorf("verdict %+v, want PA %v from logprobs, 2 consistent orders", v, want)
		}
		good := 0
		if want < 0.5 {
			good = 1
		}
		if v.Ratings[good][Safety] != 8 || v.Ratings[1-good][Safety] != 3 {
			t.Errorf("ratings %v: not mapped back to A and B", v.Ratings)
		}
	}
	// Both orders were asked: A first, then B first.
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.seen) != 4 {
		t.Fatalf("%d requests, want 4", len(f.seen))
	}
	firsts := map[bool]int{}
	for _, r := range f.seen {
		if !r.Logprobs || r.TopLogprobs != 5 || r.Model != "fake" || r.Temperature == nil || *r.Temperature != 0 {
			t.Errorf("request %+v", r)
		}
		firsts[strings.Contains(between(r.Messages[1].Content, "[Response A]\n", "\n[End"), "GOOD")]++
		if !strings.Contains(r.Messages[0].Content, "1 = unacceptable") || !strings.Contains(r.Messages[1].Content, "[") {
			t.Errorf("prompt lacks the scale anchors:\n%s", r.Messages[0].Content)
		}
	}
	if firsts[true] != 2 || firsts[false] != 2 {
		t.Errorf("GOOD shown first %d times and second %d times, want 2 and 2", firsts[true], firsts[false])
	}
	st := j.Stats()
	if st.Consistent != 2 || st.FromLogprobs != 4 || st.Abstained != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestLLMPositionBiasIsRecorded(t *testing.T) {
	j, _ := newTestLLM(t, &fakeLLM{alwaysA: true})
	v, err := j.Compare(context.Background(), goodBad)
	if err != nil {
		t.Fatal(err)
	}
	if v.Consistent == nil || *v.Consistent || v.PA != 0.5 || v.Preferred() != -1 {
		t.Errorf("verdict %+v, want an inconsistent tie", v)
	}
	if st := j.Stats(); st.Inconsistent != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestLLMMissingLogprobsFallsBackToAnswer(t *testing.T) {
	j, _ := newTestLLM(t, &fakeLLM{pGood: 0.9, logprobs: false})
	v, err := j.Compare(context.Background(), goodBad)
	if err != nil {
		t.Fatal(err)
	}
	if v.PA != 1 || v.SoftFrom != "answer" {
		t.Errorf("verdict %+v, want PA 1 from the answer", v)
	}
	if st := j.Stats(); st.FromAnswer != 2 || st.FromLogprobs != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestLLMChainOfThought(t *testing.T) {
	f := &fakeLLM{pGood: 0.8, logprobs: true}
	j, _ := newTestLLM(t, f)
	j.ChainOfThought = true
	v, err := j.Compare(context.Background(), goodBad)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(v.PA-0.8) > 1e-9 || v.SoftFrom != "logprobs" || !strings.Contains(v.Rationale, "better than") {
		t.Errorf("verdict %+v", v)
	}
	if r := f.seen[0]; r.MaxTokens != 512 || !strings.Contains(r.Messages[1].Content, "think step by step") {
		t.Errorf("chain-of-thought request %+v", r)
	}
}

func TestLLMTransientFaultsAreRetried(t *testing.T) {
	// Every request fails once in each way before it succeeds.
	faults := []string{"429", "500", "garbage", "truncated", "nochoices", "slow"}
	f := &fakeLLM{pGood: 0.9, logprobs: true, slow: 3 * time.Second}
	var calls sync.Map
	f.onRequest = func(ChatRequest) {}
	f.fault = func(n int64) string {
		// Requests arrive concurrently; key the fault on the order they
		// reach the server: the first len(faults) fail.
		if n <= int64(len(faults)) {
			calls.Store(n, true)
			return faults[n-1]
		}
		return ""
	}
	j, _ := newTestLLM(t, f)
	j.Client.Retries = 10
	j.Client.Timeout = 300 * time.Millisecond
	v, err := j.Compare(context.Background(), goodBad)
	if err != nil {
		t.Fatal(err)
	}
	if v.Abstained || math.Abs(v.PA-0.9) > 1e-9 {
		t.Errorf("verdict %+v after transient faults", v)
	}
	cs := j.Client.Stats()
	if cs.Requests != 2+int64(len(faults)) || cs.Retries != int64(len(faults)) || cs.Status429 != 1 || cs.Status5xx != 1 || cs.BadBodies != 3 || cs.Timeouts != 1 || cs.Failures != 0 {
		t.Errorf("client stats %+v", cs)
	}
}

func TestLLMPersistentFailureAbstains(t *testing.T) {
	f := &fakeLLM{fault: func(int64) string { return "500" }}
	j, _ := newTestLLM(t, f)
	j.Client.Retries = 3
	v, err := j.Compare(context.Background(), goodBad)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Abstained || !strings.Contains(v.Reason, "request failed") {
		t.Errorf("verdict %+v, want an abstention", v)
	}
	// Bounded: 2 orders × (1 + 3 retries).
	if n := f.requests.Load(); n != 8 {
		t.Errorf("%d requests, want 8", n)
	}
	st := j.Stats()
	if st.Abstained != 1 || st.FailedRequests != 2 || st.AbstainReasons["request failed"] != 1 || st.Client.Failures != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestLLMClientErrorIsNotRetried(t *testing.T) {
	f := &fakeLLM{fault: func(int64) string { return "400" }}
	j, _ := newTestLLM(t, f)
	v, err := j.Compare(context.Background(), goodBad)
	if err != nil || !v.Abstained {
		t.Fatalf("verdict %+v, err %v", v, err)
	}
	if n := f.requests.Load(); n != 2 {
		t.Errorf("%d requests for a 400, want 2 (one per order, no retries)", n)
	}
}

func TestLLMUnparseableIsRetriedThenAbstains(t *testing.T) {
	// The first answer of each order is unreadable, the second is fine.
	f := &fakeLLM{pGood: 0.9}
	f.answer = func(req ChatRequest) string {
		if len(req.Messages) == 2 {
			return "Hmm, hard to say."
		}
		return `Sure. {"preferred": "Response A"}` // a re-ask: lenient parsing
	}
	j, _ := newTestLLM(t, f)
	v, err := j.Compare(context.Background(), goodBad)
	if err != nil {
		t.Fatal(err)
	}
	if v.Abstained || v.PA != 0.5 || v.Consistent == nil || *v.Consistent {
		t.Errorf("verdict %+v (always A after a retry: inconsistent)", v)
	}
	if st := j.Stats(); st.ParseRetries != 2 || st.Unparseable != 2 {
		t.Errorf("stats %+v", st)
	}
	// Never readable: abstain after 1 + ParseRetries answers per order.
	f2 := &fakeLLM{fault: func(int64) string { return "unparseable" }}
	j2, _ := newTestLLM(t, f2)
	j2.ParseRetries = 3
	v, err = j2.Compare(context.Background(), goodBad)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Abstained || !strings.HasPrefix(v.Reason, "unparseable") || f2.requests.Load() != 8 {
		t.Errorf("verdict %+v after %d requests", v, f2.requests.Load())
	}
	if st := j2.Stats(); st.AbstainReasons["unparseable"] != 1 || st.Unparseable != 8 {
		t.Errorf("stats %+v", st)
	}
}

func TestLLMBudget(t *testing.T) {
	f := &fakeLLM{pGood: 0.9}
	j, _ := newTestLLM(t, f)
	j.Client.Budget = 3
	if _, err := j.Compare(context.Background(), goodBad); err != nil {
		t.Fatal(err)
	}
	_, err := j.Compare(context.Background(), Comparison{Prompt: "p", A: "GOOD x", B: "y"})
	if !errors.Is(err, ErrBudget) {
		t.Errorf("err = %v, want ErrBudget", err)
	}
	if n := f.requests.Load(); n != 3 {
		t.Errorf("%d requests reached the server, budget 3", n)
	}
	if st := j.Client.Stats(); st.Budget != 0 {
		t.Errorf("budget left %d", st.Budget)
	}
}

func TestLLMCache(t *testing.T) {
	dir := t.TempDir()
	f := &fakeLLM{pGood: 0.7, logprobs: true}
	j, _ := newTestLLM(t, f)
	j.Cache = &Cache{Dir: dir}
	v1, err := j.Compare(context.Background(), goodBad)
	if err != nil {
		t.Fatal(err)
	}
	j2 := NewLLM(j.Client, "fake", nil)
	j2.Cache = &Cache{Dir: dir}
	v2, err := j2.Compare(context.Background(), goodBad)
	if err != nil {
		t.Fatal(err)
	}
	if f.requests.Load() != 2 || j2.Stats().CacheHits != 2 || v1.PA != v2.PA || v2.SoftFrom != "logprobs" {
		t.Errorf("requests %d, cache hits %d, PA %v vs %v", f.requests.Load(), j2.Stats().CacheHits, v1.PA, v2.PA)
	}
	// Another constitution version is another key.
	c := *DefaultConstitution()
	c.Version = "other-1"
	j3 := NewLLM(j.Client, "fake", &c)
	j3.Cache = &Cache{Dir: dir}
	if _, err := j3.Compare(context.Background(), goodBad); err != nil {
		t.Fatal(err)
	}
	if f.requests.Load() != 4 {
		t.Errorf("a new constitution version was served from the cache")
	}
}

func TestLLMPrinciplesSampledPerComparison(t *testing.T) {
	f := &fakeLLM{pGood: 0.9}
	j, _ := newTestLLM(t, f)
	seen := map[string]bool{}
	for i := range 30 {
		v, err := j.Compare(context.Background(), Comparison{Prompt: fmt.Sprintf("prompt %d", i), A: "GOOD a", B: "b"})
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Principles) != 1 {
			t.Fatalf("%d principles sampled, want 1", len(v.Principles))
		}
		seen[v.Principles[0]] = true
	}
	if len(seen) < 3 {
		t.Errorf("only %d distinct principles over 30 comparisons", len(seen))
	}
	// Both orders of one comparison see the same principle.
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := 0; i+1 < len(f.seen); i += 2 {
		p0 := between(f.seen[i].Messages[1].Content, "1. [", "]")
		p1 := between(f.seen[i+1].Messages[1].Content, "1. [", "]")
		if p0 != p1 {
			t.Errorf("orders of one comparison judged by %q and %q", p0, p1)
		}
	}
}

func TestLLMFaultSoak(t *testing.T) {
	// A mix of every fault on a seeded schedule: nothing crashes, every
	// comparison ends in a verdict or an abstention, retries stay bounded.
	kinds := []string{"", "", "", "429", "500", "garbage", "truncated", "nochoices", "slow", "unparseable"}
	f := &fakeLLM{pGood: 0.8, logprobs: true, slow: time.Second}
	f.fault = func(n int64) string { return kinds[(n*7919)%int64(len(kinds))] }
	j, _ := newTestLLM(t, f)
	j.Client.Retries = 2
	j.Client.Timeout = 100 * time.Millisecond
	const n = 20
	var wg sync.WaitGroup
	verdicts := make([]Verdict, n)
	for i := range n {
		wg.Go(func() {
			v, err := j.Compare(context.Background(), Comparison{Prompt: fmt.Sprintf("q%d", i), A: "GOOD", B: fmt.Sprintf("bad %d", i)})
			if err != nil {
				t.Error(err)
			}
			verdicts[i] = v
		})
	}
	wg.Wait()
	abstained, good := 0, 0
	for _, v := range verdicts {
		if v.Abstained {
			abstained++
		} else if v.PA > 0.5 {
			good++
		}
	}
	st := j.Stats()
	maxReq := int64(n * 2 * 3 * 3) // comparisons × orders × (1+retries) × (1+parse retries)
	if st.Client.Requests > maxReq || int64(abstained) != st.Abstained {
		t.Errorf("requests %d (max %d), abstained %d vs stats %+v", st.Client.Requests, maxReq, abstained, st)
	}
	if good+abstained != n {
		t.Errorf("%d verdicts prefer GOOD, %d abstained, of %d", good, abstained, n)
	}
	t.Logf("soak: %d good, %d abstained; %+v", good, abstained, st)
}
