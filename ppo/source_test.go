package ppo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/align-project/align/judge"
	"github.com/align-project/align/reward"
)

func TestFuncSource(t *testing.T) {
	src := FuncSource(func(p, r string) reward.Score { return reward.Score{Reward: float64(len(r)), Raw: float64(len(r))} })
	got, err := src.Score(context.Background(), []string{"a", "b"}, []string{"xyz", ""})
	if err != nil || len(got) != 2 || got[0].Reward != 3 || got[1].Reward != 0 {
		t.Fatalf("Score = %v, %v", got, err)
	}
	if _, err := src.Score(context.Background(), []string{"a"}, nil); err == nil {
		t.Error("mismatched lengths accepted")
	}
	nan := FuncSource(func(p, r string) reward.Score { return reward.Score{Reward: 0 / zero()} })
	if _, err := nan.Score(context.Background(), []string{"a"}, []string{"b"}); err == nil || !strings.Contains(err.Error(), "non-finite") {
		t.Errorf("NaN score: %v", err)
	}
}

func zero() float64 { return 0 }

func TestRateSource(t *testing.T) {
	var calls atomic.Int32
	src := RateSource{Workers: 3, Rate: func(ctx context.Context, p, r string) (reward.Score, error) {
		calls.Add(1)
		return reward.Score{Reward: float64(len(p) + len(r)), Cost: 1}, nil
	}}
	prompts := []string{"a", "bb", "ccc", "dddd", "eeeee"}
	got, err := src.Score(context.Background(), prompts, []string{"", "", "", "", "x"})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range got {
		want := float64(len(prompts[i]))
		if i == 4 {
			want++
		}
		if s.Reward != want || s.Cost != 1 {
			t.Errorf("score %d = %+v, want reward %v", i, s, want)
		}
	}
	boom := errors.New("judge exploded")
	failing := RateSource{Rate: func(ctx context.Context, p, r string) (reward.Score, error) {
		if p == "ccc" {
			return reward.Score{}, boom
		}
		return reward.Score{}, nil
	}}
	if _, err := failing.Score(context.Background(), prompts, make([]string, 5)); !errors.Is(err, boom) || !strings.Contains(err.Error(), "response 2") {
		t.Errorf("failing rater: %v", err)
	}
}

func TestHTTPSource(t *testing.T) {
	mux := http.NewServeMux()
	release := make(chan struct{})
	mux.HandleFunc("POST /ok", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer k" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad headers", http.StatusUnauthorized)
			return
		}
		var req httpRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var out httpResponse
		for i, resp := range req.Responses {
			out.Scores = append(out.Scores, float64(len(resp)))
			out.Costs = append(out.Costs, float64(i))
		}
		json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("POST /slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("POST /500", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "model not loaded", http.StatusInternalServerError)
	})
	mux.HandleFunc("POST /garbage", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html>not json</html>")
	})
	mux.HandleFunc("POST /short", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"scores": [1]}`)
	})
	mux.HandleFunc("POST /noscores", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"rewards": [1, 2]}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(release) // before Close, which waits for the handlers

	ctx := context.Background()
	prompts, responses := []string{"p", "q"}, []string{"ab", "abcd"}
	ok := &HTTPSource{URL: srv.URL + "/ok", Header: map[string]string{"Authorization": "Bearer k"}}
	got, err := ok.Score(ctx, prompts, responses)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != (reward.Score{Reward: 2, Raw: 2, Cost: 0}) || got[1] != (reward.Score{Reward: 4, Raw: 4, Cost: 1}) {
		t.Errorf("scores %+v", got)
	}
	for _, tc := range []struct {
		path, want string
		timeout    time.Duration
	}{
		{"/slow", "no answer within 100ms", 100 * time.Millisecond},
		{"/500", `status 500 Internal Server Error: "model not loaded"`, 0},
		{"/garbage", "not the expected JSON", 0},
		{"/short", "1 scores for 2 responses", 0},
		{"/noscores", `no "scores"`, 0},
		{"/missing", "status 404", 0},
	} {
		src := &HTTPSource{URL: srv.URL + tc.path, Timeout: tc.timeout}
		start := time.Now()
		_, err := src.Score(ctx, prompts, responses)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.path, err, tc.want)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s took %v", tc.path, d)
		}
	}
	dead := &HTTPSource{URL: "http://127.0.0.1:1/score", Timeout: time.Second}
	if _, err := dead.Score(ctx, prompts, responses); err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("unreachable server: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ok.Score(cancelled, prompts, responses); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

// TestJudgeRateUsesAnswers: the judge as the reward rates a checkable
// prompt's response against its known answer, so a wrong letter count it
// cannot work out alone scores below the right one; prompts without an
// answer are rated as before.
func TestJudgeRateUsesAnswers(t *testing.T) {
	j, err := judge.NewBuiltin(judge.DefaultConstitution())
	if err != nil {
		t.Fatal(err)
	}
	prompt := "What does a snake say?"
	rate := judgeRate(j, map[string]string{prompt: "hiss"})
	right, err := rate(context.Background(), prompt, "A snake says hiss.")
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := rate(context.Background(), prompt, "A snake says buzz.")
	if err != nil {
		t.Fatal(err)
	}
	if !(right.Reward > wrong.Reward) {
		t.Errorf("with the answer: right %+v, wrong %+v", right, wrong)
	}
	blind := judgeRate(j, nil)
	r2, _ := blind(context.Background(), prompt, "A snake says hiss.")
	w2, _ := blind(context.Background(), prompt, "A snake says buzz.")
	if r2.Reward != w2.Reward {
		t.Logf("without the answer the judge tells them apart too: %v vs %v", r2.Reward, w2.Reward)
	}
}
