package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/align-project/align/internal/feedback/store"
	"github.com/align-project/align/internal/feedback/store/storetest"
)

// TestLoginAttempts: attempts are counted per key in fixed windows; a
// refused attempt charges nothing; refunds and forgetting undo a success;
// the counts are in the database, shared by every Store on it, and keys are
// stored hashed.
func TestLoginAttempts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		now := time.UnixMilli(1_700_000_000_000)
		s.SetClock(func() time.Time { return now })
		acct, addr := store.LoginLimit{Key: "account:root@a", Max: 2}, store.LoginLimit{Key: "address:a", Max: 3}
		charge := func() error { return s.ChargeLoginAttempt(ctx, 10*time.Minute, acct, addr) }
		for i := range 2 {
			if err := charge(); err != nil {
				t.Fatalf("attempt %d: %v", i+1, err)
			}
		}
		err := charge()
		le, ok := errors.AsType[*store.LoginLimitError](err)
		if !ok || le.Key != acct.Key || !le.Until.Equal(now.Add(10*time.Minute)) || !errors.Is(err, store.ErrLoginLimit) {
			t.Fatalf("attempt 3: %v, want the account's limit until %v", err, now.Add(10*time.Minute))
		}
		// The refused attempt charged nothing: the address has one left.
		if err := s.ChargeLoginAttempt(ctx, 10*time.Minute, store.LoginLimit{Key: "account:bob@a", Max: 2}, addr); err != nil {
			t.Fatalf("another name from the address: %v", err)
		}
		if err := s.ChargeLoginAttempt(ctx, 10*time.Minute, addr); err == nil {
			t.Fatal("a 4th attempt from the address was not refused")
		}
		if err := s.RefundLoginAttempt(ctx, addr.Key); err != nil {
			t.Fatal(err)
		}
		if err := s.ForgetLoginAttempts(ctx, acct.Key); err != nil {
			t.Fatal(err)
		}
		if err := charge(); err != nil {
			t.Fatalf("after a refund and forgetting: %v", err)
		}
		if err := charge(); err == nil {
			t.Fatal("the address's limit was not reached")
		}
		var n int
		if err := s.DB().QueryRow(`SELECT COUNT(*) FROM login_attempts WHERE key_hash LIKE '%root%' OR key_hash LIKE '%address%'`).Scan(&n); err != nil || n != 0 {
			t.Errorf("%d keys stored in the clear (%v)", n, err)
		}
		now = now.Add(10 * time.Minute)
		if err := charge(); err != nil {
			t.Fatalf("in the next window: %v", err)
		}
	})
}
