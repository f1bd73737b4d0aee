package feedback

import (
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/align-project/align/internal/feedback/store"
	"github.com/align-project/align/internal/yamlconf"
)

// Config tunes the web app. Zero values take the defaults in brackets.
type Config struct {
	SessionTTL    time.Duration // how long a login lasts [12h]
	SecureCookies bool          // mark cookies Secure even on plain HTTP (behind a TLS proxy); TLS requests always do
	MaxBody       int64         // request body limit in bytes [1 MiB]
	MaxImport     int64         // body limit of an import upload [32 MiB]
	LoginFailures int           // failed logins of one account from one address per LoginWindow before refusing [10]
	LoginWindow   time.Duration // [10m]
	Logger        *slog.Logger  // [slog.Default()]
	// LoginAddressFailures is the failed logins from one address, over
	// every name, per LoginWindow before refusing [5 × LoginFailures].
	LoginAddressFailures int
	// TrustedProxies are the addresses or CIDR prefixes of reverse proxies
	// whose X-Forwarded-For names the client (see ratelimit.go).
	TrustedProxies []string
}

// Validate reports a setting that cannot work as a *yamlconf.KeyError;
// zero values are the defaults.
func (c Config) Validate() error {
	switch {
	case c.SessionTTL != 0 && (c.SessionTTL < MinSessionTTL || c.SessionTTL > MaxSessionTTL):
		return yamlconf.Keyf("session_ttl", "%s: a login must last from %s to %s (e.g. 12h)", shortDuration(c.SessionTTL), shortDuration(MinSessionTTL), shortDuration(MaxSessionTTL))
	case c.MaxBody < 0 || c.MaxImport < 0:
		return yamlconf.Keyf("max_body", "request body limits must not be negative")
	case c.LoginFailures < 0 || c.LoginAddressFailures < 0:
		return yamlconf.Keyf("login_failures", "failed login limits must not be negative")
	case c.LoginWindow < 0:
		return yamlconf.Keyf("login_window", "%v: must not be negative", c.LoginWindow)
	}
	_, err := parseProxies(c.TrustedProxies)
	return err
}

// parseProxies reads addresses and CIDR prefixes (127.0.0.1, 10.0.0.0/8).
func parseProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, yamlconf.Keyf("trusted_proxy", "%q is not an address or CIDR prefix (e.g. 127.0.0.1 or 10.0.0.0/8)", s)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
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
	if c.LoginAddressFailures == 0 {
		c.LoginAddressFailures = 5 * c.LoginFailures
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
	proxies []netip.Prefix // Config.TrustedProxies
	mux     *http.ServeMux
	handler http.Handler
}

// NewServer builds the app over st; a bad setting of cfg is an error (see
// Config.Validate).
func NewServer(st *store.Store, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.defaults()
	proxies, _ := parseProxies(cfg.TrustedProxies)
	v, err := parseViews()
	if err != nil {
		return nil, err
	}
	s := &Server{store: st, cfg: cfg, views: v, proxies: proxies, mux: http.NewServeMux()}
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
