package feedback

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/align-project/align/internal/feedback/store"
)

// annotateSkip gives the reserved item back; it is not offered to this
// annotator again.
func (s *Server) annotateSkip(w http.ResponseWriter, r *http.Request) {
	pid, aid, ok := assignmentForm(w, r)
	if !ok {
		return
	}
	err := s.store.Skip(r.Context(), sessionOf(r).User.ID, aid)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.serverError(w, r, err)
		return
	}
	s.flash(w, r, "Skipped.")
	redirect(w, r, fmt.Sprintf("/annotate/%d", pid))
}

// assignmentForm reads the project of the path and the assignment of a
// posted annotation form; on bad input it answers the request itself and
// returns false.
func assignmentForm(w http.ResponseWriter, r *http.Request) (projectID, assignmentID int64, ok bool) {
	pid, ok := pathID(r, "project")
	if !ok {
		http.NotFound(w, r)
		return 0, 0, false
	}
	aid, err := strconv.ParseInt(r.PostFormValue("assignment"), 10, 64)
	if err != nil {
		http.Error(w, "bad assignment", http.StatusBadRequest)
		return 0, 0, false
	}
	return pid, aid, true
}
