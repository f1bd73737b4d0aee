package feedback

import "net/http"

// adminProjects lists the projects with their progress and a form for a new one.
func (s *Server) adminProjects(w http.ResponseWriter, r *http.Request) {
	ps, err := s.store.Projects(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_projects", "Projects", ps)
}
