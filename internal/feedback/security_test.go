package feedback

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/align-project/align/internal/feedback/store"
)

// TestRolesAreSeparated: every handler admits exactly its role; anonymous
// requests go to the login page or are refused.
func TestRolesAreSeparated(t *testing.T) {
	a := newTestApp(t, store.SQLite, Config{})
	p := a.project("p", 1, 2, 0)
	users := map[store.Role]*store.User{
		store.RoleAdmin:     a.user("root", store.RoleAdmin),
		store.RoleAnnotator: a.user("ann", store.RoleAnnotator),
		store.RoleReviewer:  a.user("rev", store.RoleReviewer),
	}
	pid := "/" + itoa(p.ID)
	uid := itoa(users[store.RoleAnnotator].ID)
	routes := []struct {
		method, path string
		role         store.Role
		form         url.Values
	}{
		{"GET", "/annotate", store.RoleAnnotator, nil},
		{"GET", "/annotate" + pid, store.RoleAnnotator, nil},
		{"POST", "/annotate" + pid + "/label", store.RoleAnnotator, url.Values{"assignment": {"1"}}},
		{"POST", "/annotate" + pid + "/skip", store.RoleAnnotator, url.Values{"assignment": {"1"}}},
		{"GET", "/review", store.RoleReviewer, nil},
		{"GET", "/review" + pid, store.RoleReviewer, nil},
		{"POST", "/review" + pid + "/quarantine", store.RoleReviewer, url.Values{"user": {uid}}},
		{"POST", "/review" + pid + "/release", store.RoleReviewer, url.Values{"user": {uid}}},
		{"GET", "/admin", store.RoleAdmin, nil},
		{"POST", "/admin/projects", store.RoleAdmin, url.Values{"name": {"new"}}},
		{"GET", "/admin/projects" + pid, store.RoleAdmin, nil},
		{"POST", "/admin/projects" + pid + "/import", store.RoleAdmin, url.Values{"jsonl": {`{"prompt":"q","responses":["a","b"]}`}}},
		{"GET", "/admin/projects" + pid + "/export", store.RoleAdmin, nil},
		{"POST", "/admin/projects" + pid + "/quarantine-flagged", store.RoleAdmin, url.Values{}},
		{"GET", "/admin/users", store.RoleAdmin, nil},
		{"POST", "/admin/users", store.RoleAdmin, url.Values{"username": {"x"}, "password": {"password-x"}, "role": {"annotator"}}},
		{"POST", "/admin/users/" + uid + "/pause", store.RoleAdmin, url.Values{"paused": {"0"}}},
	}
	clients := map[store.Role]*client{}
	for role, u := range users {
		c := a.client()
		c.loginAs(u)
		clients[role] = c
	}
	anon := a.client()
	for _, rt := range routes {
		for role, c := range clients {
			var code int
			if rt.method == "GET" {
				code, _ = c.get(rt.path)
			} else {
				code, _ = c.post(rt.path, cloneForm(rt.form))
			}
			allowed := code != http.StatusForbidden && code != http.StatusUnauthorized
			if allowed != (role == rt.role) || code >= 500 {
				t.Errorf("%s %s as %s: status %d", rt.method, rt.path, role, code)
			}
		}
		var code int
		if rt.method == "GET" {
			code, _ = anon.get(rt.path)
			if code != http.StatusSeeOther {
				t.Errorf("anonymous GET %s: %d, want a redirect to /login", rt.path, code)
			}
		} else {
			code, _ = anon.post(rt.path, cloneForm(rt.form))
			if code != http.StatusUnauthorized {
				t.Errorf("anonymous POST %s: %d, want 401", rt.path, code)
			}
		}
	}
	// An annotator never sees another annotator's labels: the pages they can
	// reach carry no username but their own.
	_, page := clients[store.RoleAnnotator].get("/annotate" + pid)
	if strings.Contains(page, "root") || strings.Contains(page, "rev") {
		t.Error("annotator page names other users")
	}
}

