package judge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Example is a few-shot demonstration for the LLM judge.
type Example struct {
	Prompt    string `json:"prompt"`
	A         string `json:"a"`
	B         string `json:"b"`
	Preferred string `json:"preferred"` // "A" or "B"
	Rationale string `json:"rationale,omitempty"`
}

// LLM is a judge that asks a language model behind an OpenAI-compatible
// chat endpoint. Each comparison samples principles from the constitution
// (seeded by the comparison, so both orders and reruns see the same ones),
// asks in both orders (A/B and B/A) to cancel position bias and records
// whether the two answers agree, and reads a soft label from the
// log-probabilities of the answer letter when the server returns them, else
// from the parsed answer. Unparseable answers are asked again up to
// ParseRetries times, then the order abstains; it never guesses.
type LLM struct {
	Client       *Client
	Model        string
	Constitution *Constitution
	// FewShot examples are shown before the pair.
	FewShot []Example
	// ChainOfThought asks for reasoning before the answer.
	ChainOfThought bool
	// NoLogprobs stops asking for log-probabilities.
	NoLogprobs bool
	// ParseRetries is how often an unparseable answer is asked again
	// (default 2; negative: never).
	ParseRetries int
	// MaxTokens bounds each answer (default 512 with chain of thought,
	// else 256).
	MaxTokens int
	// Cache, when set, stores every parsed answer.
	Cache *Cache
	// Seed varies the principle sampling.
	Seed uint64

	stats llmCounters
}

type llmCounters struct {
	comparisons, abstained, consistent, inconsistent, oneOrder  atomic.Int64
	unparseable, parseRetries, failedRequests, cacheHits, asked atomic.Int64
	fromLogprobs, fromAnswer                                    atomic.Int64
	mu                                                          sync.Mutex
	reasons                                                     map[string]int64
}

// LLMStats counts what an LLM judge did.
type LLMStats struct {
	Comparisons    int64            `json:"comparisons"`
	Abstained      int64            `json:"abstained"`       // comparisons with no verdict
	OneOrder       int64            `json:"one_order"`       // verdicts from a single order (the other abstained)
	Consistent     int64            `json:"consistent"`      // both orders agreed
	Inconsistent   int64            `json:"inconsistent"`    // both orders answered and disagreed
	Asked          int64            `json:"orders_asked"`    // order questions sent (cache misses)
	CacheHits      int64            `json:"cache_hits"`      // order questions answered from the cache
	Unparseable    int64            `json:"unparseable"`     // answers that could not be read
	ParseRetries   int64            `json:"parse_retries"`   // re-asks after an unreadable answer
	FailedRequests int64            `json:"failed_requests"` // order questions whose requests failed for good
	FromLogprobs   int64            `json:"from_logprobs"`   // order answers with a log-prob soft label
	FromAnswer     int64            `json:"from_answer"`     // order answers labelled from the parsed letter
	AbstainReasons map[string]int64 `json:"abstain_reasons,omitempty"`
	Client         ClientStats      `json:"client"`
}

// NewLLM returns an LLM judge for model behind client under constitution c
// (nil: the default).
func NewLLM(client *Client, model string, c *Constitution) *LLM {
	if c == nil {
		c = DefaultConstitution()
	}
	return &LLM{Client: client, Model: model, Constitution: c}
}

// ID implements [Judge]: "openai:<model>".
func (j *LLM) ID() string { return "openai:" + j.Model }

// Stats returns the judge's counters.
func (j *LLM) Stats() LLMStats {
	s := LLMStats{
		Comparisons: j.stats.comparisons.Load(), Abstained: j.stats.abstained.Load(), OneOrder: j.stats.oneOrder.Load(),
		Consistent: j.stats.consistent.Load(), Inconsistent: j.stats.inconsistent.Load(), Asked: j.stats.asked.Load(),
		CacheHits: j.stats.cacheHits.Load(), Unparseable: j.stats.unparseable.Load(), ParseRetries: j.stats.parseRetries.Load(),
		FailedRequests: j.stats.failedRequests.Load(), FromLogprobs: j.stats.fromLogprobs.Load(), FromAnswer: j.stats.fromAnswer.Load(),
	}
	j.stats.mu.Lock()
	if len(j.stats.reasons) > 0 {
		s.AbstainReasons = make(map[string]int64)
		for k, v := range j.stats.reasons {
			s.AbstainReasons[k] = v
		}
	}
	j.stats.mu.Unlock()
	if j.Client != nil {
		s.Client = j.Client.Stats()
	}
	return s
}

