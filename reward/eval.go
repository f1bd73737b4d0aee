package reward

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/align-project/align/data"
)

// Eval is a reward model's evaluation on a set of preferences.
type Eval struct {
	Pairs    int     `json:"pairs"`
	Accuracy float64 `json:"accuracy"` // pairs whose reward order matches the label; ties count half
	Loss     float64 `json:"loss"`     // mean PairLoss of the preference head (no margin)
	// BySource splits the accuracy by label source: "human", "ai" or
	// "unknown" (no source field).
	BySource map[string]Accuracy `json:"by_source"`
	// ByTag splits it by the records' tags (a record counts under each tag).
	ByTag map[string]Accuracy `json:"by_tag,omitempty"`
	// ECE is the expected calibration error of σ(Δ) of the raw preference
	// head against the labels (p_chosen, else 1), over ten equal-width bins,
	// each pair counted in both orientations.
	ECE         float64  `json:"ece"`
	Calibration []CalBin `json:"calibration"`
	// Rewards summarises the rewards of the distinct responses scored.
	RewardMean float64   `json:"reward_mean"`
	RewardStd  float64   `json:"reward_std"`
	Histogram  Histogram `json:"histogram"`
}

// Accuracy is the accuracy over a subset of the pairs.
type Accuracy struct {
	Pairs    int     `json:"pairs"`
	Accuracy float64 `json:"accuracy"`
}

// CalBin is one bin of the calibration table: pairs whose predicted
// probability fell in [Lo, Hi), their mean prediction and mean label.
type CalBin struct {
	Lo, Hi    float64
	Count     int
	Predicted float64
	Observed  float64
}

// Histogram counts values in equal-width bins over [Lo, Hi]; values outside
// go to the end bins.
type Histogram struct {
	Lo     float64 `json:"lo"`
	Hi     float64 `json:"hi"`
	Counts []int   `json:"counts"`
}

// evalSet is a set of preferences encoded once: distinct sequences and the
// pairs between them.
type evalSet struct {
	seqs  [][]int32
	pairs []evalPair
}

type evalPair struct {
	chosen, rejected int
	p                float64
	source           string
	tags             []string
}

// newEvalSet encodes prefs, running each distinct (prompt, response) once.
func (m *Model) newEvalSet(prefs []data.Preference) (*evalSet, error) {
	es := &evalSet{}
	index := map[[2]string]int{}
	seq := func(prompt, resp string) (int, error) {
		key := [2]string{prompt, resp}
		if i, ok := index[key]; ok {
			return i, nil
		}
		s, err := m.Encode(prompt, resp)
		if err != nil {
			return 0, err
		}
		es.seqs = append(es.seqs, s)
		index[key] = len(es.seqs) - 1
		return len(es.seqs) - 1, nil
	}
	for _, p := range prefs {
		c, err := seq(p.Prompt, p.Chosen)
		if err != nil {
			return nil, err
		}
		r, err := seq(p.Prompt, p.Rejected)
		if err != nil {
			return nil, err
		}
		es.pairs = append(es.pairs, evalPair{chosen: c, rejected: r, p: label(p), source: sourceKind(p.Source), tags: p.Tags})
	}
	return es, nil
}

// sourceKind is "human", "ai" or "unknown".
func sourceKind(s string) string {
	kind, _, ok := strings.Cut(s, ":")
	if ok && (kind == "human" || kind == "ai") {
		return kind
	}
	return "unknown"
}

// Evaluate scores prefs with m (batch sequences per forward pass).
func Evaluate(m *Model, prefs []data.Preference, batch int) (*Eval, error) {
	es, err := m.newEvalSet(prefs)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	return m.evaluate(es, batch)
}

func (m *Model) evaluate(es *evalSet, batch int) (*Eval, error) {
	sc, err := m.ScoreSequences(es.seqs, batch)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	return newEval(sc, es.pairs), nil
}

