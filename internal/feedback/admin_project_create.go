package feedback

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/align-project/align/internal/feedback/store"
)

// adminCreateProject creates a project from the form.
func (s *Server) adminCreateProject(w http.ResponseWriter, r *http.Request) {
	num := func(name string, def float64) float64 {
		v, err := strconv.ParseFloat(r.PostFormValue(name), 64)
		if err != nil {
			return def
		}
		return v
	}
	ps := store.ProjectSettings{
		Name:          r.PostFormValue("name"),
		K:             int(num("k", 3)),
		GoldRate:      num("gold_rate", 0.1),
		GoldThreshold: num("gold_threshold", 0.5),
		Reservation:   time.Duration(num("reservation", 30)) * time.Minute,
	}
	p, err := s.store.CreateProject(r.Context(), sessionOf(r).User.ID, ps)
	if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrDuplicate) {
		s.flash(w, r, "Not created: "+err.Error())
		redirect(w, r, "/admin")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.flash(w, r, "Project "+p.Name+" created.")
	redirect(w, r, fmt.Sprintf("/admin/projects/%d", p.ID))
}
