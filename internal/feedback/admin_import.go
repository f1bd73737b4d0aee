package feedback

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/align-project/align/internal/feedback/store"
)

// adminImport adds pairs from an uploaded or pasted JSONL file.
func (s *Server) adminImport(w http.ResponseWriter, r *http.Request) {
	pid, ok := pathID(r, "project")
	if !ok {
		http.NotFound(w, r)
		return
	}
	back := fmt.Sprintf("/admin/projects/%d", pid)
	var src io.Reader = strings.NewReader(r.PostFormValue("jsonl"))
	if f, _, err := r.FormFile("file"); err == nil {
		defer f.Close()
		src = f
	}
	pairs, err := ReadPairs(src)
	if err == nil && len(pairs) == 0 {
		err = errors.New("no pairs in the input")
	}
	if err == nil && r.PostFormValue("gold") != "" {
		for i, p := range pairs {
			if p.Gold == "" {
				err = fmt.Errorf("pair %d (%s) has no \"gold\" answer: a gold import needs one on every line", i+1, cmp.Or(p.ExtID, "no id"))
				break
			}
		}
	}
	if err != nil {
		s.flash(w, r, "Import failed: "+err.Error())
		redirect(w, r, back)
		return
	}
	added, skipped, err := s.store.AddPairs(r.Context(), sessionOf(r).User.ID, pid, pairs)
	if errors.Is(err, store.ErrInvalid) {
		s.flash(w, r, "Import failed: "+err.Error())
		redirect(w, r, back)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.flash(w, r, fmt.Sprintf("Imported %d pairs (%d already there).", added, skipped))
	redirect(w, r, back)
}
