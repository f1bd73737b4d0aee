package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"
)

// Session is a logged-in browser. Only the SHA-256 of its token is stored.
type Session struct {
	ID        int64
	User      User
	CSRFToken string
	ExpiresAt time.Time
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// CreateSession starts a session for userID that lasts ttl and returns its
// secret token (for the cookie) and CSRF token.
func (s *Store) CreateSession(ctx context.Context, userID int64, ttl time.Duration) (token, csrf string, err error) {
	token, csrf = randomToken(32), randomToken(32)
	now := s.Now()
	err = s.withTx(ctx, func(t tx) error {
		var id int64
		if err := t.queryRow(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			hashToken(token), userID, csrf, now.UnixMilli(), now.Add(ttl).UnixMilli()).Scan(&id); err != nil {
			return err
		}
		// Expired sessions are of no use to anyone: sweep them here.
		if _, err := t.exec(ctx, `DELETE FROM sessions WHERE expires_at < $1`, now.UnixMilli()); err != nil {
			return err
		}
		return t.journal(ctx, userID, "login", "session", id, nil)
	})
	return token, csrf, err
}

// SessionByToken returns the unexpired session whose token is token.
func (s *Store) SessionByToken(ctx context.Context, token string) (*Session, error) {
	h := hashToken(token)
	var sess Session
	var stored string
	var exp int64
	var role string
	var paused int
	var created int64
	err := s.queryRow(ctx, `SELECT s.id, s.token_hash, s.csrf_token, s.expires_at, u.id, u.username, u.role, u.paused, u.paused_reason, u.created_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`, h).
		Scan(&sess.ID, &stored, &sess.CSRFToken, &exp, &sess.User.ID, &sess.User.Username, &role, &paused, &sess.User.PausedReason, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(stored), []byte(h)) != 1 || exp <= s.nowMS() {
		return nil, ErrNotFound
	}
	sess.ExpiresAt = ms(exp)
	sess.User.Role, sess.User.Paused, sess.User.CreatedAt = Role(role), paused != 0, ms(created)
	return &sess, nil
}

// DeleteSession ends the session with the given token.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	return s.withTx(ctx, func(t tx) error {
		var id, uid int64
		err := t.queryRow(ctx, `DELETE FROM sessions WHERE token_hash = $1 RETURNING id, user_id`, hashToken(token)).Scan(&id, &uid)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		return t.journal(ctx, uid, "logout", "session", id, nil)
	})
}

// NewToken returns a fresh random token (256 bits, hex).
func NewToken() string { return randomToken(32) }
