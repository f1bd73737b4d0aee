package feedback

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/align-project/align/internal/feedback/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/*
var staticFS embed.FS

// views holds every page's template, parsed once at start-up.
type views struct {
	pages map[string]*template.Template
}

var funcs = template.FuncMap{
	"num": func(x float64) string {
		if math.IsNaN(x) {
			return "–"
		}
		return strconv.FormatFloat(x, 'f', 2, 64)
	},
	"pct": func(x float64) string {
		if math.IsNaN(x) {
			return "–"
		}
		return strconv.FormatFloat(100*x, 'f', 0, 64) + "%"
	},
	"when":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
	"ms":      func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) },
	"join":    strings.Join,
	"range10": func() []int { return []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10} },
}

func parseViews() (*views, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	v := &views{pages: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", n, err)
		}
		v.pages[base] = t
	}
	return v, nil
}

// page is what every template gets.
type page struct {
	Title string
	User  *store.User
	CSRF  string
	Flash string
	Data  any
}

// render writes the page name with data, taking any flash message.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	t := s.views.pages[name]
	if t == nil {
		s.serverError(w, r, fmt.Errorf("no template %q", name))
		return
	}
	p := page{Title: title, Data: data}
	if sess := sessionOf(r); sess != nil {
		p.User, p.CSRF = &sess.User, sess.CSRFToken
	}
	if c, err := r.Cookie(flashCookie); err == nil {
		p.Flash = decodeFlash(c.Value)
		s.clearCookie(w, r, flashCookie)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func encodeFlash(msg string) string {
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return url.QueryEscape(msg)
}

func decodeFlash(v string) string {
	s, err := url.QueryUnescape(v)
	if err != nil {
		return ""
	}
	return s
}

// pathID parses the path parameter name as a positive id.
func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}
