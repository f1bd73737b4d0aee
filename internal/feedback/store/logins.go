package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrLoginLimit is the error of a login attempt over its limit; errors.As
// to *LoginLimitError says until when.
var ErrLoginLimit = errors.New("too many failed logins")

// LoginLimitError is a refused login attempt: key has had its Max attempts
// in the current window, which ends at Until.
type LoginLimitError struct {
	Key   string
	Until time.Time
}

func (e *LoginLimitError) Error() string {
	return fmt.Sprintf("%v for %s until %s", ErrLoginLimit, e.Key, e.Until.Format(time.RFC3339))
}

func (e *LoginLimitError) Unwrap() error { return ErrLoginLimit }

// LoginLimit is one counter a login attempt is charged to: at most Max
// attempts per window under Key (e.g. an account from one address).
type LoginLimit struct {
	Key string
	Max int
}

// ChargeLoginAttempt counts one login attempt against every limit, in fixed
// windows of length window that start with a key's first attempt. When a
// limit has no attempt left it charges none of them and returns a
// *LoginLimitError. Charging before the password is checked, in one
// transaction, keeps a flood of parallel guesses to the limit: every guess
// needs a free attempt. A caller refunds the attempts of a successful login
// (RefundLoginAttempt, ForgetLoginAttempts), so that only failures add up.
func (s *Store) ChargeLoginAttempt(ctx context.Context, window time.Duration, limits ...LoginLimit) error {
	now := s.nowMS()
	cutoff := now - window.Milliseconds()
	return s.withTx(ctx, func(t tx) error {
		// Windows that ended are of no use to anyone: sweep them here.
		if _, err := t.exec(ctx, `DELETE FROM login_attempts WHERE window_start <= $1`, cutoff); err != nil {
			return err
		}
		for _, l := range limits {
			var start int64
			var n int
			err := t.queryRow(ctx, `INSERT INTO login_attempts (key_hash, window_start, attempts) VALUES ($1, $2, 1)
				ON CONFLICT (key_hash) DO UPDATE SET attempts = login_attempts.attempts + 1
				RETURNING window_start, attempts`, hashToken(l.Key), now).Scan(&start, &n)
			if err != nil {
				return err
			}
			if n > l.Max {
				// Returning an error rolls back every charge of this attempt.
				return &LoginLimitError{Key: l.Key, Until: ms(start + window.Milliseconds())}
			}
		}
		return nil
	})
}

// RefundLoginAttempt takes back one attempt charged to key (a login that
// succeeded is not a failure of its address).
func (s *Store) RefundLoginAttempt(ctx context.Context, key string) error {
	return s.withTx(ctx, func(t tx) error {
		_, err := t.exec(ctx, `UPDATE login_attempts SET attempts = attempts - 1 WHERE key_hash = $1 AND attempts > 0`, hashToken(key))
		return err
	})
}

// ForgetLoginAttempts clears key's count (after a successful login of
// that account from that address, earlier typos are forgiven).
func (s *Store) ForgetLoginAttempts(ctx context.Context, key string) error {
	return s.withTx(ctx, func(t tx) error {
		_, err := t.exec(ctx, `DELETE FROM login_attempts WHERE key_hash = $1`, hashToken(key))
		return err
	})
}
