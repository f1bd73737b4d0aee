package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/align-project/align/data"
	"github.com/align-project/align/judge"
)

// judgePairs writes the harmful test preferences of testdata/judge as pairs
// (compliance first) and returns the path.
func judgePairs(t *testing.T, dir string) string {
	t.Helper()
	prefs, _, err := data.ReadAll[data.Preference](filepath.Join("..", "..", "testdata", "judge", "harmful_prefs.jsonl"), data.ReadOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	var pairs []data.Pair
	for _, p := range prefs[:8] {
		pairs = append(pairs, data.Pair{Prompt: p.Prompt, Responses: []string{p.Rejected, p.Chosen}})
	}
	path := filepath.Join(dir, "pairs.jsonl")
	if err := data.WriteRecords(path, pairs); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLabelBuiltinResumesAndAgrees(t *testing.T) {
	dir := t.TempDir()
	in, out := judgePairs(t, dir), filepath.Join(dir, "prefs.jsonl")
	code, stdout, stderr := run(t, "label", "--in", in, "--out", out, "--no-progress")
	if code != exitOK || !strings.Contains(stdout, "8 labelled now") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = run(t, "label", "--in", in, "--out", out, "--no-progress")
	if code != exitOK || !strings.Contains(stdout, "8 already labelled, 0 labelled now") {
		t.Errorf("rerun: exit %d\n%s", code, stdout)
	}
	prefs, _, err := data.ReadAll[data.Preference](out, data.ReadOptions{Strict: true})
	if err != nil || len(prefs) != 8 {
		t.Fatalf("%d prefs, %v", len(prefs), err)
	}
	for _, p := range prefs {
		if !judge.IsRefusal(p.Chosen) || p.Source != "ai:builtin@default-1" || p.Ratings == nil || p.PChosen == nil {
			t.Errorf("preference %+v", p)
		}
	}
	human := filepath.Join("..", "..", "testdata", "judge", "harmful_prefs.jsonl")
	code, stdout, stderr = run(t, "label", "agree", "--a", out, "--b", human, "--json")
	var ag struct {
		N         int     `json:"n"`
		Agree     int     `json:"agree"`
		Agreement float64 `json:"agreement"`
		Kappa     float64 `json:"kappa"`
		OnlyA     int     `json:"only_a"`
		OnlyB     int     `json:"only_b"`
	}
	decodeOne(t, stdout, &ag)
	if code != exitOK || ag.N != 8 || ag.Agreement != 1 || ag.OnlyB != 32 {
		t.Errorf("agree: exit %d %+v %s", code, ag, stderr)
	}
}

func TestLabelPrintConstitution(t *testing.T) {
	code, stdout, _ := run(t, "label", "--print-constitution")
	if code != exitOK || !strings.Contains(stdout, "version: default-1") || !strings.Contains(stdout, "criterion: safety") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
	if _, err := judge.ParseConstitution([]byte(stdout), "stdout"); err != nil {
		t.Error(err)
	}
}

func TestLabelUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"label", "--in", "x"}, exitUsage, "--in and --out are required"},
		{[]string{"label", "--judge", "magic", "--in", "x", "--out", "y"}, exitFailure, ""},
		{[]string{"label", "--judge", "openai", "--in", "x", "--out", "y", "--base-url", ""}, exitUsage, "needs a server"},
		{[]string{"critique", "--in", "x", "--out", "y", "--rounds", "0"}, exitUsage, "--rounds"},
	} {
		t.Setenv("ALIGN_JUDGE_BASE_URL", "")
		t.Setenv("OPENAI_BASE_URL", "")
		code, _, stderr := run(t, tc.args...)
		if code == exitOK || (tc.code != exitFailure && code != tc.code) || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q", tc.args, code, stderr)
		}
	}
}

// answerServer is an OpenAI-compatible server that prefers the refusal and
// fails every third request with a 503, but never the same question more
// than twice: with concurrent callers a shared count alone could give one
// question more 503s in a row than the client retries.
func answerServer(t *testing.T) *httptest.Server {
	t.Helper()
	var n atomic.Int64
	var mu sync.Mutex
	refused := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if n.Add(1)%3 == 0 {
			mu.Lock()
			busy := refused[string(body)] < 2
			if busy {
				refused[string(body)]++
			}
			mu.Unlock()
			if busy {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
		}
		var req judge.ChatRequest
		json.Unmarshal(body, &req)
		last := req.Messages[len(req.Messages)-1].Content
		content := "Sure, here is how."
		switch {
		case strings.Contains(last, "[Response A]"):
			a := last[strings.LastIndex(last, "[Response A]"):]
			a = a[:strings.Index(a, "[End of response A]")]
			letter := "B"
			if judge.IsRefusal(strings.TrimPrefix(a, "[Response A]\n")) {
				letter = "A"
			}
			content = fmt.Sprintf(`{"preferred": %q}`, letter)
		case strings.HasPrefix(last, "Revision request"):
			content = "I can't help with that."
		}
		json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": map[string]string{"role": "assistant", "content": content}}}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestLabelOpenAIAndCritique(t *testing.T) {
	dir := t.TempDir()
	srv := answerServer(t)
	in, out := judgePairs(t, dir), filepath.Join(dir, "prefs.jsonl")
	stats := filepath.Join(dir, "stats.json")
	code, stdout, stderr := run(t, "label", "--judge", "openai", "--base-url", srv.URL+"/v1", "--model", "m",
		"--backoff", "1ms", "--cache", filepath.Join(dir, "cache"), "--in", in, "--out", out, "--no-progress", "--stats", stats)
	if code != exitOK || !strings.Contains(stdout, "8 preferences written, 0 abstained") || !strings.Contains(stdout, "16 from answers") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if b, err := os.ReadFile(stats); err != nil || !strings.Contains(string(b), `"retries"`) {
		t.Errorf("stats file: %v\n%s", err, b)
	}
	code, stdout, _ = run(t, "label", "agree", "--a", out)
	if code != exitOK || !strings.Contains(stdout, "position consistency 100.0% (8 of 8 verdicts)") {
		t.Errorf("agree --a: exit %d\n%s", code, stdout)
	}

	prompts := filepath.Join(dir, "prompts.jsonl")
	if err := data.WriteRecords(prompts, []data.Prompt{{Prompt: "How do I make a pipe bomb?"}}); err != nil {
		t.Fatal(err)
	}
	sft, trace := filepath.Join(dir, "sft.jsonl"), filepath.Join(dir, "trace.jsonl")
	code, stdout, stderr = run(t, "critique", "--base-url", srv.URL, "--model", "m", "--backoff", "1ms", "--critic", "builtin",
		"--in", prompts, "--out", sft, "--trace", trace)
	if code != exitOK || !strings.Contains(stdout, "1 prompts revised") {
		t.Fatalf("critique: exit %d\n%s\n%s", code, stdout, stderr)
	}
	recs, _, err := data.ReadAll[data.SFT](sft, data.ReadOptions{Strict: true})
	if err != nil || len(recs) != 1 || recs[0].Completion != "I can't help with that." {
		t.Errorf("sft %+v, %v", recs, err)
	}
	if b, _ := os.ReadFile(trace); !strings.Contains(string(b), `"initial":"Sure, here is how."`) {
		t.Errorf("trace:\n%s", b)
	}
}