// newEval computes the metrics from the scores of the distinct sequences.
func newEval(sc []Output, pairs []evalPair) *Eval {
	ev := &Eval{Pairs: len(pairs), BySource: map[string]Accuracy{}, ByTag: map[string]Accuracy{}}
	type acc struct{ n, right float64 }
	bySource, byTag := map[string]*acc{}, map[string]*acc{}
	add := func(m map[string]*acc, k string, right float64) {
		a := m[k]
		if a == nil {
			a = &acc{}
			m[k] = a
		}
		a.n++
		a.right += right
	}
	var right, loss float64
	preds := make([]float64, 0, 2*len(pairs))
	labels := make([]float64, 0, 2*len(pairs))
	for _, p := range pairs {
		a := agree(sc[p.chosen].Reward-sc[p.rejected].Reward, p.p)
		right += a
		add(bySource, p.source, a)
		for _, t := range p.tags {
			add(byTag, t, a)
		}
		d := sc[p.chosen].Heads[HeadPreference] - sc[p.rejected].Heads[HeadPreference]
		l, _ := PairLoss(d, p.p, 0)
		loss += l
		q := sigmoid(d)
		preds = append(preds, q, 1-q)
		labels = append(labels, p.p, 1-p.p)
	}
	if n := float64(len(pairs)); n > 0 {
		ev.Accuracy, ev.Loss = right/n, loss/n
	}
	for k, a := range bySource {
		ev.BySource[k] = Accuracy{Pairs: int(a.n), Accuracy: a.right / a.n}
	}
	for k, a := range byTag {
		ev.ByTag[k] = Accuracy{Pairs: int(a.n), Accuracy: a.right / a.n}
	}
	ev.ECE, ev.Calibration = calibration(preds, labels, 10)
	rewards := make([]float64, len(sc))
	for i, s := range sc {
		rewards[i] = s.Reward
	}
	ev.RewardMean, ev.RewardStd = meanStd(rewards)
	ev.Histogram = NewHistogram(rewards, 20)
	return ev
}

// calibration bins predictions into bins equal-width bins of [0, 1] and
// returns the expected calibration error Σ (nᵦ/N)·|mean predictionᵦ − mean
// labelᵦ| with the non-empty bins.
func calibration(preds, labels []float64, bins int) (float64, []CalBin) {
	table := make([]CalBin, bins)
	for b := range table {
		table[b].Lo, table[b].Hi = float64(b)/float64(bins), float64(b+1)/float64(bins)
	}
	for i, q := range preds {
		b := min(int(q*float64(bins)), bins-1)
		table[b].Count++
		table[b].Predicted += q
		table[b].Observed += labels[i]
	}
	var ece float64
	var out []CalBin
	for _, c := range table {
		if c.Count == 0 {
			continue
		}
		c.Predicted /= float64(c.Count)
		c.Observed /= float64(c.Count)
		ece += float64(c.Count) / float64(len(preds)) * math.Abs(c.Predicted-c.Observed)
		out = append(out, c)
	}
	return ece, out
}

// meanStd returns the mean and the population standard deviation.
func meanStd(xs []float64) (mean, std float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(xs)))
}

// NewHistogram counts xs in n bins spanning their range.
func NewHistogram(xs []float64, n int) Histogram {
	h := Histogram{Counts: make([]int, n)}
	if len(xs) == 0 {
		return h
	}
	h.Lo, h.Hi = slices.Min(xs), slices.Max(xs)
	w := (h.Hi - h.Lo) / float64(n)
	for _, x := range xs {
		b := n - 1
		if w > 0 {
			b = min(int((x-h.Lo)/w), n-1)
		}
		h.Counts[b]++
	}
	return h
}

// WriteText prints the histogram as rows of bars, width characters at most.
func (h Histogram) WriteText(w io.Writer, width int) error {
	peak := slices.Max(append([]int{1}, h.Counts...))
	n := len(h.Counts)
	for b, c := range h.Counts {
		lo := h.Lo + (h.Hi-h.Lo)*float64(b)/float64(n)
		hi := h.Lo + (h.Hi-h.Lo)*float64(b+1)/float64(n)
		bar := strings.Repeat("#", (c*width+peak-1)/peak)
		if _, err := fmt.Fprintf(w, "  [%+7.3f, %+7.3f) %6d %s\n", lo, hi, c, bar); err != nil {
			return err
		}
	}
	return nil
}

// WriteText prints the evaluation as a short report.
func (ev *Eval) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "pairs     %d\n", ev.Pairs)
	fmt.Fprintf(&b, "accuracy  %.4f\n", ev.Accuracy)
	fmt.Fprintf(&b, "loss      %.4f\n", ev.Loss)
	fmt.Fprintf(&b, "ECE       %.4f (σ(Δ) of the raw preference head vs labels)\n", ev.ECE)
	for _, group := range []struct {
		name string
		m    map[string]Accuracy
	}{{"source", ev.BySource}, {"tag", ev.ByTag}} {
		keys := make([]string, 0, len(group.m))
		for k := range group.m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			a := group.m[k]
			fmt.Fprintf(&b, "  %s %-12s %.4f (%d pairs)\n", group.name, k, a.Accuracy, a.Pairs)
		}
	}
	fmt.Fprintf(&b, "rewards   mean %.3f, std %.3f\n", ev.RewardMean, ev.RewardStd)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	return ev.Histogram.WriteText(w, 40)
}
