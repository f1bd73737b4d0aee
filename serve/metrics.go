package serve

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// metrics are the server's Prometheus metrics, written in the text
// exposition format by hand (the format is small; no dependency needed).
type metrics struct {
	mu       sync.Mutex
	requests map[[2]string]int64 // (endpoint, code) → count
	latency  map[string]*histogram

	promptTokens, generatedTokens atomic.Int64
	queueDepth, running           atomic.Int64
	compactions                   atomic.Int64
	steps                         atomic.Int64
	batch                         *histogram // sequences per decode step
	stepTime                      *histogram // seconds per decode step
	queueWait                     *histogram // seconds from submit to a slot
	firstToken                    *histogram // seconds to the first token
}

// histogram is a Prometheus histogram with fixed upper bounds.
type histogram struct {
	mu     sync.Mutex
	bounds []float64
	counts []int64 // per bound, not cumulative; one more for +Inf
	sum    float64
	n      int64
}

func newHistogram(bounds ...float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]int64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i, _ := slices.BinarySearch(h.bounds, v) // first bound ≥ v
	h.mu.Lock()
	h.counts[i]++
	h.sum += v
	h.n++
	h.mu.Unlock()
}

// write prints the histogram's series; labels is "" or `name="value",`.
func (h *histogram) write(w io.Writer, name, labels string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var cum int64
	for i, b := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{%sle=%q} %d\n", name, labels, strconv.FormatFloat(b, 'g', -1, 64), cum)
	}
	fmt.Fprintf(w, "%s_bucket{%sle=\"+Inf\"} %d\n", name, labels, h.n)
	l := ""
	if labels != "" {
		l = "{" + labels[:len(labels)-1] + "}"
	}
	fmt.Fprintf(w, "%s_sum%s %g\n%s_count%s %d\n", name, l, h.sum, name, l, h.n)
}

var latencyBounds = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}

func newMetrics() *metrics {
	return &metrics{
		requests:   map[[2]string]int64{},
		latency:    map[string]*histogram{},
		batch:      newHistogram(1, 2, 4, 8, 16, 32, 64, 128),
		stepTime:   newHistogram(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
		queueWait:  newHistogram(latencyBounds...),
		firstToken: newHistogram(latencyBounds...),
	}
}

// observeRequest counts a finished HTTP request.
func (m *metrics) observeRequest(endpoint string, code int, d time.Duration) {
	m.mu.Lock()
	m.requests[[2]string{endpoint, strconv.Itoa(code)}]++
	h := m.latency[endpoint]
	if h == nil {
		h = newHistogram(latencyBounds...)
		m.latency[endpoint] = h
	}
	m.mu.Unlock()
	h.observe(d.Seconds())
}

func (m *metrics) observeStep(batch int, d time.Duration) {
	m.steps.Add(1)
	m.generatedTokens.Add(int64(batch))
	m.running.Store(int64(batch))
	m.batch.observe(float64(batch))
	m.stepTime.observe(d.Seconds())
}

func (m *metrics) observeQueueWait(d time.Duration) { m.queueWait.observe(d.Seconds()) }

// ServeHTTP writes the metrics in Prometheus' text format 0.0.4.
func (m *metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	help := func(name, typ, text string) { fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, typ) }

	help("align_serve_requests_total", "counter", "HTTP requests answered, by endpoint and status code.")
	m.mu.Lock()
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int {
		if a[0] != b[0] {
			return strings.Compare(a[0], b[0])
		}
		return strings.Compare(a[1], b[1])
	})
	for _, k := range keys {
		fmt.Fprintf(w, "align_serve_requests_total{endpoint=%q,code=%q} %d\n", k[0], k[1], m.requests[k])
	}
	eps := make([]string, 0, len(m.latency))
	for e := range m.latency {
		eps = append(eps, e)
	}
	slices.Sort(eps)
	lat := make([]*histogram, len(eps))
	for i, e := range eps {
		lat[i] = m.latency[e]
	}
	m.mu.Unlock()
	help("align_serve_request_duration_seconds", "histogram", "Time from request to the end of the answer, by endpoint.")
	for i, e := range eps {
		lat[i].write(w, "align_serve_request_duration_seconds", fmt.Sprintf("endpoint=%q,", e))
	}
	help("align_serve_prompt_tokens_total", "counter", "Prompt tokens of admitted requests.")
	fmt.Fprintf(w, "align_serve_prompt_tokens_total %d\n", m.promptTokens.Load())
	help("align_serve_generated_tokens_total", "counter", "Tokens generated.")
	fmt.Fprintf(w, "align_serve_generated_tokens_total %d\n", m.generatedTokens.Load())
	help("align_serve_queue_depth", "gauge", "Requests waiting for a decoding slot.")
	fmt.Fprintf(w, "align_serve_queue_depth %d\n", m.queueDepth.Load())
	help("align_serve_running_sequences", "gauge", "Sequences in the last decode step.")
	fmt.Fprintf(w, "align_serve_running_sequences %d\n", m.running.Load())
	help("align_serve_decode_steps_total", "counter", "Decode steps (one token for every running sequence).")
	fmt.Fprintf(w, "align_serve_decode_steps_total %d\n", m.steps.Load())
	help("align_serve_compactions_total", "counter", "Decoder compactions that freed the slots of finished sequences.")
	fmt.Fprintf(w, "align_serve_compactions_total %d\n", m.compactions.Load())
	help("align_serve_batch_size", "histogram", "Sequences decoded together per step.")
	m.batch.write(w, "align_serve_batch_size", "")
	help("align_serve_step_seconds", "histogram", "Duration of one decode step.")
	m.stepTime.write(w, "align_serve_step_seconds", "")
	help("align_serve_queue_wait_seconds", "histogram", "Time a request waited for decoding slots.")
	m.queueWait.write(w, "align_serve_queue_wait_seconds", "")
	help("align_serve_time_to_first_token_seconds", "histogram", "Time from request to its first generated token.")
	m.firstToken.write(w, "align_serve_time_to_first_token_seconds", "")
}
