package feedback

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"

	"github.com/align-project/align/internal/feedback/store"
)

// adminExport downloads the aggregated preferences (kind=preferences) or the
// raw labels (kind=raw) as JSON lines; view=1 shows them in the browser.
func (s *Server) adminExport(w http.ResponseWriter, r *http.Request) {
	pid, ok := pathID(r, "project")
	if !ok {
		http.NotFound(w, r)
		return
	}
	an, err := Analyze(r.Context(), s.store, pid)
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	var buf bytes.Buffer
	kind := r.URL.Query().Get("kind")
	switch kind {
	case "", "preferences":
		kind = "preferences"
		_, err = WritePreferences(&buf, an)
	case "raw":
		_, err = WriteRaw(&buf, an)
	default:
		http.Error(w, "kind is preferences or raw", http.StatusBadRequest)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if r.URL.Query().Get("view") != "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", fmt.Sprintf("%s-%s.jsonl", safeName(an.Project.Name), kind)))
	}
	w.Write(buf.Bytes())
}

// safeName keeps letters, digits, '-' and '_' for a file name.
func safeName(s string) string {
	b := []byte(s)
	out := b[:0]
	for _, c := range b {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return "project"
	}
	return string(out)
}
