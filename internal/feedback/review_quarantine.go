package feedback

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/align-project/align/internal/feedback/store"
)

// reviewQuarantine quarantines an annotator in the project.
func (s *Server) reviewQuarantine(w http.ResponseWriter, r *http.Request) {
	pid, ok := pathID(r, "project")
	uid, err := strconv.ParseInt(r.PostFormValue("user"), 10, 64)
	if !ok || err != nil {
		http.Error(w, "bad project or user", http.StatusBadRequest)
		return
	}
	reason := r.PostFormValue("reason")
	if reason == "" {
		reason = "by reviewer " + sessionOf(r).User.Username
	}
	err = s.store.QuarantineUser(r.Context(), sessionOf(r).User.ID, pid, uid, reason)
	if errors.Is(err, store.ErrInvalid) {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	redirect(w, r, fmt.Sprintf("/review/%d", pid))
}
