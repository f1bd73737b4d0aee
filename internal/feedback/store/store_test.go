package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/align-project/align/internal/feedback/store"
	"github.com/align-project/align/internal/feedback/store/storetest"
)

var ctx = context.Background()

func mustUser(t *testing.T, s *store.Store, name string, role store.Role) *store.User {
	t.Helper()
	u, err := s.CreateUser(ctx, 0, name, "password-"+name, role)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func mustProject(t *testing.T, s *store.Store, ps store.ProjectSettings, pairs, gold int) *store.Project {
	t.Helper()
	p, err := s.CreateProject(ctx, 0, ps)
	if err != nil {
		t.Fatal(err)
	}
	var in []store.Pair
	for i := range pairs + gold {
		pr := store.Pair{ExtID: fmt.Sprint("x", i), Prompt: fmt.Sprint("prompt ", i), ResponseA: "first", ResponseB: "second", Tags: []string{"t,1"}}
		if i >= pairs {
			pr.Gold = store.PrefA
		}
		in = append(in, pr)
	}
	if _, _, err := s.AddPairs(ctx, 0, p.ID, in); err != nil {
		t.Fatal(err)
	}
	return p
}

func submit(s *store.Store, uid int64, a *store.Assignment, pref store.Preference) (*store.Label, error) {
	return submitReserving(s, uid, a, pref, false)
}

// submitReserving is submit that also reserves the next item when
// reserveNext is set, as the web app does.
func submitReserving(s *store.Store, uid int64, a *store.Assignment, pref store.Preference, reserveNext bool) (*store.Label, error) {
	r := store.Ratings{Coherence: 7, Relevance: 6, Safety: 9}
	return s.SubmitLabel(ctx, store.Submission{UserID: uid, AssignmentID: a.ID, Preference: pref, Left: r,
		Right: store.Ratings{Coherence: 2, Relevance: 3, Safety: 4}, ReserveNext: reserveNext})
}

func TestUsersAndSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		u := mustUser(t, s, "ann", store.RoleAnnotator)
		if _, err := s.CreateUser(ctx, 0, "ann", "another-password", store.RoleAdmin); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("duplicate user: %v", err)
		}
		if _, err := s.Authenticate(ctx, "ann", "wrong-password"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("wrong password: %v", err)
		}
		if _, err := s.Authenticate(ctx, "' OR '1'='1", "' OR '1'='1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("injection login: %v", err)
		}
		got, err := s.Authenticate(ctx, "ann", "password-ann")
		if err != nil || got.ID != u.ID || got.Role != store.RoleAnnotator {
			t.Fatalf("authenticate: %v %+v", err, got)
		}
		tok, csrf, err := s.CreateSession(ctx, u.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		sess, err := s.SessionByToken(ctx, tok)
		if err != nil || sess.User.ID != u.ID || sess.CSRFToken != csrf {
			t.Fatalf("session: %v %+v", err, sess)
		}
		var stored string
		s.DB().QueryRow(`SELECT token_hash FROM sessions`).Scan(&stored)
		if stored == tok {
			t.Fatal("session token stored in clear")
		}
		now := time.Now()
		s.SetClock(func() time.Time { return now.Add(2 * time.Hour) })
		if _, err := s.SessionByToken(ctx, tok); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired session still valid: %v", err)
		}
		s.SetClock(time.Now)
		if err := s.DeleteSession(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionByToken(ctx, tok); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted session still valid: %v", err)
		}
	})
}

func TestPasswordHashes(t *testing.T) {
	h := store.HashPassword("correct horse")
	if !store.CheckPasswordHash(h, "correct horse") || store.CheckPasswordHash(h, "correct horsf") {
		t.Fatal("argon2id round trip")
	}

}

func TestAssignmentRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		p := mustProject(t, s, store.ProjectSettings{Name: "p", K: 2, Reservation: time.Minute}, 3, 0)
		u1 := mustUser(t, s, "u1", store.RoleAnnotator)
		u2 := mustUser(t, s, "u2", store.RoleAnnotator)
		u3 := mustUser(t, s, "u3", store.RoleAnnotator)

		a1, err := s.Next(ctx, u1.ID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.Next(ctx, u1.ID, p.ID)
		if err != nil || again.ID != a1.ID {
			t.Fatalf("live reservation not returned again: %v", err)
		}
		if len(a1.Pair.Tags) != 1 || a1.Pair.Tags[0] != "t,1" {
			t.Fatalf("tags %q", a1.Pair.Tags)
		}
		l, err := submit(s, u1.ID, a1, store.PrefA)
		if err != nil {
			t.Fatal(err)
		}
		want := store.PrefA
		if a1.Swapped {
			want = store.PrefB
		}
		if l.Preference != want || l.Swapped != a1.Swapped {
			t.Fatalf("orientation: swapped=%v stored %s", a1.Swapped, l.Preference)
		}
		if l.Swapped && (l.A.Coherence != 2 || l.B.Coherence != 7) || !l.Swapped && l.A.Coherence != 7 {
			t.Fatalf("ratings not unswapped: %+v", l)
		}
		if _, err := submit(s, u1.ID, a1, store.PrefB); !errors.Is(err, store.ErrAlreadyLabeled) {
			t.Fatalf("second label: %v", err)
		}
		// Another user cannot submit on u1's assignment.
		if _, err := submit(s, u2.ID, a1, store.PrefB); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("foreign assignment: %v", err)
		}
		// u1 never gets the same pair again; every pair gets at most K labels.
		seen := map[int64]bool{a1.Pair.ID: true}
		for {
			a, err := s.Next(ctx, u1.ID, p.ID)
			if errors.Is(err, store.ErrNoWork) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if seen[a.Pair.ID] {
				t.Fatalf("pair %d served twice to u1", a.Pair.ID)
			}
			seen[a.Pair.ID] = true
			if _, err := submit(s, u1.ID, a, store.PrefTie); err != nil {
				t.Fatal(err)
			}
		}
		if len(seen) != 3 {
			t.Fatalf("u1 labelled %d pairs, want 3", len(seen))
		}
		// u2 reserves, the reservation expires, u3 takes the slot: u2's late
		// label is refused on a full pair.
		a2, err := s.Next(ctx, u2.ID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		s.SetClock(func() time.Time { return now.Add(2 * time.Minute) })
		var a3 *store.Assignment
		for {
			a3, err = s.Next(ctx, u3.ID, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if a3.Pair.ID == a2.Pair.ID {
				break
			}
			if err := s.Skip(ctx, u3.ID, a3.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := submit(s, u3.ID, a3, store.PrefA); err != nil {
			t.Fatal(err)
		}
		if _, err := submit(s, u2.ID, a2, store.PrefA); !errors.Is(err, store.ErrExpired) {
			t.Fatalf("late label on full pair: %v", err)
		}
		s.SetClock(time.Now)
		// Labels are append-only.
		if _, err := s.DB().Exec(`UPDATE labels SET preference = 'B'`); err == nil {
			t.Fatal("labels could be updated")
		}
		if _, err := s.DB().Exec(`DELETE FROM labels`); err == nil {
			t.Fatal("labels could be deleted")
		}
		if _, err := s.DB().Exec(`DELETE FROM journal`); err == nil {
			t.Fatal("journal could be deleted")
		}
		j, err := s.Journal(ctx, 1000)
		if err != nil || len(j) < 10 {
			t.Fatalf("journal: %d entries, %v", len(j), err)
		}
	})
}

func TestGoldPausesAnnotator(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		p := mustProject(t, s, store.ProjectSettings{Name: "g", K: 1, GoldRate: 1, GoldThreshold: 0.6, GoldMin: 3}, 2, 5)
		u := mustUser(t, s, "bad", store.RoleAnnotator)
		for i := range 3 {
			a, err := s.Next(ctx, u.ID, p.ID)
			if err != nil {
				t.Fatalf("item %d: %v", i, err)
			}
			if a.Pair.Gold == "" {
				t.Fatalf("gold rate 1 served a regular pair")
			}
			wrong := store.PrefB // gold answer is A (stored orientation)
			if a.Swapped {
				wrong = store.PrefA
			}
			if _, err := submit(s, u.ID, a, wrong); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Next(ctx, u.ID, p.ID); !errors.Is(err, store.ErrPaused) {
			t.Fatalf("after 3 wrong gold answers: %v", err)
		}
		got, _ := s.UserByID(ctx, u.ID)
		if !got.Paused || got.PausedReason == "" {
			t.Fatalf("user not paused: %+v", got)
		}
	})
}

