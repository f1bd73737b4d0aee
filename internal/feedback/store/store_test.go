package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
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
	r := store.Ratings{Coherence: 7, Relevance: 6, Safety: 9}
	return s.SubmitLabel(ctx, store.Submission{UserID: uid, AssignmentID: a.ID, Preference: pref, Left: r, Right: store.Ratings{Coherence: 2, Relevance: 3, Safety: 4}})
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