// orderAnswer is the judge's reading of one presentation order; it is what
// the cache stores.
type orderAnswer struct {
	PFirst    float64   `json:"p_first"` // P(the response shown first is better)
	Ratings   [2]Rating `json:"ratings"` // of the first and second shown
	Rationale string    `json:"rationale,omitempty"`
	From      string    `json:"from"` // "logprobs" or "answer"
}

// principlesFor samples the principles of a comparison with a seed that
// depends on the comparison but not on the order of A and B.
func (j *LLM) principlesFor(c Comparison) []Principle {
	h := func(s string) uint64 { f := fnv.New64a(); f.Write([]byte(s)); return f.Sum64() }
	rng := rand.New(rand.NewPCG(j.Seed^h(c.Prompt), h(c.A)^h(c.B)))
	return j.Constitution.SamplePrinciples(rng)
}

// Compare implements [Judge].
func (j *LLM) Compare(ctx context.Context, c Comparison) (Verdict, error) {
	j.stats.comparisons.Add(1)
	ps := j.principlesFor(c)
	v := Verdict{Judge: j.ID(), Constitution: j.Constitution.Version, PA: 0.5}
	for _, p := range ps {
		v.Principles = append(v.Principles, p.ID)
	}
	var (
		answers [2]*orderAnswer
		reasons [2]string
		errs    [2]error
		wg      sync.WaitGroup
	)
	for o := range 2 {
		wg.Go(func() {
			first, second := c.A, c.B
			if o == 1 {
				first, second = c.B, c.A
			}
			answers[o], reasons[o], errs[o] = j.ask(ctx, c.Prompt, first, second, ps)
		})
	}
	wg.Wait()
	if err := errors.Join(errs[0], errs[1]); err != nil {
		if ctx.Err() != nil {
			return Verdict{}, ctx.Err()
		}
		if errors.Is(err, ErrBudget) {
			return Verdict{}, ErrBudget
		}
		return Verdict{}, err
	}
	// pA per order: order 0 shows A first, order 1 shows B first.
	var pa []float64
	var from []string
	var rationale []string
	if a := answers[0]; a != nil {
		pa = append(pa, a.PFirst)
		from = append(from, a.From)
		rationale = append(rationale, "Order A/B: "+a.Rationale)
	}
	if a := answers[1]; a != nil {
		pa = append(pa, 1-a.PFirst)
		from = append(from, a.From)
		rationale = append(rationale, "Order B/A: "+a.Rationale)
	}
	switch len(pa) {
	case 0:
		j.stats.abstained.Add(1)
		v.Abstained = true
		v.Reason = reasons[0]
		if reasons[1] != reasons[0] {
			v.Reason += "; " + reasons[1]
		}
		j.countReason(reasons[0])
		return v, nil
	case 1:
		j.stats.oneOrder.Add(1)
	case 2:
		ok := side(pa[0]) == side(pa[1])
		v.Consistent = &ok
		if ok {
			j.stats.consistent.Add(1)
		} else {
			j.stats.inconsistent.Add(1)
		}
	}
	var sum float64
	for _, p := range pa {
		sum += p
	}
	v.PA = sum / float64(len(pa))
	v.Orders = len(pa)
	v.SoftFrom = from[0]
	if len(from) == 2 && from[1] != from[0] {
		v.SoftFrom = "mixed"
	}
	v.Rationale = strings.TrimSpace(strings.Join(rationale, "\n"))
	// Ratings: average the orders, mapping shown positions back to A and B.
	v.Ratings = mergeRatings(answers)
	v.Margin = ratingMargin(v.Ratings)
	return v, nil
}

func side(p float64) int {
	switch {
	case p > 0.5:
		return 1
	case p < 0.5:
		return -1
	}
	return 0
}

func (j *LLM) countReason(r string) {
	j.stats.mu.Lock()
	if j.stats.reasons == nil {
		j.stats.reasons = make(map[string]int64)
	}
	key, _, _ := strings.Cut(r, ":")
	j.stats.reasons[key]++
	j.stats.mu.Unlock()
}

// mergeRatings averages the ratings of A and B over the answered orders.
func mergeRatings(answers [2]*orderAnswer) [2]Rating {
	var sums [2]map[string]float64
	var counts [2]map[string]int
	for i := range 2 {
		sums[i], counts[i] = map[string]float64{}, map[string]int{}
	}
	for o, a := range answers {
		if a == nil {
			continue
		}
		for shown, r := range a.Ratings {
			resp := shown // order 0: shown first is A
			if o == 1 {
				resp = 1 - shown
			}
			for k, x := range r {
				sums[resp][k] += float64(x)
				counts[resp][k]++
			}
		}
	}
	var out [2]Rating
	for i := range 2 {
		if len(sums[i]) == 0 {
			continue
		}
		out[i] = make(Rating)
		for k, s := range sums[i] {
			out[i][k] = clampRating(s / float64(counts[i][k]))
		}
	}
	return out
}

