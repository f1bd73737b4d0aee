package feedback

import "net/http"

// reviewProjects lists the projects a reviewer can inspect.
func (s *Server) reviewProjects(w http.ResponseWriter, r *http.Request) {
	ps, err := s.store.Projects(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "review_projects", "Review", ps)
}
