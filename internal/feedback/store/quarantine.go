package store

import (
	"context"
	"fmt"
)

// QuarantineUser excludes a user's labels in a project from export. The
// labels stay in the database. Quarantining twice keeps the first reason.
func (s *Store) QuarantineUser(ctx context.Context, actorID, projectID, userID int64, reason string) error {
	if len(reason) > 500 {
		return fmt.Errorf("%w: reason longer than 500 bytes", ErrInvalid)
	}
	return s.withTx(ctx, func(t tx) error {
		res, err := t.exec(ctx, `INSERT INTO quarantines (project_id, user_id, reason, actor_id, created_at)
			SELECT $1, id, $3, $4, $5 FROM users WHERE id = $2 AND EXISTS (SELECT 1 FROM projects WHERE id = $1)
			ON CONFLICT (project_id, user_id) DO NOTHING`, projectID, userID, reason, actorID, s.nowMS())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return t.journal(ctx, actorID, "quarantine", "user", userID, map[string]any{"project": projectID, "reason": reason})
	})
}

// ReleaseUser lifts a quarantine.
func (s *Store) ReleaseUser(ctx context.Context, actorID, projectID, userID int64) error {
	return s.withTx(ctx, func(t tx) error {
		res, err := t.exec(ctx, `DELETE FROM quarantines WHERE project_id = $1 AND user_id = $2`, projectID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return t.journal(ctx, actorID, "release", "user", userID, map[string]any{"project": projectID})
	})
}

// Quarantines returns the quarantined users of a project, by user id.
func (s *Store) Quarantines(ctx context.Context, projectID int64) (map[int64]Quarantine, error) {
	rows, err := s.query(ctx, `SELECT q.project_id, q.user_id, u.username, q.reason, q.actor_id, q.created_at
		FROM quarantines q JOIN users u ON u.id = q.user_id WHERE q.project_id = $1`, projectID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]Quarantine{}
	for rows.Next() {
		var q Quarantine
		var created int64
		if err := rows.Scan(&q.ProjectID, &q.UserID, &q.Username, &q.Reason, &q.ActorID, &created); err != nil {
			return nil, err
		}
		q.CreatedAt = ms(created)
		out[q.UserID] = q
	}
	return out, rows.Err()
}
