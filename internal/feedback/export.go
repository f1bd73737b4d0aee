package feedback

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/feedback/quality"
	"github.com/align-project/align/internal/feedback/store"
)

// ExportStats counts what an export wrote and left out.
type ExportStats struct {
	Written      int // preferences written
	NoPreference int // aggregate was a tie or both bad
	Unlabelled   int // pairs without a counted label
	Gold         int // gold items (controls, not exported)
	Quarantined  int // labels left out because their annotator is quarantined
}

// WritePreferences writes the aggregated preference of every labelled pair
// as a data.Preference (DESIGN.md's format, what 'align reward train' reads):
// the reliability-weighted vote of annotators not quarantined, its weighted
// share as p_chosen, the mean ratings of chosen and rejected rounded to whole
// points, the source ("human:aggregate", or "human:<username>" for a single
// label) and the tag "annotators:N". Its id is the pair's, or for an item of
// a ranking (see ReadPairs) the ranking's, shared by all its comparisons:
// the id is the group key of reward training, as in the AI judge's labels.
// Gold items and pairs whose aggregate is a tie or both-bad are left out.
func WritePreferences(w io.Writer, an *Analysis) (ExportStats, error) {
	var st ExportStats
	for _, l := range an.Labels {
		if _, q := an.Quarantined[l.UserID]; q {
			st.Quarantined++
		}
	}
	enc := data.NewWriter[data.Preference](w)
	for _, id := range sortedPairIDs(an.Pairs) {
		p := an.Pairs[id]
		if p.Gold != "" {
			st.Gold++
			continue
		}
		agg := an.Report.Items[id]
		if agg == nil {
			st.Unlabelled++
			continue
		}
		if agg.Pref != quality.ClassA && agg.Pref != quality.ClassB {
			st.NoPreference++
			continue
		}
		chosen, rejected, pc := 0, 1, agg.ShareA
		group := p.ExtID
		if r := rankingOf(p); r != "" {
			group = r
		}
		out := data.Preference{ID: group, Prompt: p.Prompt, Chosen: p.ResponseA, Rejected: p.ResponseB,
			Tags: []string{fmt.Sprintf("annotators:%d", agg.N)}}
		if agg.Pref == quality.ClassB {
			chosen, rejected, pc = 1, 0, 1-agg.ShareA
			out.Chosen, out.Rejected = p.ResponseB, p.ResponseA
		}
		pc = round3(pc)
		out.PChosen = &pc
		out.Ratings = &data.Ratings{Chosen: ratingOf(agg.Ratings[chosen]), Rejected: ratingOf(agg.Ratings[rejected])}
		out.Source = "human:aggregate"
		if agg.N == 1 {
			for _, l := range an.Labels {
				if _, q := an.Quarantined[l.UserID]; l.PairID == id && !q {
					out.Source = "human:" + l.Username
				}
			}
		}
		if err := enc.Write(out); err != nil {
			return st, err
		}
		st.Written++
	}
	return st, enc.Flush()
}

// ratingOf rounds mean ratings (coherence, relevance, safety, the order of
// quality.Criteria) to the whole points of the preference format.
func ratingOf(r [3]float64) *data.Rating {
	point := func(x float64) int { return min(10, max(1, int(math.Round(x)))) }
	return &data.Rating{Coherence: point(r[0]), Relevance: point(r[1]), Safety: point(r[2])}
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// RawLabel is one exported raw label.
type RawLabel struct {
	LabelID     int64                    `json:"label_id"`
	PairID      string                   `json:"id"`
	Ranking     string                   `json:"ranking,omitempty"` // the id of the ranking the pair is an item of
	Annotator   string                   `json:"annotator"`
	Prompt      string                   `json:"prompt"`
	Responses   [2]string                `json:"responses"`
	Preference  store.Preference         `json:"preference"` // A = responses[0]
	Ratings     map[string]store.Ratings `json:"ratings"`    // "A", "B"
	Harmful     bool                     `json:"harmful"`
	Comment     string                   `json:"comment,omitempty"`
	Swapped     bool                     `json:"swapped"` // the annotator saw responses[1] on the left
	DurationMs  int64                    `json:"duration_ms"`
	Gold        bool                     `json:"gold"`
	Quarantined bool                     `json:"quarantined"`
	CreatedAt   string                   `json:"created_at"`
}

// WriteRaw writes every raw label, quarantined ones included and marked.
func WriteRaw(w io.Writer, an *Analysis) (int, error) {
	enc := json.NewEncoder(w)
	for i, l := range an.Labels {
		p := an.Pairs[l.PairID]
		_, q := an.Quarantined[l.UserID]
		r := RawLabel{LabelID: l.ID, PairID: p.ExtID, Ranking: rankingOf(p), Annotator: l.Username, Prompt: p.Prompt,
			Responses: [2]string{p.ResponseA, p.ResponseB}, Preference: l.Preference,
			Ratings: map[string]store.Ratings{"A": l.A, "B": l.B}, Harmful: l.Harmful, Comment: l.Comment,
			Swapped: l.Swapped, DurationMs: l.Duration.Milliseconds(), Gold: l.Gold, Quarantined: q,
			CreatedAt: l.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z")}
		if err := enc.Encode(r); err != nil {
			return i, err
		}
	}
	return len(an.Labels), nil
}

func sortedPairIDs(m map[int64]store.Pair) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
