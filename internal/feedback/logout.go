package feedback

import "net/http"

// logout ends the session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.store.DeleteSession(r.Context(), sessionOf(r).token); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.clearCookie(w, r, sessionCookie)
	redirect(w, r, "/login")
}
