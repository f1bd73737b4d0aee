package feedback

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/align-project/align/internal/feedback/store"
)

// Config tunes the web app. Zero values take the defaults in brackets.
type Config struct {
	SessionTTL    time.Duration // how long a login lasts [12h]
	SecureCookies bool          // mark cookies Secure even on plain HTTP (behind a TLS proxy); TLS requests always do
	MaxBody       int64         // request body limit in bytes [1 MiB]
	MaxImport     int64         // body limit of an import upload [32 MiB]
	LoginFailures int           // failed logins per name or address per LoginWindow before refusing [10]
	LoginWindow   time.Duration // [10m]
	Logger        *slog.Logger  // [slog.Default()]
}

func (c *Config) defaults() {
	if c.SessionTTL == 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.MaxBody == 0 {
		c.MaxBody = 1 << 20
	}
	if c.MaxImport == 0 {
		c.MaxImport = 32 << 20
	}
	if c.LoginFailures == 0 {
		c.LoginFailures = 10
	}
	if c.LoginWindow == 0 {
		c.LoginWindow = 10 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Server is the annotation web app.
type Server struct {
	store   *store.Store
	cfg     Config
	views   *views
	limiter *limiter
	mux     *http.ServeMux
	handler http.Handler
}

// NewServer builds the app over st.
func NewServer(st *store.Store, cfg Config) (*Server, error) {
	cfg.defaults()
	v, err := parseViews()
	if err != nil {
		return nil, err
	}
	s := &Server{store: st, cfg: cfg, views: v, limiter: newLimiter(cfg.LoginFailures, cfg.LoginWindow), mux: http.NewServeMux()}
	s.routes()
	s.handler = s.secureHeaders(s.limitBody(s.loadSession(s.mux)))
	return s, nil
}

// ServeHTTP serves the app.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// routes registers every handler with the role that may call it. Each
// handler admits exactly one role; POSTs are CSRF-checked by the wrappers.
func (s *Server) routes() {
	m := s.mux
	m.Handle("GET /static/", http.FileServerFS(staticFS))
	m.HandleFunc("GET /login", s.loginPage)
	m.HandleFunc("POST /login", s.login)
	m.HandleFunc("POST /logout", s.anyRole(s.logout))
	m.HandleFunc("GET /{$}", s.anyRole(s.home))

	m.HandleFunc("GET /annotate", s.role(store.RoleAnnotator, s.annotateProjects))
	m.HandleFunc("GET /annotate/{project}", s.role(store.RoleAnnotator, s.annotateItem))
	m.HandleFunc("POST /annotate/{project}/label", s.role(store.RoleAnnotator, s.annotateSubmit))
	m.HandleFunc("POST /annotate/{project}/skip", s.role(store.RoleAnnotator, s.annotateSkip))

	m.HandleFunc("GET /review", s.role(store.RoleReviewer, s.reviewProjects))
	m.HandleFunc("GET /review/{project}", s.role(store.RoleReviewer, s.reviewProject))
	m.HandleFunc("POST /review/{project}/quarantine", s.role(store.RoleReviewer, s.reviewQuarantine))
	m.HandleFunc("POST /review/{project}/release", s.role(store.RoleReviewer, s.reviewRelease))

	m.HandleFunc("GET /admin", s.role(store.RoleAdmin, s.adminProjects))
	m.HandleFunc("POST /admin/projects", s.role(store.RoleAdmin, s.adminCreateProject))
	m.HandleFunc("GET /admin/projects/{project}", s.role(store.RoleAdmin, s.adminDashboard))
	m.HandleFunc("POST /admin/projects/{project}/import", s.role(store.RoleAdmin, s.adminImport))
	m.HandleFunc("GET /admin/projects/{project}/export", s.role(store.RoleAdmin, s.adminExport))
	m.HandleFunc("POST /admin/projects/{project}/quarantine-flagged", s.role(store.RoleAdmin, s.adminQuarantineFlagged))
	m.HandleFunc("GET /admin/users", s.role(store.RoleAdmin, s.adminUsers))
	m.HandleFunc("POST /admin/users", s.role(store.RoleAdmin, s.adminCreateUser))
	m.HandleFunc("POST /admin/users/{user}/pause", s.role(store.RoleAdmin, s.adminPauseUser))
}
