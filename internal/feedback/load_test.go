package feedback

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/align-project/align/internal/feedback/store"
	"github.com/align-project/align/internal/feedback/store/storetest"
)

// TestLoad has annotators label a project over HTTP, spread over two app
// instances on one database (two stores on one SQLite file or PostgreSQL
// schema, as two processes would have), on SQLite and on PostgreSQL: no
// label is lost or duplicated, no request fails, each pair ends with exactly
// K labels, and the rate and latencies are logged.
//
// Sizes (K = 5 throughout):
//   - go test -short: 10 annotators, 200 labels (40 pairs), SQLite only;
//   - go test (./test.sh): 50 annotators, 2,000 labels (400 pairs);
//   - ALIGN_LOAD=full: 50 annotators × 2,000 labels = 100,000 labels
//     (20,000 pairs), a few minutes.
//
// PostgreSQL runs with synchronous_commit=on, whatever the server's default
// (scripts/start-postgres.sh turns it off): a label is acknowledged only once
// its commit is on disk. ALIGN_LOAD_SYNC_COMMIT=off measures without.
// ALIGN_LOAD_PROFILE=DIR writes a CPU profile of the labelling phase to
// DIR/cpu-<dialect>.pprof and logs what PostgreSQL's sessions waited on.
// ALIGN_LOAD_MIN_RATE=N fails the test under N labels/s (unset, the rate is
// only logged: the machine is shared).
func TestLoad(t *testing.T) {
	annotators, pairs, k := 50, 400, 5
	if testing.Short() {
		annotators, pairs = 10, 40
	} else if os.Getenv("ALIGN_LOAD") == "full" {
		pairs = 20000
	}
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) { runLoad(t, d, annotators, pairs, k) })
	}
}