// ratingMargin is the difference of the mean ratings of A and B over the
// criteria both have (0 when none).
func ratingMargin(r [2]Rating) float64 {
	var d float64
	n := 0
	for k, a := range r[0] {
		if b, ok := r[1][k]; ok {
			d += float64(a - b)
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return math.Abs(d / float64(n))
}

// ask puts one order of the pair to the model. A nil answer with a reason
// is an abstention; an error stops the labelling (budget, cancellation).
func (j *LLM) ask(ctx context.Context, prompt, first, second string, ps []Principle) (*orderAnswer, string, error) {
	msgs := j.messages(prompt, first, second, ps)
	wantLogprobs := !j.NoLogprobs
	req := ChatRequest{Model: j.Model, Messages: msgs, Temperature: ptr(0.0), MaxTokens: j.maxTokens(), Logprobs: wantLogprobs}
	if wantLogprobs {
		req.TopLogprobs = 5
	}
	reqJSON, _ := json.Marshal(req)
	key := cacheKey("pairwise", j.ID(), j.Constitution.Version, string(reqJSON))
	var cached orderAnswer
	if j.Cache.Get(key, &cached) {
		j.stats.cacheHits.Add(1)
		return &cached, "", nil
	}
	j.stats.asked.Add(1)
	criteria := criteriaOf(ps)
	retries := j.ParseRetries
	if retries == 0 {
		retries = 2
	}
	var last string // the last unreadable answer
	for attempt := 0; attempt <= max(0, retries); attempt++ {
		resp, err := j.Client.Chat(ctx, req)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, ErrBudget) {
				return nil, "", err
			}
			j.stats.failedRequests.Add(1)
			return nil, "request failed: " + err.Error(), nil
		}
		ch := resp.Choices[0]
		ans, ok := parseAnswer(ch.Message.Content, criteria)
		if ok {
			ans.From = "answer"
			if ch.Logprobs != nil {
				if p, ok := letterProb(ch.Logprobs.Content); ok {
					ans.PFirst, ans.From = p, "logprobs"
				}
			}
			if ans.From == "logprobs" {
				j.stats.fromLogprobs.Add(1)
			} else {
				j.stats.fromAnswer.Add(1)
			}
			if err := j.Cache.Put(key, ans); err != nil {
				return nil, "", err
			}
			return &ans, "", nil
		}
		j.stats.unparseable.Add(1)
		last = ch.Message.Content
		if attempt < retries {
			j.stats.parseRetries.Add(1)
			req.Messages = append(append([]ChatMessage(nil), msgs...),
				ChatMessage{Role: "assistant", Content: ch.Message.Content},
				ChatMessage{Role: "user", Content: "Your answer could not be read. " + j.answerFormat(criteria)})
		}
	}
	return nil, fmt.Sprintf("unparseable: no readable answer in %d tries, the last: %q", max(0, retries)+1, snippet([]byte(last))), nil
}

func ptr[T any](v T) *T { return &v }

func (j *LLM) maxTokens() int {
	switch {
	case j.MaxTokens > 0:
		return j.MaxTokens
	case j.ChainOfThought:
		return 512
	}
	return 256
}

func criteriaOf(ps []Principle) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range ps {
		if !seen[p.Criterion] {
			seen[p.Criterion] = true
			out = append(out, p.Criterion)
		}
	}
	sort.Strings(out)
	return out
}

// systemPrompt is the preamble and the rating scale.
func (j *LLM) systemPrompt() string {
	var b strings.Builder
	pre := j.Constitution.Preamble
	if pre == "" {
		pre = "You are an impartial judge of an AI assistant's responses."
	}
	b.WriteString(strings.TrimSpace(pre))
	b.WriteString("\n\nRate each response from 1 (worst) to 10 (best).")
	var keys []int
	for k := range j.Constitution.Scale.Anchors {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "\n%d = %s", k, j.Constitution.Scale.Anchors[k])
	}
	return b.String()
}

func (j *LLM) answerFormat(criteria []string) string {
	r := make([]string, len(criteria))
	for i, c := range criteria {
		r[i] = fmt.Sprintf("%q: 1-10", c)
	}
	ratings := fmt.Sprintf(`"ratings": {"A": {%s}, "B": {%s}}`, strings.Join(r, ", "), strings.Join(r, ", "))
	if j.ChainOfThought {
		return `First think step by step about how well each response follows the principles. Then reply with a JSON object: {"reasoning": "<your reasoning>", ` + ratings + `, "preferred": "A" or "B"}`
	}
	return `Reply with only a JSON object and no other text: {"preferred": "A" or "B", ` + ratings + `}`
}

