package quality

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// The preference classes, in the order used by Label.Pref.
const (
	ClassA = iota
	ClassB
	ClassTie
	ClassBad
	NumClasses
)

// Criteria names the rating criteria, in the order of Label.Ratings.
var Criteria = [3]string{"coherence", "relevance", "safety"}

// Label is one annotator's judgment of one item, in the item's orientation.
type Label struct {
	Item, Annotator int64
	Pref            int           // ClassA … ClassBad
	Ratings         [2][3]float64 // [response A, B][coherence, relevance, safety]
	Gold            int           // the item's known class, or -1
	DurationMs      float64
}

// Options tune the flags. Zero values take the defaults in brackets.
type Options struct {
	MinCompared     int            // decisive comparisons with consensus before judging [8]
	FlipCorrelation float64        // flag at or under this consensus correlation [-0.2]
	GoldMin         int            // decisive gold answers before judging [5]
	GoldFlip        float64        // flag under this decisive gold accuracy [0.3]
	TimeZ           float64        // robust z of log median time that is an outlier [3.5]
	Exclude         map[int64]bool // quarantined annotators: left out of the fit and aggregate
	MaxIter         int            // Dawid–Skene EM steps [100]
}

func (o *Options) defaults() {
	if o.MinCompared == 0 {
		o.MinCompared = 8
	}
	if o.FlipCorrelation == 0 {
		o.FlipCorrelation = -0.2
	}
	if o.GoldMin == 0 {
		o.GoldMin = 5
	}
	if o.GoldFlip == 0 {
		o.GoldFlip = 0.3
	}
	if o.TimeZ == 0 {
		o.TimeZ = 3.5
	}
	if o.MaxIter == 0 {
		o.MaxIter = 100
	}
}

// Annotator holds one annotator's quality measures.
type Annotator struct {
	ID          int64
	Labels      int
	Compared    int     // labels whose leave-one-out consensus exists
	Agreement   float64 // share of Compared that match the consensus
	Decisive    int     // A/B labels against an A/B consensus
	Correlation float64 // mean of +1 (same side) / -1 (opposite side) over Decisive
	GoldN       int
	GoldCorrect int
	GoldFlipped int     // decisive gold answers on the wrong side
	Reliability float64 // Dawid–Skene P(label = truth); NaN when excluded
	Weight      float64 // vote weight in the aggregate
	Rank        int     // 1 = most reliable
	MedianMs    float64
	TimeZ       float64
	TimeOutlier bool
	Flagged     bool // looks adversarial: quarantine candidate
	Reasons     []string
}

// GoldAccuracy is the share of gold items answered right (NaN without gold).
func (a *Annotator) GoldAccuracy() float64 {
	if a.GoldN == 0 {
		return math.NaN()
	}
	return float64(a.GoldCorrect) / float64(a.GoldN)
}

// Aggregate is the combined verdict on one item.
type Aggregate struct {
	Item    int64
	Pref    int                 // winning class of the weighted vote
	Votes   [NumClasses]float64 // summed weights per class
	N       int                 // labels counted
	ShareA  float64             // weighted share of A among A and B votes (0.5 without any)
	Ratings [2][3]float64       // mean ratings of the counted labels
}

// Report is the quality analysis of one project.
type Report struct {
	AlphaPreference float64    // nominal α of the preference
	AlphaRatings    [3]float64 // interval α per criterion, units = (item, response)
	Annotators      []Annotator
	Items           map[int64]*Aggregate
	DS              *DawidSkene
}