func runLoad(t *testing.T, d store.Dialect, annotators, pairs, k int) {
	dsn := storetest.DSN(t, d)
	appName := fmt.Sprintf("align_load_%d", os.Getpid())
	durability := "" // how a commit reaches the disk, for the log
	if d == store.Postgres {
		syncCommit := "on"
		if os.Getenv("ALIGN_LOAD_SYNC_COMMIT") == "off" {
			syncCommit = "off"
		}
		dsn += "&synchronous_commit=" + syncCommit + "&application_name=" + appName
		durability = ", synchronous_commit=" + syncCommit
	}
	apps := newTestApps(t, d, dsn, 2)
	setup := apps[0]
	p := setup.project("load", k, pairs, 0)

	// One connection pool for all annotators, big enough to keep their
	// connections alive: the default keeps 2 per host and would measure
	// TCP set-up instead of the app.
	transport := &http.Transport{MaxIdleConns: 2 * annotators, MaxIdleConnsPerHost: 2 * annotators}
	t.Cleanup(transport.CloseIdleConnections)
	clients := make([]*client, annotators)
	for i := range clients {
		u := setup.user(fmt.Sprint("ann", i), store.RoleAnnotator)
		jar, _ := cookiejar.New(nil)
		clients[i] = &client{t: t, base: apps[i%len(apps)].srv.URL, http: &http.Client{Jar: jar, Transport: transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		clients[i].loginAs(u)
	}

	var stopProfile func()
	if dir := os.Getenv("ALIGN_LOAD_PROFILE"); dir != "" {
		stopProfile = startLoadProfile(t, dir, d, dsn, appName)
	}
	var saved, notSaved, server5xx, other atomic.Int64
	var mu sync.Mutex
	var failures []string
	var nextLat, submitLat []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for _, c := range clients {
		wg.Go(func() {
			var next, submit []time.Duration
			defer func() {
				mu.Lock()
				nextLat, submitLat = append(nextLat, next...), append(submitLat, submit...)
				mu.Unlock()
			}()
			failed := func(counter *atomic.Int64, format string, args ...any) {
				counter.Add(1)
				mu.Lock()
				failures = append(failures, fmt.Sprintf(format, args...))
				mu.Unlock()
			}
			itemPath, labelPath := fmt.Sprintf("/annotate/%d", p.ID), fmt.Sprintf("/annotate/%d/label", p.ID)
			for {
				t0 := time.Now()
				code, page, _, err := loadRequest(c, "GET", itemPath, nil)
				next = append(next, time.Since(t0))
				switch {
				case err != nil:
					failed(&other, "GET %s: %v", itemPath, err)
					return
				case code >= 500:
					failed(&server5xx, "GET %s: %d %s", itemPath, code, page)
					return
				case code != http.StatusOK:
					failed(&other, "GET %s: %d %s", itemPath, code, page)
					return
				}
				form := labelForm(page, "A")
				if form == nil {
					if !strings.Contains(page, "Nothing left to label") {
						failed(&other, "GET %s: neither an item nor the end: %s", itemPath, page)
					}
					return
				}
				form.Set("csrf", c.csrf)
				t0 = time.Now()
				code, body, flash, err := loadRequest(c, "POST", labelPath, form)
				submit = append(submit, time.Since(t0))
				switch {
				case err != nil:
					failed(&other, "POST %s: %v", labelPath, err)
					return
				case code == http.StatusSeeOther && flash == "Saved.":
					saved.Add(1)
				case code == http.StatusSeeOther:
					failed(&notSaved, "POST %s: %q", labelPath, flash)
				case code >= 500:
					failed(&server5xx, "POST %s: %d %s", labelPath, code, body)
					return
				default:
					failed(&other, "POST %s: %d %s", labelPath, code, body)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if stopProfile != nil {
		stopProfile()
	}

	want := pairs * k
	labels, err := apps[1].st.Labels(bg, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s%s, 2 app instances: %d annotators, %d labels in %v: %.0f labels/s (each a GET of the item and a POST); "+
		"submit p50 %v p99 %v; next item p50 %v p99 %v",
		d, durability, annotators, len(labels), elapsed.Round(time.Millisecond), float64(len(labels))/elapsed.Seconds(),
		percentile(submitLat, 0.5), percentile(submitLat, 0.99), percentile(nextLat, 0.5), percentile(nextLat, 0.99))
	for i, f := range failures {
		if i == 10 {
			t.Errorf("... and %d more", len(failures)-10)
			break
		}
		t.Error(f)
	}
	if server5xx.Load() != 0 || notSaved.Load() != 0 || other.Load() != 0 {
		t.Fatalf("%d 5xx responses, %d labels not saved, %d other failures", server5xx.Load(), notSaved.Load(), other.Load())
	}
	if int(saved.Load()) != want || len(labels) != want {
		t.Fatalf("%d labels acknowledged, %d stored, want %d", saved.Load(), len(labels), want)
	}
	per := map[int64]map[int64]bool{}
	for _, l := range labels {
		if per[l.PairID] == nil {
			per[l.PairID] = map[int64]bool{}
		}
		if per[l.PairID][l.UserID] {
			t.Fatalf("pair %d labelled twice by user %d", l.PairID, l.UserID)
		}
		per[l.PairID][l.UserID] = true
	}
	for id, m := range per {
		if len(m) != k {
			t.Fatalf("pair %d has %d labels, want %d", id, len(m), k)
		}
	}
	if err := apps[0].st.CheckCounts(bg, p.ID); err != nil {
		t.Fatal(err)
	}
	if min, err := strconv.ParseFloat(os.Getenv("ALIGN_LOAD_MIN_RATE"), 64); err == nil {
		if rate := float64(len(labels)) / elapsed.Seconds(); rate < min {
			t.Fatalf("%.0f labels/s, under ALIGN_LOAD_MIN_RATE=%v", rate, min)
		}
	}
}

// loadRequest sends one request of the load test and returns the status,
// the body and the flash message set, without failing the test itself (it
// runs on the annotators' goroutines).
func loadRequest(c *client, method, path string, form url.Values) (code int, body, flash string, err error) {
	var resp *http.Response
	if method == "POST" {
		resp, err = c.http.PostForm(c.base+path, form)
	} else {
		resp, err = c.http.Get(c.base + path)
	}
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", "", err
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == flashCookie {
			flash = decodeFlash(ck.Value)
		}
	}
	if m := csrfRe.FindStringSubmatch(string(b)); m != nil {
		c.csrf = m[1]
	}
	return resp.StatusCode, string(b), flash, nil
}

func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))].Round(10 * time.Microsecond)
}

// startLoadProfile writes a CPU profile of this process (the two app
// instances, and the test's HTTP clients) to dir, and on PostgreSQL samples
// what the load's database sessions are doing every 10 ms. The returned
// function stops both and logs the samples and the server's commit and WAL
// flush counts over the run (the latter two are cluster-wide: other tests on
// the same server count too).
func startLoadProfile(t *testing.T, dir string, d store.Dialect, dsn, appName string) func() {
	f, err := os.Create(fmt.Sprintf("%s/cpu-%s.pprof", dir, d))
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		t.Fatal(err)
	}
	stopCPU := func() {
		pprof.StopCPUProfile()
		f.Close()
		t.Logf("CPU profile in %s", f.Name())
	}
	if d != store.Postgres {
		return stopCPU
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	stats := func() (commits, walSyncs int64) {
		db.QueryRow(`SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&commits)
		db.QueryRow(`SELECT wal_sync FROM pg_stat_wal`).Scan(&walSyncs)
		return
	}
	commits0, syncs0 := stats()
	waits := map[string]int{}
	samples := 0
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			rows, err := db.Query(`SELECT state, COALESCE(wait_event_type, ''), COALESCE(wait_event, '') FROM pg_stat_activity
				WHERE application_name = $1 AND pid <> pg_backend_pid()`, appName)
			if err != nil {
				continue
			}
			samples++
			for rows.Next() {
				var state, typ, event string
				rows.Scan(&state, &typ, &event)
				key := state
				if state == "active" || state == "idle in transaction" {
					key = state + ": " + typ + ":" + event
					if typ == "" {
						key = state + ": running"
					}
				}
				waits[key]++
			}
			rows.Close()
		}
	}()
	return func() {
		close(stop)
		<-stopped
		stopCPU()
		commits1, syncs1 := stats()
		db.Close()
		keys := make([]string, 0, len(waits))
		for k := range waits {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return waits[keys[i]] > waits[keys[j]] })
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "\n  %6.1f  %s", float64(waits[k])/float64(max(samples, 1)), k)
		}
		t.Logf("PostgreSQL: %d commits, %d WAL flushes (cluster-wide); sessions of the load by state, mean count over %d samples:%s",
			commits1-commits0, syncs1-syncs0, samples, b.String())
	}
}
