package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math/rand/v2"
)

// Assignment states.
const (
	stateOpen    = "open"    // reserved until expires_at
	stateDone    = "done"    // labelled
	stateSkipped = "skipped" // the annotator passed; not offered to them again
)

// Next returns the item userID should label next in a project: the item
// already reserved for them if its reservation is live, else a newly reserved
// one. A gold item is chosen with the project's gold rate; a regular pair is
// one with fewer than K live reservations and labels, never one the user has
// labelled or skipped, preferring pairs nearest completion. It returns
// ErrPaused for a paused annotator and ErrNoWork when nothing is left.
func (s *Store) Next(ctx context.Context, userID, projectID int64) (*Assignment, error) {
	var a *Assignment
	err := s.withTx(ctx, func(t tx) error {
		a = nil
		// Lock the project row so that concurrent reservations see each other.
		var k, resSecs int
		var goldRate float64
		if err := t.queryRow(ctx, `SELECT k, gold_rate, reservation_secs FROM projects WHERE id = $1`+s.forUpdate(), projectID).
			Scan(&k, &goldRate, &resSecs); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		var paused int
		if err := t.queryRow(ctx, `SELECT paused FROM users WHERE id = $1`, userID).Scan(&paused); err != nil {
			return err
		}
		if paused != 0 {
			return ErrPaused
		}
		now := s.nowMS()
		var err error
		a, err = t.liveAssignment(ctx, userID, projectID, now)
		if err != nil || a != nil {
			return err
		}
		var pairID int64
		if goldRate > 0 && rand.Float64() < goldRate {
			pairID, err = t.pickGold(ctx, userID, projectID)
			if err != nil {
				return err
			}
		}
		if pairID == 0 {
			pairID, err = t.pickPair(ctx, userID, projectID, k, now)
			if err != nil {
				return err
			}
		}
		if pairID == 0 {
			return ErrNoWork
		}
		swapped := rand.IntN(2) == 1
		exp := now + int64(resSecs)*1000
		var id int64
		if err := t.queryRow(ctx, `INSERT INTO assignments (pair_id, user_id, project_id, swapped, state, reserved_at, expires_at)
			VALUES ($1, $2, $3, $4, 'open', $5, $6)
			ON CONFLICT (pair_id, user_id) DO UPDATE SET swapped = excluded.swapped, state = 'open',
				reserved_at = excluded.reserved_at, expires_at = excluded.expires_at
			RETURNING id`, pairID, userID, projectID, b2i(swapped), now, exp).Scan(&id); err != nil {
			return err
		}
		if err := t.journal(ctx, userID, "reserve", "assignment", id, map[string]any{"pair": pairID, "swapped": swapped}); err != nil {
			return err
		}
		a, err = t.liveAssignment(ctx, userID, projectID, now)
		if err == nil && a == nil {
			err = errors.New("reserved assignment vanished")
		}
		return err
	})
	return a, err
}

// liveAssignment returns the user's open, unexpired reservation, if any.
func (t tx) liveAssignment(ctx context.Context, userID, projectID, now int64) (*Assignment, error) {
	row := t.queryRow(ctx, `SELECT a.id, a.user_id, a.swapped, a.reserved_at, a.expires_at, `+prefixed("p.", pairColumns)+`
		FROM assignments a JOIN pairs p ON p.id = a.pair_id
		WHERE a.user_id = $1 AND a.project_id = $2 AND a.state = 'open' AND a.expires_at > $3
		ORDER BY a.id LIMIT 1`, userID, projectID, now)
	a, err := scanAssignment(row)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return a, err
}

func scanAssignment(row interface{ Scan(...any) error }) (*Assignment, error) {
	var a Assignment
	var swapped int
	var res, exp int64
	var tags, gold string
	p := &a.Pair
	err := row.Scan(&a.ID, &a.UserID, &swapped, &res, &exp, &p.ID, &p.ProjectID, &p.ExtID, &p.Prompt, &p.ResponseA, &p.ResponseB, &tags, &gold)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	a.Swapped, a.ReservedAt, a.ExpiresAt = swapped != 0, ms(res), ms(exp)
	p.Gold = Preference(gold)
	if tags != "" {
		json.Unmarshal([]byte(tags), &p.Tags)
	}
	return &a, nil
}

// pickGold returns a gold pair the user has not seen, or 0.
func (t tx) pickGold(ctx context.Context, userID, projectID int64) (int64, error) {
	var id int64
	err := t.queryRow(ctx, `SELECT p.id FROM pairs p
		WHERE p.project_id = $1 AND p.gold <> ''
		AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.pair_id = p.id AND a.user_id = $2 AND a.state <> 'open')
		ORDER BY p.id LIMIT 1`, projectID, userID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// pickPair returns a regular pair that still needs annotations and that the
// user has not labelled or skipped, or 0.
func (t tx) pickPair(ctx context.Context, userID, projectID int64, k int, now int64) (int64, error) {
	var id int64
	err := t.queryRow(ctx, `SELECT id FROM (
			SELECT p.id,
				(SELECT COUNT(*) FROM assignments a WHERE a.pair_id = p.id
					AND (a.state = 'done' OR (a.state = 'open' AND a.expires_at > $3))) AS taken
			FROM pairs p
			WHERE p.project_id = $1 AND p.gold = ''
			AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.pair_id = p.id AND a.user_id = $2 AND a.state <> 'open')
		) c WHERE taken < $4 ORDER BY taken DESC, id LIMIT 1`, projectID, userID, now, k).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// Skip gives an item back: it will not be offered to this user again.
func (s *Store) Skip(ctx context.Context, userID, assignmentID int64) error {
	return s.withTx(ctx, func(t tx) error {
		res, err := t.exec(ctx, `UPDATE assignments SET state = 'skipped' WHERE id = $1 AND user_id = $2 AND state = 'open'`, assignmentID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return t.journal(ctx, userID, "skip", "assignment", assignmentID, nil)
	})
}

// Progress reports how many items the user has labelled in a project and how
// many regular label slots the project still has open.
func (s *Store) Progress(ctx context.Context, userID, projectID int64) (done, remaining int, err error) {
	if err = s.queryRow(ctx, `SELECT COUNT(*) FROM labels WHERE user_id = $1 AND project_id = $2`, userID, projectID).Scan(&done); err != nil {
		return
	}
	// A regular pair never gets more than K labels, so the open slots are
	// K × pairs minus the regular labels.
	err = s.queryRow(ctx, `SELECT pr.k * (SELECT COUNT(*) FROM pairs p WHERE p.project_id = pr.id AND p.gold = '')
		- (SELECT COUNT(*) FROM labels l WHERE l.project_id = pr.id AND l.gold = 0)
		FROM projects pr WHERE pr.id = $1`, projectID).Scan(&remaining)
	return
}

func prefixed(prefix, columns string) string {
	out := prefix
	for _, c := range columns {
		out += string(c)
		if c == ' ' {
			out += prefix
		}
	}
	return out
}