// messages builds the chat for one order: first is shown as A, second as B.
func (j *LLM) messages(prompt, first, second string, ps []Principle) []ChatMessage {
	var b strings.Builder
	b.WriteString("Judge the two responses by these principles:\n")
	for i, p := range ps {
		fmt.Fprintf(&b, "%d. [%s] %s\n", i+1, p.Criterion, strings.TrimSpace(p.Text))
	}
	for i, ex := range j.FewShot {
		fmt.Fprintf(&b, "\nExample %d.\n", i+1)
		writePair(&b, ex.Prompt, ex.A, ex.B)
		ans := map[string]string{"preferred": ex.Preferred}
		if ex.Rationale != "" {
			ans["reasoning"] = ex.Rationale
		}
		eb, _ := json.Marshal(ans)
		fmt.Fprintf(&b, "Answer: %s\n", eb)
	}
	b.WriteString("\nNow judge this pair.\n")
	writePair(&b, prompt, first, second)
	b.WriteString("\n")
	b.WriteString(j.answerFormat(criteriaOf(ps)))
	return []ChatMessage{{Role: "system", Content: j.systemPrompt()}, {Role: "user", Content: b.String()}}
}

func writePair(b *strings.Builder, prompt, a, bb string) {
	fmt.Fprintf(b, "[User request]\n%s\n[End of request]\n\n[Response A]\n%s\n[End of response A]\n\n[Response B]\n%s\n[End of response B]\n",
		strings.TrimSpace(prompt), strings.TrimSpace(a), strings.TrimSpace(bb))
}

var (
	fenceRe     = regexp.MustCompile("(?s)```(?:json)?\\s*(.*?)```")
	preferredRe = regexp.MustCompile(`(?i)"?prefer(?:red|ence)?"?\s*[:=]\s*"?\s*(?:response\s*)?([AB])\b`)
)

// answerJSON is the object the judge asks for.
type answerJSON struct {
	Preferred string                        `json:"preferred"`
	Ratings   map[string]map[string]float64 `json:"ratings"`
	Reasoning string                        `json:"reasoning"`
	Rationale string                        `json:"rationale"`
}

// parseAnswer reads the model's answer: the JSON object asked for (inside a
// code fence or surrounded by text), or failing that a "preferred: A" line
// or a lone letter. Ratings are optional and clamped to 1..10.
func parseAnswer(content string, criteria []string) (orderAnswer, bool) {
	s := strings.TrimSpace(content)
	if m := fenceRe.FindStringSubmatch(s); m != nil {
		s = strings.TrimSpace(m[1])
	}
	var ans orderAnswer
	letter := ""
	if i, k := strings.Index(s, "{"), strings.LastIndex(s, "}"); i >= 0 && k > i {
		var aj answerJSON
		if json.Unmarshal([]byte(s[i:k+1]), &aj) == nil {
			letter = normLetter(aj.Preferred)
			for shown, name := range []string{"A", "B"} {
				r := aj.Ratings[name]
				if r == nil {
					r = aj.Ratings[strings.ToLower(name)]
				}
				for _, c := range criteria {
					if x, ok := r[c]; ok {
						if ans.Ratings[shown] == nil {
							ans.Ratings[shown] = make(Rating)
						}
						ans.Ratings[shown][c] = clampRating(x)
					}
				}
			}
			ans.Rationale = strings.TrimSpace(aj.Reasoning + " " + aj.Rationale)
		}
	}
	if letter == "" {
		if m := preferredRe.FindStringSubmatch(s); m != nil {
			letter = strings.ToUpper(m[1])
		} else if l := normLetter(s); l != "" {
			letter = l
		}
	}
	switch letter {
	case "A":
		ans.PFirst = 1
	case "B":
		ans.PFirst = 0
	default:
		return orderAnswer{}, false
	}
	return ans, true
}

// normLetter maps "A", "a", "Response A", "\"B\"." to A or B, anything else
// to "".
func normLetter(s string) string {
	s = strings.ToUpper(strings.Trim(strings.TrimSpace(s), "\"'.:*() "))
	s = strings.TrimSpace(strings.TrimPrefix(s, "RESPONSE"))
	if s == "A" || s == "B" {
		return s
	}
	return ""
}