func cloneForm(f url.Values) url.Values {
	out := url.Values{}
	for k, v := range f {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// TestCSRF: posts without the session's token (or with another session's)
// are refused and change nothing.
func TestCSRF(t *testing.T) {
	a := newTestApp(t, store.SQLite, Config{})
	admin := a.user("root", store.RoleAdmin)
	c := a.client()
	c.loginAs(admin)
	other := a.client()
	other.loginAs(a.user("root2", store.RoleAdmin))
	for _, tok := range []string{"", "deadbeef", other.csrf} {
		code, _ := c.post("/admin/users", url.Values{"csrf": {tok}, "username": {"evil"}, "password": {"password-evil"}, "role": {"admin"}})
		if code != http.StatusForbidden {
			t.Errorf("token %q: status %d, want 403", tok, code)
		}
	}
	if _, err := a.st.UserByName(bg, "evil"); err == nil {
		t.Fatal("user created without a valid CSRF token")
	}
	// Logging in needs the login form's token too.
	fresh := a.client()
	code, _ := fresh.post("/login", url.Values{"csrf": {""}, "username": {"root"}, "password": {"pw-root-secret"}})
	if code != http.StatusForbidden {
		t.Errorf("login without CSRF token: %d", code)
	}
	// With the token it works.
	code, _ = c.post("/admin/users", url.Values{"username": {"good"}, "password": {"password-good"}, "role": {"annotator"}})
	if code != http.StatusSeeOther {
		t.Fatalf("valid post: %d", code)
	}
}

// TestInjectionAndOversizedInput: SQL in every text field is stored as text;
// oversized bodies and fields are refused with 4xx.
func TestInjectionAndOversizedInput(t *testing.T) {
	a := newTestApp(t, store.SQLite, Config{})
	admin := a.user("root", store.RoleAdmin)
	c := a.client()
	c.loginAs(admin)
	evil := `x'); DROP TABLE labels; --`
	inj := a.client()
	if code := inj.login(`' OR '1'='1' --`, `' OR '1'='1`); code != http.StatusSeeOther {
		t.Fatalf("injection login: %d", code)
	}
	if code, _ := inj.get("/admin"); code != http.StatusSeeOther {
		t.Fatal("injection login got in")
	}
	code, _ := c.post("/admin/users", url.Values{"username": {evil}, "password": {"password-evil"}, "role": {"annotator"}})
	if code != http.StatusSeeOther {
		t.Fatalf("create user: %d", code)
	}
	u, err := a.st.UserByName(bg, evil)
	if err != nil {
		t.Fatalf("user with SQL in the name: %v", err)
	}
	p := a.project(evil, 1, 1, 0)
	ann := a.client()
	if code := ann.login(evil, "password-evil"); code != http.StatusSeeOther {
		t.Fatalf("login as %q: %d", evil, code)
	}
	_, page := ann.get("/annotate/" + itoa(p.ID))
	f := labelForm(page, "A")
	f.Set("comment", evil+`<script>alert(1)</script>`)
	if code, _ := ann.post("/annotate/"+itoa(p.ID)+"/label", f); code != http.StatusSeeOther {
		t.Fatalf("label: %d", code)
	}
	labels, err := a.st.Labels(bg, p.ID)
	if err != nil || len(labels) != 1 || labels[0].UserID != u.ID || !strings.HasPrefix(labels[0].Comment, evil) {
		t.Fatalf("labels after injection: %v %+v", err, labels)
	}
	_, dash := c.get("/admin/projects/" + itoa(p.ID))
	if strings.Contains(dash, "<script>alert(1)") {
		t.Fatal("comment not escaped on the dashboard")
	}
	// Oversized: a 2 MiB comment (body over the 1 MiB limit), a 5 kB comment
	// (field over its limit), a 100 kB username.
	_, page = ann.get("/annotate/" + itoa(p.ID))
	big := labelForm(page, "B")
	if big == nil {
		big = url.Values{"assignment": {"1"}, "pref": {"B"}}
	}
	big.Set("comment", strings.Repeat("x", 2<<20))
	if code, _ := ann.post("/annotate/"+itoa(p.ID)+"/label", big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB body: %d, want 413", code)
	}
	code, _ = c.post("/admin/users", url.Values{"username": {strings.Repeat("u", 100000)}, "password": {"password-u"}, "role": {"annotator"}})
	if code >= 500 {
		t.Errorf("huge username: %d", code)
	}
	code, _ = c.post("/admin/projects/"+itoa(p.ID)+"/import", url.Values{"jsonl": {`{"prompt":"` + strings.Repeat("p", 70<<10) + `","responses":["a","b"]}`}})
	if code >= 500 {
		t.Errorf("oversized pair: %d", code)
	}
	var n int
	a.st.DB().QueryRow(`SELECT COUNT(*) FROM labels`).Scan(&n)
	if n != 1 {
		t.Errorf("%d labels, want 1", n)
	}
}

// TestSessionsExpire: a session ends after its TTL and after logout; login
// failures are rate-limited.
func TestSessionsExpire(t *testing.T) {
	a := newTestApp(t, store.SQLite, Config{SessionTTL: time.Hour, LoginFailures: 3})
	admin := a.user("root", store.RoleAdmin)
	c := a.client()
	c.loginAs(admin)
	if code, _ := c.get("/admin"); code != http.StatusOK {
		t.Fatalf("logged in: %d", code)
	}
	now := time.Now()
	a.st.SetClock(func() time.Time { return now.Add(61 * time.Minute) })
	if code, _ := c.get("/admin"); code != http.StatusSeeOther {
		t.Fatalf("after the TTL: %d, want a redirect to /login", code)
	}
	a.st.SetClock(time.Now)
	c.loginAs(admin)
	if code, _ := c.post("/logout", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("logout: %d", code)
	}
	if code, _ := c.get("/admin"); code != http.StatusSeeOther {
		t.Fatalf("after logout: %d", code)
	}
	// Three failures block the name, even with the right password next.
	for range 3 {
		c.login("root", "wrong-password")
	}
	if code := c.login("root", "pw-root-secret"); code != http.StatusTooManyRequests {
		t.Fatalf("after 3 failures: %d, want 429", code)
	}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