func TestQuarantine(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		p := mustProject(t, s, store.ProjectSettings{Name: "q"}, 1, 0)
		u := mustUser(t, s, "ann", store.RoleAnnotator)
		if err := s.QuarantineUser(ctx, 0, p.ID, u.ID, "flips labels"); err != nil {
			t.Fatal(err)
		}
		if err := s.QuarantineUser(ctx, 0, p.ID, u.ID, "again"); err != nil {
			t.Fatal(err)
		}
		q, err := s.Quarantines(ctx, p.ID)
		if err != nil || len(q) != 1 || q[u.ID].Reason != "flips labels" {
			t.Fatalf("quarantines %v %v", q, err)
		}
		if err := s.ReleaseUser(ctx, 0, p.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		if q, _ := s.Quarantines(ctx, p.ID); len(q) != 0 {
			t.Fatal("release kept the quarantine")
		}
	})
}

// TestConcurrentAssignment has many annotators race for a small project: each
// pair ends with exactly K labels from distinct annotators.
func TestConcurrentAssignment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		const pairs, k, workers = 20, 3, 10
		p := mustProject(t, s, store.ProjectSettings{Name: "c", K: k}, pairs, 0)
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			u := mustUser(t, s, fmt.Sprint("w", w), store.RoleAnnotator)
			wg.Go(func() {
				for {
					a, err := s.Next(ctx, u.ID, p.ID)
					if errors.Is(err, store.ErrNoWork) {
						return
					}
					if err == nil {
						_, err = submit(s, u.ID, a, store.PrefA)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		labels, err := s.Labels(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(labels) != pairs*k {
			t.Fatalf("%d labels, want %d", len(labels), pairs*k)
		}
		per := map[int64]map[int64]bool{}
		for _, l := range labels {
			if per[l.PairID] == nil {
				per[l.PairID] = map[int64]bool{}
			}
			if per[l.PairID][l.UserID] {
				t.Fatalf("pair %d labelled twice by %d", l.PairID, l.UserID)
			}
			per[l.PairID][l.UserID] = true
		}
		for id, m := range per {
			if len(m) != k {
				t.Fatalf("pair %d has %d labels", id, len(m))
			}
		}
	})
}

// sharedClock is one clock for several stores on one database (several app
// instances); tests move it forward to expire reservations.
type sharedClock struct{ offset atomic.Int64 }

func (c *sharedClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *sharedClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// eachShared runs fn on two stores over one fresh database of each dialect,
// as two app instances would use it, with one clock.
func eachShared(t *testing.T, fn func(t *testing.T, stores []*store.Store, clock *sharedClock)) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			dsn := storetest.DSN(t, d)
			stores := []*store.Store{storetest.OpenDSN(t, dsn), storetest.OpenDSN(t, dsn)}
			clock := &sharedClock{}
			for _, s := range stores {
				s.SetClock(clock.now)
			}
			fn(t, stores, clock)
		})
	}
}