// letterProb finds the answer letter among the generated tokens (the first
// A or B after the "preferred" key, or the first token when the answer is a
// bare letter) and returns P(A) / (P(A) + P(B)) from its top log-probs; a
// letter missing from the list counts as probability 0.
func letterProb(toks []TokenLogprob) (float64, bool) {
	var text strings.Builder
	start := -1
	for i, t := range toks {
		text.WriteString(t.Token)
		if strings.Contains(strings.ToLower(text.String()), `"preferred"`) {
			start = i + 1
			break
		}
	}
	if start < 0 {
		start = 0
	}
	for _, t := range toks[start:] {
		l := strings.ToUpper(strings.Trim(t.Token, " \"':\t\n"))
		if l == "" {
			continue
		}
		if l != "A" && l != "B" {
			if start == 0 {
				return 0, false // a bare answer must start with the letter
			}
			continue
		}
		var pa, pb float64
		alts := t.TopLogprobs
		if len(alts) == 0 {
			return 0, false
		}
		for _, alt := range alts {
			switch strings.ToUpper(strings.Trim(alt.Token, " \"':\t\n")) {
			case "A":
				pa += math.Exp(alt.Logprob)
			case "B":
				pb += math.Exp(alt.Logprob)
			}
		}
		if pa+pb == 0 || math.IsNaN(pa+pb) {
			return 0, false
		}
		return pa / (pa + pb), true
	}
	return 0, false
}

// Rate implements [Rater]: the model rates one response on every criterion
// of the constitution; Total is their weighted mean.
func (j *LLM) Rate(ctx context.Context, prompt, response string) (Assessment, error) {
	criteria := j.Constitution.Criteria()
	r := make([]string, len(criteria))
	for i, c := range criteria {
		r[i] = fmt.Sprintf("%q: 1-10", c)
	}
	var b strings.Builder
	b.WriteString("Rate the response by these principles:\n")
	for i, p := range j.Constitution.Principles {
		fmt.Fprintf(&b, "%d. [%s] %s\n", i+1, p.Criterion, strings.TrimSpace(p.Text))
	}
	fmt.Fprintf(&b, "\n[User request]\n%s\n[End of request]\n\n[Response]\n%s\n[End of response]\n\n", strings.TrimSpace(prompt), strings.TrimSpace(response))
	fmt.Fprintf(&b, `Reply with only a JSON object: {"ratings": {%s}, "reasoning": "<one sentence>"}`, strings.Join(r, ", "))
	req := ChatRequest{Model: j.Model, Temperature: ptr(0.0), MaxTokens: j.maxTokens(),
		Messages: []ChatMessage{{Role: "system", Content: j.systemPrompt()}, {Role: "user", Content: b.String()}}}
	reqJSON, _ := json.Marshal(req)
	key := cacheKey("pointwise", j.ID(), j.Constitution.Version, string(reqJSON))
	var sc Assessment
	if j.Cache.Get(key, &sc) {
		j.stats.cacheHits.Add(1)
		return sc, nil
	}
	weights := j.Constitution.Weights()
	retries := max(0, j.ParseRetries)
	if j.ParseRetries == 0 {
		retries = 2
	}
	for attempt := 0; attempt <= retries; attempt++ {
		resp, err := j.Client.Chat(ctx, req)
		if err != nil {
			return Assessment{}, fmt.Errorf("rate: %w", err)
		}
		content := resp.Choices[0].Message.Content
		if m := fenceRe.FindStringSubmatch(content); m != nil {
			content = m[1]
		}
		var aj struct {
			Ratings   map[string]float64 `json:"ratings"`
			Reasoning string             `json:"reasoning"`
		}
		i, k := strings.Index(content, "{"), strings.LastIndex(content, "}")
		if i >= 0 && k > i && json.Unmarshal([]byte(content[i:k+1]), &aj) == nil && len(aj.Ratings) > 0 {
			sc = Assessment{Ratings: make(Rating), Explanation: strings.TrimSpace(aj.Reasoning), Judge: j.ID(), Constitution: j.Constitution.Version}
			var tot, ws float64
			for _, c := range criteria {
				if x, ok := aj.Ratings[c]; ok {
					sc.Ratings[c] = clampRating(x)
					tot += weights[c] * float64(sc.Ratings[c])
					ws += weights[c]
				}
			}
			if ws > 0 {
				sc.Total = tot / ws
				if err := j.Cache.Put(key, sc); err != nil {
					return Assessment{}, err
				}
				return sc, nil
			}
		}
		j.stats.unparseable.Add(1)
	}
	return Assessment{}, fmt.Errorf("rate: no readable ratings after %d attempts", retries+1)
}
