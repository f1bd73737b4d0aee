package feedback

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/align-project/align/internal/feedback/store"
	"github.com/align-project/align/internal/feedback/store/storetest"
)

// forwardedFor sets the X-Forwarded-For a reverse proxy would, so that
// clients of one test server can come from different addresses.
type forwardedFor struct {
	addr string
	next http.RoundTripper
}

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.addr)
	return f.next.RoundTrip(r)
}

// from is a client whose requests come, through the trusted proxy on
// loopback, from addr.
func (a *testApp) from(addr string) *client {
	c := a.client()
	c.http.Transport = forwardedFor{addr, http.DefaultTransport}
	return c
}

// lockoutConfig: 3 failures of one account from one address, 5 from one
// address over every name; the test servers sit behind a "proxy" on loopback.
var lockoutConfig = Config{LoginFailures: 3, LoginAddressFailures: 5, TrustedProxies: []string{"127.0.0.1", "::1"}}

// restart serves a new Server (a restart, or a second instance) on the same
// store.
func (a *testApp) restart(cfg Config) *testApp {
	a.t.Helper()
	app, err := NewServer(a.st, cfg)
	if err != nil {
		a.t.Fatal(err)
	}
	srv := httptest.NewServer(app)
	a.t.Cleanup(srv.Close)
	return &testApp{t: a.t, st: a.st, srv: srv, app: app}
}

// TestLockoutCannotBeTurnedOnTheAdmin: failed logins for the admin's name
// from one address lock that name out from that address only; the admin
// logs in from anywhere else. Before, the failures locked the name out
// everywhere for 10 minutes.
func TestLockoutCannotBeTurnedOnTheAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := &testApp{t: t, st: st}
		a = a.restart(lockoutConfig)
		admin := a.user("root", store.RoleAdmin)
		attacker := a.from("203.0.113.7")
		for range 3 {
			if code := attacker.login("root", "guess-guess"); code != http.StatusSeeOther {
				t.Fatalf("a failed login: %d, want a redirect back to the form", code)
			}
		}
		attacker.get("/login")
		resp, err := attacker.http.PostForm(attacker.base+"/login", url.Values{"username": {"root"}, "password": {"pw-root-secret"}, "csrf": {attacker.csrf}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("the attacker's address after 3 failures: %d (Retry-After %q), want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		a.from("198.51.100.2").loginAs(admin)

		// Spoofing X-Forwarded-For does not help: only the address the
		// trusted proxy saw counts, the entries before it are the client's.
		spoof := a.from("192.0.2.1, 203.0.113.7")
		if code := spoof.login("root", "pw-root-secret"); code != http.StatusTooManyRequests {
			t.Errorf("a spoofed hop in front of the locked address: %d, want 429", code)
		}
	})
}

// TestLockoutSurvivesRestart: the counts are in the database, so a new
// Server on the same store (a restart, or a second instance) still refuses
// the locked address, until the window ends.
func TestLockoutSurvivesRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := (&testApp{t: t, st: st}).restart(lockoutConfig)
		a.user("root", store.RoleAdmin)
		for range 3 {
			a.from("203.0.113.7").login("root", "guess-guess")
		}
		b := a.restart(lockoutConfig)
		if code := b.from("203.0.113.7").login("root", "pw-root-secret"); code != http.StatusTooManyRequests {
			t.Fatalf("after a restart: %d, want 429", code)
		}
		if code := a.from("203.0.113.7").login("root", "pw-root-secret"); code != http.StatusTooManyRequests {
			t.Fatalf("on the first instance: %d, want 429", code)
		}
		now := time.Now()
		st.SetClock(func() time.Time { return now.Add(11 * time.Minute) })
		defer st.SetClock(time.Now)
		if code := b.from("203.0.113.7").login("root", "pw-root-secret"); code != http.StatusSeeOther {
			t.Fatalf("after the window: %d, want a login", code)
		}
	})
}

// TestLockoutPerAddress: one address cannot spray guesses over many names;
// another address is not affected. A successful login forgives that
// account's earlier failures from its address and does not count against
// the address.
func TestLockoutPerAddress(t *testing.T) {
	a := newTestApp(t, store.SQLite, lockoutConfig)
	ann := a.user("ann", store.RoleAnnotator)
	c := a.from("203.0.113.9")
	for range 2 {
		c.login("ann", "typo-typo")
	}
	for range 4 { // successes forgive and refund: neither limit is reached
		if code := c.login("ann", "pw-ann-secret"); code != http.StatusSeeOther {
			t.Fatalf("the right password after 2 typos: %d", code)
		}
		c.get("/annotate") // the session's CSRF token
		if code, _ := c.post("/logout", url.Values{}); code != http.StatusSeeOther {
			t.Fatalf("logout: %d", code)
		}
	}
	for range 2 {
		c.login("ann", "typo-typo")
	}
	c.loginAs(ann)
	c.post("/logout", url.Values{})

	// 2 failures above, 3 more on other names: the address is used up.
	for _, name := range []string{"bob", "carol", "dave"} {
		c.login(name, "guess-guess")
	}
	if code := c.login("erin", "guess-guess"); code != http.StatusTooManyRequests {
		t.Fatalf("a new name from a sprayed address: %d, want 429", code)
	}
	a.from("203.0.113.10").loginAs(ann)
}

// TestLockoutParallelGuesses: attempts are charged before the password is
// checked, so a burst of parallel guesses gets no more tries than the limit.
func TestLockoutParallelGuesses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) { parallelGuesses(t, st) })
}

func parallelGuesses(t *testing.T, st *store.Store) {
	a := (&testApp{t: t, st: st}).restart(lockoutConfig)
	a.user("root", store.RoleAdmin)
	c := a.from("203.0.113.7")
	c.get("/login")
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			resp, err := c.http.PostForm(c.base+"/login", url.Values{"username": {"root"}, "password": {"guess-guess"}, "csrf": {c.csrf}})
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes[http.StatusSeeOther] != 3 || codes[http.StatusTooManyRequests] != 17 {
		t.Fatalf("20 parallel guesses with a limit of 3: %v, want 3 checked and 17 refused", codes)
	}
}

// TestClientAddress: the peer's address unless it is a trusted proxy; an
// IPv6 client counts as its /64.
func TestClientAddress(t *testing.T) {
	s, err := NewServer(nil, Config{TrustedProxies: []string{"127.0.0.1", "10.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ remote, xff, want string }{
		{"192.0.2.5:4000", "198.51.100.1", "address:192.0.2.5"},
		{"127.0.0.1:4000", "", "address:127.0.0.1"},
		{"127.0.0.1:4000", "198.51.100.1", "address:198.51.100.1"},
		{"127.0.0.1:4000", "6.6.6.6, 198.51.100.1, 10.1.2.3", "address:198.51.100.1"},
		{"127.0.0.1:4000", "garbage", "address:127.0.0.1"},
		{"[2001:db8:1:2::1]:4000", "", "address:2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::9]:4000", "", "address:2001:db8:1:2::/64"},
		{"[::ffff:192.0.2.5]:4000", "", "address:192.0.2.5"},
	} {
		r := httptest.NewRequest("POST", "/login", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := s.loginKeys(r, "x").address; got != c.want {
			t.Errorf("%s with X-Forwarded-For %q: %q, want %q", c.remote, c.xff, got, c.want)
		}
	}
}
