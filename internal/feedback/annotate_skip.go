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
	pid, ok := pathID(r, "project")
	if !ok {
		http.NotFound(w, r)
		return
	}
	aid, err := strconv.ParseInt(r.PostFormValue("assignment"), 10, 64)
	if err != nil {
		http.Error(w, "bad assignment", http.StatusBadRequest)
		return
	}
	err = s.store.Skip(r.Context(), sessionOf(r).User.ID, aid)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.serverError(w, r, err)
		return
	}
	s.flash(w, r, "Skipped.")
	redirect(w, r, fmt.Sprintf("/annotate/%d", pid))
}
