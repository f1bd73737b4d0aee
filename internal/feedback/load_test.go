package feedback

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/align-project/align/internal/feedback/store"
)

// TestLoad has 50 annotators label 2,000 items (400 pairs × k=5) at once over
// HTTP, on SQLite and on PostgreSQL: no label is lost or duplicated, no
// request fails with 5xx, and the rate is logged. Under -short it runs a
// tenth of the load on SQLite only.
func TestLoad(t *testing.T) {
	annotators, pairs, k := 50, 400, 5
	dialects := []store.Dialect{store.SQLite, store.Postgres}
	if testing.Short() {
		annotators, pairs, dialects = 10, 40, []store.Dialect{store.SQLite}
	}
	for _, d := range dialects {
		t.Run(string(d), func(t *testing.T) {
			a := newTestApp(t, d, Config{})
			p := a.project("load", k, pairs, 0)
			var users []*store.User
			for i := range annotators {
				users = append(users, a.user(fmt.Sprint("ann", i), store.RoleAnnotator))
			}
			clients := make([]*client, annotators)
			for i, u := range users {
				clients[i] = a.client()
				clients[i].loginAs(u)
			}
			var saved, server5xx, other atomic.Int64
			var wg sync.WaitGroup
			start := time.Now()
			for _, c := range clients {
				wg.Go(func() {
					for {
						code, page := c.get(fmt.Sprintf("/annotate/%d", p.ID))
						if code >= 500 {
							server5xx.Add(1)
							return
						}
						f := labelForm(page, "A")
						if f == nil {
							return // nothing left
						}
						code, _ = c.post(fmt.Sprintf("/annotate/%d/label", p.ID), f)
						switch {
						case code == http.StatusSeeOther:
							saved.Add(1)
						case code >= 500:
							server5xx.Add(1)
							return
						default:
							other.Add(1)
							return
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			want := pairs * k
			labels, err := a.st.Labels(bg, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d annotators, %d labels in %v: %.0f labels/s (each label is a GET of the item and a POST)",
				d, annotators, len(labels), elapsed.Round(time.Millisecond), float64(len(labels))/elapsed.Seconds())
			if server5xx.Load() != 0 || other.Load() != 0 {
				t.Fatalf("%d 5xx responses, %d other failures", server5xx.Load(), other.Load())
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
		})
	}
}