// Analyze computes the report for a project's labels.
func Analyze(labels []Label, opt Options) *Report {
	opt.defaults()
	r := &Report{Items: map[int64]*Aggregate{}}
	byItem := map[int64][]Label{}
	var items []int64
	for _, l := range labels {
		if _, ok := byItem[l.Item]; !ok {
			items = append(items, l.Item)
		}
		byItem[l.Item] = append(byItem[l.Item], l)
	}
	// Agreement.
	var prefUnits [][]float64
	var ratingUnits [3][][]float64
	for _, it := range items {
		ls := byItem[it]
		u := make([]float64, len(ls))
		for j, l := range ls {
			u[j] = float64(l.Pref)
		}
		prefUnits = append(prefUnits, u)
		for c := range 3 {
			for side := range 2 {
				v := make([]float64, len(ls))
				for j, l := range ls {
					v[j] = l.Ratings[side][c]
				}
				ratingUnits[c] = append(ratingUnits[c], v)
			}
		}
	}
	r.AlphaPreference = Alpha(prefUnits, Nominal)
	for c := range 3 {
		r.AlphaRatings[c] = Alpha(ratingUnits[c], Interval)
	}

	// Per-annotator consensus, gold and time.
	stats := map[int64]*Annotator{}
	durations := map[int64][]float64{}
	get := func(id int64) *Annotator {
		if stats[id] == nil {
			stats[id] = &Annotator{ID: id, Reliability: math.NaN()}
		}
		return stats[id]
	}
	gold := map[int64]int{}
	for _, l := range labels {
		a := get(l.Annotator)
		a.Labels++
		durations[l.Annotator] = append(durations[l.Annotator], l.DurationMs)
		if l.Gold >= 0 {
			gold[l.Item] = l.Gold
			a.GoldN++
			if l.Pref == l.Gold {
				a.GoldCorrect++
			} else if decisive(l.Pref) && decisive(l.Gold) {
				a.GoldFlipped++
			}
		}
		cons, ok := consensus(byItem[l.Item], l.Annotator)
		if !ok {
			continue
		}
		a.Compared++
		if cons == l.Pref {
			a.Agreement++
		}
		if decisive(cons) && decisive(l.Pref) {
			a.Decisive++
			if cons == l.Pref {
				a.Correlation++
			} else {
				a.Correlation--
			}
		}
	}
	for _, a := range stats {
		if a.Compared > 0 {
			a.Agreement /= float64(a.Compared)
		}
		if a.Decisive > 0 {
			a.Correlation /= float64(a.Decisive)
		}
		if a.Decisive >= opt.MinCompared && a.Correlation <= opt.FlipCorrelation {
			a.Flagged = true
			a.Reasons = append(a.Reasons, fmt.Sprintf("anti-correlated with consensus (%.2f over %d)", a.Correlation, a.Decisive))
		}
		if dg := a.GoldCorrect + a.GoldFlipped; dg >= opt.GoldMin && float64(a.GoldCorrect) < opt.GoldFlip*float64(dg) {
			a.Flagged = true
			a.Reasons = append(a.Reasons, fmt.Sprintf("gold answers flipped (%d of %d right)", a.GoldCorrect, dg))
		}
	}
	timeOutliers(stats, durations, opt.TimeZ)

	// Dawid–Skene on the labels of annotators not excluded; its reliabilities
	// weight the aggregate vote.
	var votes []Vote
	for _, l := range labels {
		if !opt.Exclude[l.Annotator] {
			votes = append(votes, Vote{Item: l.Item, Annotator: l.Annotator, Class: l.Pref})
		}
	}
	r.DS = FitDawidSkene(votes, NumClasses, gold, opt.MaxIter)
	for id, rel := range r.DS.Reliability {
		a := get(id)
		a.Reliability = rel
		a.Weight = Weight(rel, NumClasses)
	}
	for _, it := range items {
		agg := &Aggregate{Item: it, ShareA: 0.5}
		for _, l := range byItem[it] {
			if opt.Exclude[l.Annotator] {
				continue
			}
			w := stats[l.Annotator].Weight
			agg.Votes[l.Pref] += w
			agg.N++
			for s := range 2 {
				for c := range 3 {
					agg.Ratings[s][c] += l.Ratings[s][c]
				}
			}
		}
		if agg.N == 0 {
			continue
		}
		for s := range 2 {
			for c := range 3 {
				agg.Ratings[s][c] /= float64(agg.N)
			}
		}
		agg.Pref = argmax(agg.Votes[:])
		if ab := agg.Votes[ClassA] + agg.Votes[ClassB]; ab > 0 {
			agg.ShareA = agg.Votes[ClassA] / ab
		}
		r.Items[it] = agg
	}

	for _, a := range stats {
		r.Annotators = append(r.Annotators, *a)
	}
	sort.Slice(r.Annotators, func(i, j int) bool {
		ri, rj := r.Annotators[i].Reliability, r.Annotators[j].Reliability
		if math.IsNaN(ri) != math.IsNaN(rj) {
			return !math.IsNaN(ri)
		}
		if ri != rj {
			return ri > rj
		}
		return r.Annotators[i].ID < r.Annotators[j].ID
	})
	for i := range r.Annotators {
		r.Annotators[i].Rank = i + 1
	}
	return r
}

