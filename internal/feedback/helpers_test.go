package feedback

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"testing"

	"github.com/align-project/align/internal/feedback/store"
	"github.com/align-project/align/internal/feedback/store/storetest"
)

var bg = context.Background()

// testApp is a running server over a fresh store.
type testApp struct {
	t   testing.TB
	st  *store.Store
	srv *httptest.Server
	app *Server
}

func newTestApp(t testing.TB, d store.Dialect, cfg Config) *testApp {
	t.Helper()
	st := storetest.Open(t, d)
	app, err := NewServer(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return &testApp{t: t, st: st, srv: srv, app: app}
}

func (a *testApp) user(name string, role store.Role) *store.User {
	a.t.Helper()
	u, err := a.st.CreateUser(bg, 0, name, "pw-"+name+"-secret", role)
	if err != nil {
		a.t.Fatal(err)
	}
	return u
}

// client is a browser-like HTTP client that does not follow redirects.
type client struct {
	t    testing.TB
	base string
	http *http.Client
	csrf string
}

func (a *testApp) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: a.t, base: a.srv.URL, http: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func (c *client) get(path string) (int, string) {
	c.t.Helper()
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfRe.FindStringSubmatch(string(b)); m != nil {
		c.csrf = m[1]
	}
	return resp.StatusCode, string(b)
}

// post sends a form; the CSRF token of the last page is added unless the
// form has one.
func (c *client) post(path string, form url.Values) (int, string) {
	c.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", c.csrf)
	}
	resp, err := c.http.PostForm(c.base+path, form)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (c *client) login(name, password string) int {
	c.t.Helper()
	c.get("/login")
	code, _ := c.post("/login", url.Values{"username": {name}, "password": {password}})
	if code == http.StatusSeeOther {
		c.get("/") // pick up the session's CSRF token from a page
	}
	return code
}

// loginAs logs in and loads the role's start page (for its CSRF token).
func (c *client) loginAs(u *store.User) {
	c.t.Helper()
	if code := c.login(u.Username, "pw-"+u.Username+"-secret"); code != http.StatusSeeOther {
		c.t.Fatalf("login %s: %d", u.Username, code)
	}
	start := map[store.Role]string{store.RoleAdmin: "/admin", store.RoleAnnotator: "/annotate", store.RoleReviewer: "/review"}
	if code, _ := c.get(start[u.Role]); code != http.StatusOK {
		c.t.Fatalf("start page of %s: %d", u.Username, code)
	}
}

func (a *testApp) project(name string, k, pairs int, goldRate float64) *store.Project {
	a.t.Helper()
	p, err := a.st.CreateProject(bg, 0, store.ProjectSettings{Name: name, K: k, GoldRate: goldRate})
	if err != nil {
		a.t.Fatal(err)
	}
	var in []store.Pair
	for i := range pairs {
		in = append(in, store.Pair{Prompt: fmt.Sprintf("Question %d?", i), ResponseA: fmt.Sprintf("Good answer %d.", i), ResponseB: fmt.Sprintf("Bad answer %d.", i)})
	}
	if _, _, err := a.st.AddPairs(bg, 0, p.ID, in); err != nil {
		a.t.Fatal(err)
	}
	return p
}

var assignRe = regexp.MustCompile(`name="assignment" value="(\d+)"`)

// labelForm is a complete label for the assignment shown in page.
func labelForm(page, pref string) url.Values {
	m := assignRe.FindStringSubmatch(page)
	if m == nil {
		return nil
	}
	f := url.Values{"assignment": {m[1]}, "pref": {pref}, "comment": {"ok"}}
	for _, side := range []string{"l", "r"} {
		for _, c := range []string{"coherence", "relevance", "safety"} {
			f.Set(side+"_"+c, "7")
		}
	}
	return f
}
