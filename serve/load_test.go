package serve_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/align-project/align/serve"
)

// loadResult sums up a load run.
type loadResult struct {
	tokens           int
	elapsed          time.Duration
	p50, p95, maxLat time.Duration
	greedyAnswers    []string
}

// load sends clients concurrent chat requests (every third streamed, every
// fifth greedy) and measures them.
func load(t testing.TB, base string, clients, maxTokens int) loadResult {
	var (
		mu  sync.Mutex
		res loadResult
		lat []time.Duration
		wg  sync.WaitGroup
	)
	start := time.Now()
	for i := range clients {
		wg.Go(func() {
			msgs := []map[string]any{{"role": "user", "content": fmt.Sprintf("Request number %d: tell me about the quick brown fox.", i)}}
			req := map[string]any{"model": "tiny", "messages": msgs, "max_tokens": maxTokens, "seed": i, "temperature": 0.9}
			greedy := i%5 == 0
			if greedy {
				req["messages"] = hello
				req["temperature"] = 0
			}
			t0 := time.Now()
			var tokens int
			var answer string
			if i%3 == 0 {
				req["stream_options"] = map[string]any{"include_usage": true}
				content, _, chunks := streamChat(t, base, req)
				tokens = chunks[len(chunks)-1].Usage.CompletionTokens
				answer = content[0]
			} else {
				r := chat(t, base, req)
				tokens = r.Usage.CompletionTokens
				answer = r.Choices[0].Message.Content
			}
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			res.tokens += tokens
			lat = append(lat, d)
			if greedy {
				res.greedyAnswers = append(res.greedyAnswers, answer)
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	slices.Sort(lat)
	res.p50, res.p95, res.maxLat = lat[len(lat)/2], lat[len(lat)*95/100], lat[len(lat)-1]
	return res
}

// TestLoad50 sends 50 concurrent requests: all must succeed (chat and
// streamChat fail the test on any error), and greedy answers must not
// depend on what else shares the batch.
func TestLoad50(t *testing.T) {
	m, tok := tiny(t, 256, 2, 64)
	_, hs, _, _ := startWith(t, m, tok, serve.Config{MaxBatch: 16})
	maxTokens := 48
	if testing.Short() {
		maxTokens = 16
	}
	solo := chat(t, hs.URL, map[string]any{"model": "tiny", "messages": hello, "max_tokens": maxTokens, "temperature": 0}).Choices[0].Message.Content
	r := load(t, hs.URL, 50, maxTokens)
	for i, a := range r.greedyAnswers {
		if a != solo {
			t.Fatalf("greedy answer %d in a batch %q differs from the answer alone %q", i, a, solo)
		}
	}
	t.Logf("50 concurrent requests, max_tokens %d, batch 16: %d tokens in %v = %.0f tokens/s; latency p50 %v p95 %v max %v",
		maxTokens, r.tokens, r.elapsed.Round(time.Millisecond), float64(r.tokens)/r.elapsed.Seconds(),
		r.p50.Round(time.Millisecond), r.p95.Round(time.Millisecond), r.maxLat.Round(time.Millisecond))
	text := metricsText(t, hs.URL)
	if !containsAll(text, `code="200"} 51`, "align_serve_batch_size_count") {
		t.Fatalf("metrics after the load:\n%s", text)
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "align_serve_compactions_total") || strings.HasPrefix(line, "align_serve_decode_steps_total") ||
			strings.HasPrefix(line, "align_serve_batch_size_sum") {
			t.Log(line)
		}
	}
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}

// BenchmarkServeLoad measures throughput with 50 concurrent clients: one op
// is the whole wave of 50 requests of 32 tokens, for a small model (L4,
// C128) and a medium one (L6, C384, about 11M parameters), both with a
// context of 256, at several batch sizes.
func BenchmarkServeLoad(b *testing.B) {
	for _, size := range []struct {
		name             string
		layers, channels int
	}{{"small", 4, 128}, {"medium", 6, 384}} {
		for _, batch := range []int{1, 8, 16, 32} {
			b.Run(fmt.Sprintf("%s/batch%d", size.name, batch), func(b *testing.B) {
				m, tok := tiny(b, 256, size.layers, size.channels)
				_, hs, _, _ := startWith(b, m, tok, serve.Config{MaxBatch: batch})
				var tokens int
				var elapsed, p50 time.Duration
				for b.Loop() {
					r := load(b, hs.URL, 50, 32)
					tokens += r.tokens
					elapsed += r.elapsed
					p50 = r.p50
				}
				b.ReportMetric(float64(tokens)/elapsed.Seconds(), "tokens/s")
				b.ReportMetric(p50.Seconds()*1000, "p50-ms")
			})
		}
	}
}
