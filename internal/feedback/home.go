package feedback

import (
	"net/http"

	"github.com/align-project/align/internal/feedback/store"
)

// home sends each role to its start page.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	switch sessionOf(r).User.Role {
	case store.RoleAdmin:
		http.Redirect(w, r, "/admin", http.StatusSeeOther)
	case store.RoleReviewer:
		http.Redirect(w, r, "/review", http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/annotate", http.StatusSeeOther)
	}
}
