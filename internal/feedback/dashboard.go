package feedback

import (
	"context"
	"slices"

	"github.com/align-project/align/internal/feedback/quality"
	"github.com/align-project/align/internal/feedback/store"
)

// annotatorRow is a report row with the annotator's name and status.
type annotatorRow struct {
	quality.Annotator
	Name        string
	Status      string
	Quarantined bool
	MedianSec   float64
}

// dashboard is what the admin dashboard and the reviewer page show.
type dashboard struct {
	Project  *store.Project
	Report   *quality.Report
	Criteria [3]string
	Rows     []annotatorRow
	Latest   []store.Label
	Pairs    map[int64]store.Pair
	Journal  []store.JournalEntry
}

func (s *Server) dashboard(ctx context.Context, projectID int64, latest int) (*dashboard, error) {
	an, err := Analyze(ctx, s.store, projectID)
	if err != nil {
		return nil, err
	}
	d := &dashboard{Project: an.Project, Report: an.Report, Criteria: quality.Criteria, Pairs: an.Pairs}
	for _, a := range an.Report.Annotators {
		u := an.Users[a.ID]
		row := annotatorRow{Annotator: a, Name: u.Username, Status: "active", MedianSec: a.MedianMs / 1000}
		if u.Paused {
			row.Status = "paused: " + u.PausedReason
		}
		if q, ok := an.Quarantined[a.ID]; ok {
			row.Quarantined, row.Status = true, "quarantined: "+q.Reason
		}
		d.Rows = append(d.Rows, row)
	}
	d.Latest = slices.Clone(an.Labels)
	slices.Reverse(d.Latest)
	if len(d.Latest) > latest {
		d.Latest = d.Latest[:latest]
	}
	return d, nil
}
