package feedback

import (
	"errors"
	"net/http"

	"github.com/align-project/align/internal/feedback/store"
)

// adminCreateUser creates an account from the form.
func (s *Server) adminCreateUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.store.CreateUser(r.Context(), sessionOf(r).User.ID, r.PostFormValue("username"), r.PostFormValue("password"),
		store.Role(r.PostFormValue("role")))
	switch {
	case errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrDuplicate):
		s.flash(w, r, "Not created: "+err.Error())
	case err != nil:
		s.serverError(w, r, err)
		return
	default:
		s.flash(w, r, "User "+u.Username+" created.")
	}
	redirect(w, r, "/admin/users")
}
