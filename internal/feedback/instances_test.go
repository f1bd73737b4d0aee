package feedback

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/align-project/align/internal/feedback/store"
	"github.com/align-project/align/internal/feedback/store/storetest"
)

// newTestApps starts n app instances on one fresh database of dialect d,
// each with a store of its own, as n processes would have.
func newTestApps(t testing.TB, d store.Dialect, dsn string, n int) []*testApp {
	t.Helper()
	if dsn == "" {
		dsn = storetest.DSN(t, d)
	}
	var apps []*testApp
	for range n {
		st := storetest.OpenDSN(t, dsn)
		app, err := NewServer(st, Config{})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(app)
		t.Cleanup(srv.Close)
		apps = append(apps, &testApp{t: t, st: st, srv: srv, app: app})
	}
	return apps
}

// TestTwoInstances runs two app instances on one database, as two processes
// behind a load balancer would be: a login on one is valid on the other, the
// item one shows is the item the other shows and takes the label for, the
// other annotator of a K=1 project never gets that pair, and a logout on one
// ends the session on both. (Browsers do not separate cookies by port, so the
// two test servers on 127.0.0.1 share them like one site would.)
func TestTwoInstances(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			apps := newTestApps(t, d, "", 2)
			a, b := apps[0], apps[1]
			p := a.project("shared", 1, 3, 0)
			ann := a.user("ann", store.RoleAnnotator)
			bob := b.user("bob", store.RoleAnnotator)
			item := fmt.Sprintf("/annotate/%d", p.ID)

			c := a.client()
			c.loginAs(ann)
			_, pageA := c.get(item)
			c.base = b.srv.URL
			code, pageB := c.get(item)
			if code != http.StatusOK {
				t.Fatalf("instance B refused instance A's session: %d", code)
			}
			fa, fb := labelForm(pageA, "A"), labelForm(pageB, "A")
			if fa == nil || fb == nil || fa.Get("assignment") != fb.Get("assignment") {
				t.Fatalf("the two instances show different items: %v, %v", fa, fb)
			}
			if code, _ := c.post(item+"/label", fb); code != http.StatusSeeOther {
				t.Fatalf("label on instance B: %d", code)
			}
			labels, err := a.st.Labels(bg, p.ID)
			if err != nil || len(labels) != 1 || labels[0].UserID != ann.ID {
				t.Fatalf("labels after one submission: %v %+v", err, labels)
			}

			cb := b.client()
			cb.loginAs(bob)
			cb.base = a.srv.URL
			_, page := cb.get(item)
			fbob := labelForm(page, "B")
			if fbob == nil {
				t.Fatal("bob got no item")
			}
			if code, _ := cb.post(item+"/label", fbob); code != http.StatusSeeOther {
				t.Fatalf("bob's label: %d", code)
			}
			labels, _ = a.st.Labels(bg, p.ID)
			if len(labels) != 2 || labels[0].PairID == labels[1].PairID {
				t.Fatalf("K=1 pair labelled twice across instances: %+v", labels)
			}

			// Log out on A, replay the old session cookie on B.
			base, _ := url.Parse(a.srv.URL)
			old := c.http.Jar.Cookies(base)
			c.base = a.srv.URL
			if code, _ := c.post("/logout", url.Values{}); code != http.StatusSeeOther {
				t.Fatalf("logout on A: %d", code)
			}
			replay := b.client()
			replay.http.Jar.SetCookies(base, old)
			if code, _ := replay.get("/annotate"); code != http.StatusSeeOther {
				t.Fatalf("session logged out on A still valid on B: %d", code)
			}
		})
	}
}
