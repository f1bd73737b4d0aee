package feedback

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/align-project/align/internal/feedback/store"
)

// annotateSubmit records a label for the annotator's reserved item, then
// redirects to the next one.
func (s *Server) annotateSubmit(w http.ResponseWriter, r *http.Request) {
	pid, aid, ok := assignmentForm(w, r)
	if !ok {
		return
	}
	sub := store.Submission{
		UserID:       sessionOf(r).User.ID,
		AssignmentID: aid,
		Preference:   store.Preference(r.PostFormValue("pref")),
		Left:         formRatings(r, "l"),
		Right:        formRatings(r, "r"),
		Harmful:      r.PostFormValue("harmful") != "",
		Comment:      r.PostFormValue("comment"),
		ReserveNext:  true, // for the page this redirects to
	}
	next := fmt.Sprintf("/annotate/%d", pid)
	_, err := s.store.SubmitLabel(r.Context(), sub)
	switch {
	case err == nil:
		s.flash(w, r, "Saved.")
	case errors.Is(err, store.ErrInvalid):
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	case errors.Is(err, store.ErrNotFound):
		http.Error(w, "no such item reserved for you", http.StatusNotFound)
		return
	case errors.Is(err, store.ErrAlreadyLabeled), errors.Is(err, store.ErrExpired):
		s.flash(w, r, "Not saved: "+err.Error()+".")
	default:
		s.serverError(w, r, err)
		return
	}
	redirect(w, r, next)
}

func formRatings(r *http.Request, prefix string) store.Ratings {
	get := func(c string) int {
		v, _ := strconv.Atoi(r.PostFormValue(prefix + "_" + c))
		return v
	}
	return store.Ratings{Coherence: get("coherence"), Relevance: get("relevance"), Safety: get("safety")}
}
