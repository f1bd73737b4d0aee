package feedback

import (
	"errors"
	"net/http"

	"github.com/align-project/align/internal/feedback/store"
)

// adminDashboard shows a project: import and export, agreement, each
// annotator's reliability and flags, the latest labels and the journal.
func (s *Server) adminDashboard(w http.ResponseWriter, r *http.Request) {
	pid, ok := pathID(r, "project")
	if !ok {
		http.NotFound(w, r)
		return
	}
	d, err := s.dashboard(r.Context(), pid, 100)
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err == nil {
		d.Journal, err = s.store.Journal(r.Context(), 30)
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_dashboard", d.Project.Name, d)
}
