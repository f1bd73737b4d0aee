package feedback

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/align-project/align/internal/feedback/store"
)

// reviewRelease lifts an annotator's quarantine in the project.
func (s *Server) reviewRelease(w http.ResponseWriter, r *http.Request) {
	pid, ok := pathID(r, "project")
	uid, err := strconv.ParseInt(r.PostFormValue("user"), 10, 64)
	if !ok || err != nil {
		http.Error(w, "bad project or user", http.StatusBadRequest)
		return
	}
	err = s.store.ReleaseUser(r.Context(), sessionOf(r).User.ID, pid, uid)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.serverError(w, r, err)
		return
	}
	redirect(w, r, fmt.Sprintf("/review/%d", pid))
}