// TestAssignmentGuaranteesUnderContention has 16 annotators on two stores
// over one database reserve, label, skip and abandon items all at once, in a
// project with gold items, while reservations expire under them and abandoned
// items are labelled late. Afterwards: every regular pair has exactly K
// labels from K annotators, nobody was served a pair they had labelled or
// skipped, gold items were served (at most once to each annotator) without
// counting towards K, and the store's counters agree with its rows.
func TestAssignmentGuaranteesUnderContention(t *testing.T) {
	eachShared(t, func(t *testing.T, stores []*store.Store, clock *sharedClock) {
		const pairs, gold, k, workers = 60, 6, 3, 16
		p := mustProject(t, stores[0], store.ProjectSettings{Name: "c", K: k, GoldRate: 0.2, Reservation: time.Minute}, pairs, gold)
		users := make([]*store.User, workers)
		for w := range users {
			users[w] = mustUser(t, stores[0], fmt.Sprint("w", w), store.RoleAnnotator)
		}
		// finished[w] holds the pairs worker w labelled or skipped: Next must
		// never serve them to w again.
		finished := make([]map[int64]bool, workers)
		var mu sync.Mutex
		var failures []string
		fail := func(format string, args ...any) {
			mu.Lock()
			failures = append(failures, fmt.Sprintf(format, args...))
			mu.Unlock()
		}
		// work has worker w label until Next says nothing is left. With
		// chaos it also skips, and abandons items (moving the clock past
		// every reservation) to label them late.
		work := func(w int, chaos bool) {
			s, u := stores[w%len(stores)], users[w]
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			var held []*store.Assignment
			for {
				a, err := s.Next(ctx, u.ID, p.ID)
				if errors.Is(err, store.ErrNoWork) {
					break
				}
				if err != nil {
					fail("worker %d: next: %v", w, err)
					return
				}
				if finished[w][a.Pair.ID] {
					fail("worker %d served pair %d again after labelling or skipping it", w, a.Pair.ID)
					return
				}
				switch r := rng.IntN(20); {
				case chaos && r == 0:
					if err := s.Skip(ctx, u.ID, a.ID); err != nil {
						fail("worker %d: skip: %v", w, err)
						return
					}
					finished[w][a.Pair.ID] = true
					continue
				case chaos && r == 1 && len(held) < 3:
					held = append(held, a)
					clock.advance(2 * time.Minute)
					continue
				}
				if _, err := submitReserving(s, u.ID, a, store.PrefA, rng.IntN(2) == 0); err == nil {
					finished[w][a.Pair.ID] = true
				} else if !errors.Is(err, store.ErrExpired) {
					// Another worker moved the clock: the slot may have gone.
					fail("worker %d: submit pair %d: %v", w, a.Pair.ID, err)
					return
				}
				if len(held) > 0 && rng.IntN(4) == 0 {
					late := held[0]
					held = held[1:]
					_, err := submit(s, u.ID, late, store.PrefB)
					switch {
					case err == nil:
						finished[w][late.Pair.ID] = true
					case errors.Is(err, store.ErrExpired), errors.Is(err, store.ErrAlreadyLabeled):
					case errors.Is(err, store.ErrNotFound) && finished[w][late.Pair.ID]:
						// Served to w again after it expired, and skipped.
					default:
						fail("worker %d: late label of pair %d: %v", w, late.Pair.ID, err)
						return
					}
				}
			}
		}
		var wg sync.WaitGroup
		for w := range workers {
			finished[w] = map[int64]bool{}
			wg.Go(func() { work(w, true) })
		}
		wg.Wait()
		// Abandoned items hold their slots until they expire: expire them,
		// and let everyone finish the project.
		clock.advance(2 * time.Minute)
		for w := range workers {
			wg.Go(func() { work(w, false) })
		}
		wg.Wait()
		for _, f := range failures {
			t.Error(f)
		}
		if t.Failed() {
			return
		}
		labels, err := stores[1].Labels(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		per := map[int64]map[int64]bool{}
		goldLabels := 0
		for _, l := range labels {
			if l.Gold {
				goldLabels++
				continue
			}
			if per[l.PairID] == nil {
				per[l.PairID] = map[int64]bool{}
			}
			per[l.PairID][l.UserID] = true
		}
		if len(labels)-goldLabels != pairs*k || len(per) != pairs {
			t.Errorf("%d regular labels on %d pairs, want %d on %d", len(labels)-goldLabels, len(per), pairs*k, pairs)
		}
		for id, by := range per {
			if len(by) != k {
				t.Errorf("pair %d labelled by %d annotators, want %d", id, len(by), k)
			}
		}
		if goldLabels == 0 || goldLabels > gold*workers {
			t.Errorf("%d gold labels, want 1 to %d", goldLabels, gold*workers)
		}
		for _, s := range stores {
			if err := s.CheckCounts(ctx, p.ID); err != nil {
				t.Error(err)
			}
		}
		t.Logf("%d regular and %d gold labels, clock moved %v", len(labels)-goldLabels, goldLabels, time.Duration(clock.offset.Load()))
	})
}

// TestOneReservationPerAnnotator sends one annotator's requests to two stores
// over one database at once (two browser tabs on two app instances): they all
// get the same item, not one reservation each.
func TestOneReservationPerAnnotator(t *testing.T) {
	eachShared(t, func(t *testing.T, stores []*store.Store, _ *sharedClock) {
		p := mustProject(t, stores[0], store.ProjectSettings{Name: "tabs", K: 2}, 30, 0)
		u := mustUser(t, stores[0], "tabs", store.RoleAnnotator)
		ids := make([]int64, 20)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				a, err := stores[i%2].Next(ctx, u.ID, p.ID)
				if err != nil {
					t.Error(err)
					return
				}
				ids[i] = a.ID
			})
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("one annotator got several reservations at once: %v", ids)
			}
		}
		if err := stores[0].CheckCounts(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
	})
}

