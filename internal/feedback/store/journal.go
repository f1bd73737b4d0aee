package store

import (
	"context"
	"encoding/json"
)

// journal appends one change to the journal inside the transaction t.
func (t tx) journal(ctx context.Context, actorID int64, action, entity string, entityID int64, detail any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `INSERT INTO journal (at, actor_id, action, entity, entity_id, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
		t.s.nowMS(), actorID, action, entity, entityID, string(b))
	return err
}

// Journal returns the newest limit entries, newest first.
func (s *Store) Journal(ctx context.Context, limit int) ([]JournalEntry, error) {
	rows, err := s.query(ctx, `SELECT id, at, actor_id, action, entity, entity_id, detail FROM journal ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []JournalEntry
	for rows.Next() {
		var e JournalEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.ActorID, &e.Action, &e.Entity, &e.EntityID, &e.Detail); err != nil {
			return nil, err
		}
		e.At = ms(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