// Weight turns a reliability (probability of giving the true class among K)
// into a vote weight: the log-odds against a uniform error, floored at zero so
// that an annotator worse than chance does not vote at all.
func Weight(reliability float64, K int) float64 {
	r := math.Min(math.Max(reliability, 1e-3), 1-1e-3)
	return math.Max(0, math.Log(float64(K-1)*r/(1-r)))
}

// MajorityVote returns each item's most frequent class (ties go to the lower
// class), counting every label once.
func MajorityVote(labels []Label) map[int64]int {
	counts := map[int64]*[NumClasses]float64{}
	for _, l := range labels {
		if counts[l.Item] == nil {
			counts[l.Item] = &[NumClasses]float64{}
		}
		counts[l.Item][l.Pref]++
	}
	out := map[int64]int{}
	for it, c := range counts {
		out[it] = argmax(c[:])
	}
	return out
}

func decisive(c int) bool { return c == ClassA || c == ClassB }

// consensus is the majority class of an item's labels other than exclude's;
// it does not exist when no one else labelled the item or the top is tied.
func consensus(ls []Label, exclude int64) (int, bool) {
	var n [NumClasses]int
	total := 0
	for _, l := range ls {
		if l.Annotator != exclude {
			n[l.Pref]++
			total++
		}
	}
	if total == 0 {
		return 0, false
	}
	best, tied := 0, false
	for c := 1; c < NumClasses; c++ {
		if n[c] > n[best] {
			best, tied = c, false
		} else if n[c] == n[best] {
			tied = true
		}
	}
	return best, !tied
}

// timeOutliers flags annotators whose median log time per item lies more than
// z robust standard deviations (1.4826·MAD) from the annotators' median.
func timeOutliers(stats map[int64]*Annotator, durations map[int64][]float64, z float64) {
	var logs []float64
	for id, ds := range durations {
		m := median(ds)
		stats[id].MedianMs = m
		logs = append(logs, math.Log(math.Max(m, 1)))
	}
	if len(logs) < 5 {
		return
	}
	center := median(logs)
	dev := make([]float64, len(logs))
	for i, v := range logs {
		dev[i] = math.Abs(v - center)
	}
	scale := 1.4826 * median(dev)
	if scale < 0.05 {
		scale = 0.05
	}
	for _, a := range stats {
		a.TimeZ = (math.Log(math.Max(a.MedianMs, 1)) - center) / scale
		if math.Abs(a.TimeZ) > z {
			a.TimeOutlier = true
			side := "fast"
			if a.TimeZ > 0 {
				side = "slow"
			}
			a.Reasons = append(a.Reasons, fmt.Sprintf("time per item an outlier (%s, median %.0f ms, z %.1f)", side, a.MedianMs, a.TimeZ))
		}
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func argmax(v []float64) int {
	best := 0
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}