// TestNextWaitsForLockedSlots: on PostgreSQL a reservation passes over the
// slots other transactions are taking (SKIP LOCKED), but when those are the
// last ones it waits for them instead of telling the annotator that nothing
// is left: the other transaction may give its slot back.
func TestNextWaitsForLockedSlots(t *testing.T) {
	s := storetest.Open(t, store.Postgres)
	p := mustProject(t, s, store.ProjectSettings{Name: "last", K: 1}, 1, 0)
	u := mustUser(t, s, "waiter", store.RoleAnnotator)
	holder, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback()
	if _, err := holder.Exec(`SELECT free FROM pair_slots FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Next(ctx, u.ID, p.ID)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Next returned while the last slot was locked: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	holder.Rollback() // the slot stays free
	if err := <-done; err != nil {
		t.Fatalf("Next after the slot was released: %v", err)
	}
}

// TestExpiredReservations: an expired reservation's slot goes back to the
// pair; a late label takes it again if it is still free; a skip of an
// expired reservation keeps the pair from its annotator.
func TestExpiredReservations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		clock := &sharedClock{}
		s.SetClock(clock.now)
		p := mustProject(t, s, store.ProjectSettings{Name: "late", K: 2, Reservation: time.Minute}, 1, 0)
		u1 := mustUser(t, s, "u1", store.RoleAnnotator)
		u2 := mustUser(t, s, "u2", store.RoleAnnotator)
		u3 := mustUser(t, s, "u3", store.RoleAnnotator)
		a1, err := s.Next(ctx, u1.ID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		clock.advance(2 * time.Minute)
		if _, err := s.Next(ctx, u2.ID, p.ID); err != nil { // reclaims u1's slot and takes one
			t.Fatal(err)
		}
		if _, err := submit(s, u1.ID, a1, store.PrefA); err != nil {
			t.Fatalf("late label while the pair has room: %v", err)
		}
		if _, err := s.Next(ctx, u3.ID, p.ID); !errors.Is(err, store.ErrNoWork) {
			t.Fatalf("third annotator on a K=2 pair: %v", err)
		}
		if err := s.CheckCounts(ctx, p.ID); err != nil {
			t.Fatal(err)
		}

		q := mustProject(t, s, store.ProjectSettings{Name: "skip", K: 2, Reservation: time.Minute}, 1, 0)
		b1, err := s.Next(ctx, u1.ID, q.ID)
		if err != nil {
			t.Fatal(err)
		}
		clock.advance(2 * time.Minute)
		if _, err := s.Next(ctx, u2.ID, q.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.Skip(ctx, u1.ID, b1.ID); err != nil {
			t.Fatalf("skip of an expired reservation: %v", err)
		}
		if a, err := s.Next(ctx, u1.ID, q.ID); !errors.Is(err, store.ErrNoWork) {
			t.Fatalf("skipped pair offered again: %v %+v", err, a)
		}
		if _, err := s.Next(ctx, u3.ID, q.ID); err != nil {
			t.Fatalf("the skipped slot is free for another annotator: %v", err)
		}
		if err := s.CheckCounts(ctx, q.ID); err != nil {
			t.Fatal(err)
		}
		done, remaining, err := s.Progress(ctx, u1.ID, p.ID)
		if err != nil || done != 1 || remaining != 1 {
			t.Fatalf("progress of u1: %d done, %d remaining, %v; want 1, 1", done, remaining, err)
		}
	})
}

// TestMigrateSlots writes assignments and labels as the schema before the
// slot counters had them (version 2), including an expired reservation whose
// slot another annotator took, and migrates: the counters agree with the
// rows and assignment carries on from them.
func TestMigrateSlots(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			dsn := storetest.DSN(t, d)
			old, err := store.OpenAtVersion(ctx, dsn, 2)
			if err != nil {
				t.Fatal(err)
			}
			p := mustProject(t, old, store.ProjectSettings{Name: "old", K: 2}, 3, 1)
			var uids []int64
			for _, n := range []string{"u1", "u2", "u3"} {
				uids = append(uids, mustUser(t, old, n, store.RoleAnnotator).ID)
			}
			pairs, err := old.Pairs(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now().UnixMilli()
			assign := func(pair, user int64, state string, expires int64) int64 {
				t.Helper()
				var id int64
				if err := old.DB().QueryRow(fmt.Sprintf(`INSERT INTO assignments (pair_id, user_id, project_id, swapped, state, reserved_at, expires_at)
					VALUES (%d, %d, %d, 0, '%s', %d, %d) RETURNING id`, pair, user, p.ID, state, now-120000, expires)).Scan(&id); err != nil {
					t.Fatal(err)
				}
				return id
			}
			label := func(assignment, pair, user int64, gold int) {
				t.Helper()
				if _, err := old.DB().Exec(fmt.Sprintf(`INSERT INTO labels (pair_id, user_id, project_id, assignment_id, swapped, preference,
					a_coherence, a_relevance, a_safety, b_coherence, b_relevance, b_safety, harmful, comment, duration_ms, gold, created_at)
					VALUES (%d, %d, %d, %d, 0, 'A', 5, 5, 5, 5, 5, 5, 0, '', 1000, %d, %d)`, pair, user, p.ID, assignment, gold, now)); err != nil {
					t.Fatal(err)
				}
			}
			// Pair 0: u1 labelled; u2's reservation expired and u3 labelled in its place.
			label(assign(pairs[0].ID, uids[0], "done", now-60000), pairs[0].ID, uids[0], 0)
			expired := assign(pairs[0].ID, uids[1], "open", now-60000)
			label(assign(pairs[0].ID, uids[2], "done", now+60000), pairs[0].ID, uids[2], 0)
			// Pair 1: u1 holds a live reservation. Gold pair: u1 labelled it.
			live := assign(pairs[1].ID, uids[0], "open", now+600000)
			label(assign(pairs[3].ID, uids[0], "done", now-60000), pairs[3].ID, uids[0], 1)
			old.Close()

			s := storetest.OpenDSN(t, dsn)
			if err := s.CheckCounts(ctx, p.ID); err != nil {
				t.Fatal(err)
			}
			done, remaining, err := s.Progress(ctx, uids[0], p.ID)
			if err != nil || done != 2 || remaining != 2*3-2 {
				t.Fatalf("progress of u1: %d done, %d remaining, %v; want 2, 4", done, remaining, err)
			}
			if a, err := s.Next(ctx, uids[0], p.ID); err != nil || a.ID != live {
				t.Fatalf("u1's live reservation: %v %+v", err, a)
			}
			late := &store.Assignment{ID: expired}
			if _, err := submit(s, uids[1], late, store.PrefA); !errors.Is(err, store.ErrExpired) {
				t.Fatalf("late label on a full pair: %v", err)
			}
			// u2 and u3 can finish the project; pair 0 stays at K labels.
			for _, uid := range uids[1:] {
				for {
					a, err := s.Next(ctx, uid, p.ID)
					if errors.Is(err, store.ErrNoWork) {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					if _, err := submit(s, uid, a, store.PrefA); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := s.CheckCounts(ctx, p.ID); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestReserveNext: a label submitted with ReserveNext reserves the next item
// in its transaction, which Next then returns; running out of items or a
// pause by the gold check does not fail the label.
func TestReserveNext(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		p := mustProject(t, s, store.ProjectSettings{Name: "r", K: 1}, 2, 0)
		u := mustUser(t, s, "u", store.RoleAnnotator)
		a1, err := s.Next(ctx, u.ID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := submitReserving(s, u.ID, a1, store.PrefA, true); err != nil {
			t.Fatal(err)
		}
		var open int
		s.DB().QueryRow(`SELECT COUNT(*) FROM assignments WHERE state = 'open'`).Scan(&open)
		if open != 1 {
			t.Fatalf("%d open reservations after a label with ReserveNext, want 1", open)
		}
		a2, err := s.Next(ctx, u.ID, p.ID)
		if err != nil || a2.Pair.ID == a1.Pair.ID {
			t.Fatalf("next item: %v %+v", err, a2)
		}
		if _, err := submitReserving(s, u.ID, a2, store.PrefA, true); err != nil {
			t.Fatalf("last label with nothing left to reserve: %v", err)
		}
		if _, err := s.Next(ctx, u.ID, p.ID); !errors.Is(err, store.ErrNoWork) {
			t.Fatalf("after the last item: %v", err)
		}
		if err := s.CheckCounts(ctx, p.ID); err != nil {
			t.Fatal(err)
		}

		g := mustProject(t, s, store.ProjectSettings{Name: "g", K: 1, GoldRate: 1, GoldThreshold: 1, GoldMin: 1}, 2, 2)
		a, err := s.Next(ctx, u.ID, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		wrong := store.PrefB
		if a.Swapped {
			wrong = store.PrefA
		}
		if _, err := submitReserving(s, u.ID, a, wrong, true); err != nil {
			t.Fatalf("label that pauses its annotator: %v", err)
		}
		if _, err := s.Next(ctx, u.ID, g.ID); !errors.Is(err, store.ErrPaused) {
			t.Fatalf("after a wrong gold answer under threshold 1: %v", err)
		}
		if err := s.CheckCounts(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
	})
}
