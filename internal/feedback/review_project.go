package feedback

import (
	"errors"
	"net/http"

	"github.com/align-project/align/internal/feedback/store"
)

// reviewProject shows a project's labels and annotators, with quarantine
// controls.
func (s *Server) reviewProject(w http.ResponseWriter, r *http.Request) {
	pid, ok := pathID(r, "project")
	if !ok {
		http.NotFound(w, r)
		return
	}
	d, err := s.dashboard(r.Context(), pid, 500)
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "review_project", "Review "+d.Project.Name, d)
}
