package serve

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// A server without an API key answers requests addressed to an IP address
// or localhost only: a page on a rebinding host name cannot use it.
func TestHostGuardWithoutKey(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h := hostGuard(ok)
	for host, want := range map[string]int{
		"127.0.0.1:8000": http.StatusNoContent, "localhost:8000": http.StatusNoContent, "LOCALHOST": http.StatusNoContent,
		"[::1]:8000": http.StatusNoContent, "10.1.2.3": http.StatusNoContent,
		"evil.example:8000": http.StatusForbidden, "attacker.test": http.StatusForbidden,
	} {
		r := httptest.NewRequest("GET", "/v1/models", nil)
		r.Host = host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("Host %q: status %d, want %d (%s)", host, w.Code, want, w.Body.String())
		}
	}
}
