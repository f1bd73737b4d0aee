package feedback

import (
	"errors"
	"net/http"

	"github.com/align-project/align/internal/feedback/store"
)

// adminPauseUser pauses (paused=1) or resumes (paused=0) an annotator.
func (s *Server) adminPauseUser(w http.ResponseWriter, r *http.Request) {
	uid, ok := pathID(r, "user")
	if !ok {
		http.NotFound(w, r)
		return
	}
	paused := r.PostFormValue("paused") == "1"
	reason := ""
	if paused {
		reason = "paused by " + sessionOf(r).User.Username
	}
	err := s.store.SetPaused(r.Context(), sessionOf(r).User.ID, uid, paused, reason)
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	redirect(w, r, "/admin/users")
}
