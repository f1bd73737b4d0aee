package feedback

import (
	"context"
	"strings"

	"github.com/align-project/align/internal/feedback/quality"
	"github.com/align-project/align/internal/feedback/store"
)

// Analysis is the quality report of a project together with the rows it was
// computed from.
type Analysis struct {
	Project     *store.Project
	Report      *quality.Report
	Labels      []store.Label
	Pairs       map[int64]store.Pair
	Users       map[int64]store.User
	Quarantined map[int64]store.Quarantine
}

// Annotator returns the report row of user id.
func (a *Analysis) Annotator(id int64) *quality.Annotator {
	for i := range a.Report.Annotators {
		if a.Report.Annotators[i].ID == id {
			return &a.Report.Annotators[i]
		}
	}
	return nil
}

var classOf = map[store.Preference]int{store.PrefA: quality.ClassA, store.PrefB: quality.ClassB, store.PrefTie: quality.ClassTie, store.PrefBad: quality.ClassBad}

// Analyze computes the project's agreement, annotator reliability, flags and
// aggregate preferences. Quarantined annotators are left out of the
// reliability fit and the aggregate, but still shown.
func Analyze(ctx context.Context, st *store.Store, projectID int64) (*Analysis, error) {
	p, err := st.ProjectByID(ctx, projectID)
	if err != nil {
		return nil, err
	}
	labels, err := st.Labels(ctx, projectID)
	if err != nil {
		return nil, err
	}
	pairs, err := st.Pairs(ctx, projectID)
	if err != nil {
		return nil, err
	}
	q, err := st.Quarantines(ctx, projectID)
	if err != nil {
		return nil, err
	}
	users, err := st.Users(ctx)
	if err != nil {
		return nil, err
	}
	an := &Analysis{Project: p, Labels: labels, Pairs: map[int64]store.Pair{}, Users: map[int64]store.User{}, Quarantined: q}
	for _, pr := range pairs {
		an.Pairs[pr.ID] = pr
	}
	for _, u := range users {
		an.Users[u.ID] = u
	}
	ql := make([]quality.Label, len(labels))
	for i, l := range labels {
		gold := -1
		if g := an.Pairs[l.PairID].Gold; g != "" {
			gold = classOf[g]
		}
		ql[i] = quality.Label{Item: l.PairID, Annotator: l.UserID, Pref: classOf[l.Preference], Gold: gold,
			DurationMs: float64(l.Duration.Milliseconds()),
			Ratings: [2][3]float64{
				{float64(l.A.Coherence), float64(l.A.Relevance), float64(l.A.Safety)},
				{float64(l.B.Coherence), float64(l.B.Relevance), float64(l.B.Safety)},
			}}
	}
	exclude := map[int64]bool{}
	for id := range q {
		exclude[id] = true
	}
	an.Report = quality.Analyze(ql, quality.Options{Exclude: exclude})
	return an, nil
}

// QuarantineFlagged quarantines every flagged annotator not yet quarantined
// and returns their names. Call Analyze again afterwards for the aggregate
// without them.
func QuarantineFlagged(ctx context.Context, st *store.Store, actorID int64, an *Analysis) ([]string, error) {
	var names []string
	for _, a := range an.Report.Annotators {
		if !a.Flagged {
			continue
		}
		if _, ok := an.Quarantined[a.ID]; ok {
			continue
		}
		if err := st.QuarantineUser(ctx, actorID, an.Project.ID, a.ID, "flagged: "+strings.Join(a.Reasons, "; ")); err != nil {
			return names, err
		}
		names = append(names, an.Users[a.ID].Username)
	}
	return names, nil
}
