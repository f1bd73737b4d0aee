package feedback

import (
	"errors"
	"net/http"

	"github.com/align-project/align/internal/feedback/quality"
	"github.com/align-project/align/internal/feedback/store"
)

type side struct {
	Name  string // as shown: "A" (left) or "B" (right)
	Field string // form field prefix: "l" or "r"
	Text  string
}

type annotateView struct {
	Project    *store.Project
	Assignment *store.Assignment
	Sides      []side
	Criteria   [3]string
	Done       int
	Remaining  int
	Message    string
}

// annotateItem shows the annotator's reserved item, reserving the next one
// when they have none. The responses appear in the order drawn for this
// annotator; nothing of other annotators' labels is shown.
func (s *Server) annotateItem(w http.ResponseWriter, r *http.Request) {
	pid, ok := pathID(r, "project")
	if !ok {
		http.NotFound(w, r)
		return
	}
	ctx := r.Context()
	user := sessionOf(r).User
	p, err := s.store.ProjectInfo(ctx, pid)
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	} else if err != nil {
		s.serverError(w, r, err)
		return
	}
	v := annotateView{Project: p, Criteria: quality.Criteria}
	a, err := s.store.Next(ctx, user.ID, pid)
	switch {
	case errors.Is(err, store.ErrNoWork):
		v.Message = "Nothing left to label in this project. Thank you!"
	case errors.Is(err, store.ErrPaused):
		v.Message = "Your account is paused: " + user.PausedReason + ". Ask an admin."
		if fresh, err := s.store.UserByID(ctx, user.ID); err == nil {
			v.Message = "Your account is paused: " + fresh.PausedReason + ". Ask an admin."
		}
	case err != nil:
		s.serverError(w, r, err)
		return
	default:
		left, right := a.Shown()
		v.Assignment = a
		v.Sides = []side{{"A", "l", left}, {"B", "r", right}}
	}
	if v.Done, v.Remaining, err = s.store.Progress(ctx, user.ID, pid); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "annotate_item", p.Name, v)
}
