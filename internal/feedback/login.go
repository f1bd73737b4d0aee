package feedback

import (
	"crypto/subtle"
	"errors"
	"net/http"

	"github.com/align-project/align/internal/feedback/store"
)

// loginPage shows the login form with a fresh login CSRF token, kept in a
// cookie and echoed by the form (double submit: there is no session yet).
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if sessionOf(r) != nil {
		redirect(w, r, "/")
		return
	}
	token := store.NewToken()
	http.SetCookie(w, s.cookie(r, loginCSRF, token, 3600))
	s.render(w, r, http.StatusOK, "login", "Log in", token)
}

// login checks the credentials under the login rate limit (see
// ratelimit.go) and starts a new session (a fresh token on every login).
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	c, err := r.Cookie(loginCSRF)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue(csrfField))) != 1 {
		http.Error(w, "invalid CSRF token: reload the login page", http.StatusForbidden)
		return
	}
	name, password := r.PostFormValue("username"), r.PostFormValue("password")
	if len(name) > 64 || len(password) > 256 {
		http.Error(w, "username or password too long", http.StatusBadRequest)
		return
	}
	keys := s.loginKeys(r, name)
	if err := s.chargeLogin(r.Context(), keys); err != nil {
		if le, ok := errors.AsType[*store.LoginLimitError](err); ok {
			w.Header().Set("Retry-After", retryAfter(s.store.Now(), le.Until))
			s.render(w, r, http.StatusTooManyRequests, "message", "Too many attempts", "Too many failed logins from here; wait a few minutes and try again.")
			return
		}
		s.serverError(w, r, err)
		return
	}
	u, err := s.store.Authenticate(r.Context(), name, password)
	if errors.Is(err, store.ErrNotFound) {
		s.flash(w, r, "Wrong username or password.")
		redirect(w, r, "/login")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if err := s.loginSucceeded(r.Context(), keys); err != nil {
		s.serverError(w, r, err)
		return
	}
	if old := sessionOf(r); old != nil {
		s.store.DeleteSession(r.Context(), old.token)
	}
	token, _, err := s.store.CreateSession(r.Context(), u.ID, s.cfg.SessionTTL)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	http.SetCookie(w, s.cookie(r, sessionCookie, token, int(s.cfg.SessionTTL.Seconds())))
	s.clearCookie(w, r, loginCSRF)
	redirect(w, r, "/")
}
