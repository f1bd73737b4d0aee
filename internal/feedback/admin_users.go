package feedback

import "net/http"

// adminUsers lists the accounts with a form for a new one.
func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request) {
	us, err := s.store.Users(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_users", "Users", us)
}
