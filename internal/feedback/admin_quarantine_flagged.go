package feedback

import (
	"fmt"
	"net/http"
	"strings"
)

// adminQuarantineFlagged quarantines every annotator the analysis flags as
// adversarial; their labels stay but leave the export.
func (s *Server) adminQuarantineFlagged(w http.ResponseWriter, r *http.Request) {
	pid, ok := pathID(r, "project")
	if !ok {
		http.NotFound(w, r)
		return
	}
	an, err := Analyze(r.Context(), s.store, pid)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	names, err := QuarantineFlagged(r.Context(), s.store, sessionOf(r).User.ID, an)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	msg := "No new annotator flagged."
	if len(names) > 0 {
		msg = "Quarantined: " + strings.Join(names, ", ") + "."
	}
	s.flash(w, r, msg)
	redirect(w, r, fmt.Sprintf("/admin/projects/%d", pid))
}
