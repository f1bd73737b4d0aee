package feedback

import "net/http"

// annotateProjects lists the projects an annotator can work on.
func (s *Server) annotateProjects(w http.ResponseWriter, r *http.Request) {
	ps, err := s.store.Projects(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "annotate_projects", "Projects", ps)
}
