package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// CreateUser adds an account with a hashed password. actorID is the admin
// doing it (0 for the command line).
func (s *Store) CreateUser(ctx context.Context, actorID int64, username, password string, role Role) (*User, error) {
	if !role.Valid() {
		return nil, fmt.Errorf("%w: unknown role %q", ErrInvalid, role)
	}
	if username == "" || len(username) > 64 {
		return nil, fmt.Errorf("%w: a username has 1 to 64 characters", ErrInvalid)
	}
	if len(password) < 8 || len(password) > 256 {
		return nil, fmt.Errorf("%w: a password has 8 to 256 characters", ErrInvalid)
	}
	hash := HashPassword(password)
	u := &User{Username: username, Role: role, CreatedAt: s.Now()}
	err := s.withTx(ctx, func(t tx) error {
		err := t.queryRow(ctx, `INSERT INTO users (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			username, hash, string(role), u.CreatedAt.UnixMilli()).Scan(&u.ID)
		if isUnique(err) {
			return fmt.Errorf("user %q: %w", username, ErrDuplicate)
		}
		if err != nil {
			return err
		}
		return t.journal(ctx, actorID, "create", "user", u.ID, map[string]any{"username": username, "role": role})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

const userColumns = `id, username, role, paused, paused_reason, created_at`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	var role string
	var paused int
	var created int64
	if err := row.Scan(&u.ID, &u.Username, &role, &paused, &u.PausedReason, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	u.Role, u.Paused, u.CreatedAt = Role(role), paused != 0, ms(created)
	return &u, nil
}

// UserByID returns the user with the given id.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	return scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
}

// UserByName returns the user with the given name.
func (s *Store) UserByName(ctx context.Context, username string) (*User, error) {
	return scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1`, username))
}

// Users lists every account by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.query(ctx, `SELECT `+userColumns+` FROM users ORDER BY username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// Authenticate returns the user whose name and password match, or
// ErrNotFound. It takes about as long for unknown names as for known ones.
func (s *Store) Authenticate(ctx context.Context, username, password string) (*User, error) {
	var hash string
	err := s.queryRow(ctx, `SELECT password_hash FROM users WHERE username = $1`, username).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		CheckPasswordHash(dummyHash, password)
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if !CheckPasswordHash(hash, password) {
		return nil, ErrNotFound
	}
	return s.UserByName(ctx, username)
}

// SetPaused pauses or resumes an annotator; a paused annotator gets no items.
func (s *Store) SetPaused(ctx context.Context, actorID, userID int64, paused bool, reason string) error {
	return s.withTx(ctx, func(t tx) error {
		return t.setPaused(ctx, actorID, userID, paused, reason)
	})
}

func (t tx) setPaused(ctx context.Context, actorID, userID int64, paused bool, reason string) error {
	res, err := t.exec(ctx, `UPDATE users SET paused = $1, paused_reason = $2 WHERE id = $3`, b2i(paused), reason, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	action := "resume"
	if paused {
		action = "pause"
	}
	return t.journal(ctx, actorID, action, "user", userID, map[string]any{"reason": reason})
}
