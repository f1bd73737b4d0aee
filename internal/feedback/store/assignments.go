package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
)

// Assignment states. A regular pair has K slots (pair_slots.free counts the
// ones left): an open or done assignment holds one, and every change of state
// moves free in the same transaction.
const (
	stateOpen    = "open"    // reserved until expires_at; holds its slot until a reservation reclaims it
	stateDone    = "done"    // labelled
	stateSkipped = "skipped" // the annotator passed; not offered to them again
	stateExpired = "expired" // the reservation ran out and its slot went back to the pair
)

// Next returns the item userID should label next in a project: the item
// already reserved for them if its reservation is live, else a newly reserved
// one. A gold item is chosen with the project's gold rate; a regular pair is
// one with a free slot (fewer than K live reservations and labels), never one
// the user has labelled or skipped, preferring pairs nearest completion. It
// returns ErrPaused for a paused annotator and ErrNoWork when nothing is left.
//
// Annotators reserve concurrently: on PostgreSQL a reservation locks only the
// annotator's own row and the slot row of the pair it takes, passing over the
// pairs that others are taking at that moment (SKIP LOCKED).
func (s *Store) Next(ctx context.Context, userID, projectID int64) (*Assignment, error) {
	// Usually the label just submitted reserved this item (see
	// Submission.ReserveNext): reading it needs no write transaction.
	if a, err := s.liveReservation(ctx, userID, projectID); err != nil || a != nil {
		return a, err
	}
	var a *Assignment
	err := s.withTx(ctx, func(t tx) error {
		id, err := t.reserve(ctx, userID, projectID)
		if err != nil {
			return err
		}
		a, err = scanAssignment(t.queryRow(ctx, assignmentQuery+` WHERE a.id = $1`, id))
		return err
	})
	return a, err
}

var assignmentQuery = `SELECT a.id, a.user_id, a.swapped, a.reserved_at, a.expires_at, ` + pairColumnsOfP + `
	FROM assignments a JOIN pairs p ON p.id = a.pair_id`

// liveReservation returns the user's open, unexpired reservation in a
// project, or nil, read without locks; ErrPaused when the user is paused.
func (s *Store) liveReservation(ctx context.Context, userID, projectID int64) (*Assignment, error) {
	var paused int
	if err := s.queryRow(ctx, `SELECT paused FROM users WHERE id = $1`, userID).Scan(&paused); err != nil {
		return nil, notFound(err)
	}
	if paused != 0 {
		return nil, ErrPaused
	}
	a, err := scanAssignment(s.queryRow(ctx, assignmentQuery+`
		WHERE a.user_id = $1 AND a.project_id = $2 AND a.state = 'open' AND a.expires_at > $3 ORDER BY a.id LIMIT 1`,
		userID, projectID, s.nowMS()))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return a, err
}

// reserve returns the id of the user's live reservation in a project,
// reserving an item when they have none (see Next).
func (t tx) reserve(ctx context.Context, userID, projectID int64) (int64, error) {
	// The user's lock serialises their own requests (two tabs, two app
	// instances), so that they hold one reservation at a time.
	var resSecs, paused int
	var goldRate float64
	err := t.queryRow(ctx, `SELECT pr.gold_rate, pr.reservation_secs, u.paused FROM projects pr, users u
		WHERE pr.id = $1 AND u.id = $2`+t.s.lockUserOf("u"), projectID, userID).Scan(&goldRate, &resSecs, &paused)
	if err != nil {
		return 0, notFound(err)
	}
	if paused != 0 {
		return 0, ErrPaused
	}
	now := t.s.nowMS()
	var id int64
	err = t.queryRow(ctx, `SELECT id FROM assignments WHERE user_id = $1 AND project_id = $2 AND state = 'open' AND expires_at > $3
		ORDER BY id LIMIT 1`, userID, projectID, now).Scan(&id)
	if !errors.Is(err, sql.ErrNoRows) {
		return id, err // the live reservation, or a failure
	}
	if err := t.reclaimExpired(ctx, projectID, now); err != nil {
		return 0, err
	}
	var pairID int64
	if goldRate > 0 && rand.Float64() < goldRate {
		if pairID, err = t.pickGold(ctx, userID, projectID); err != nil {
			return 0, err
		}
	}
	if pairID == 0 {
		if pairID, err = t.takeSlot(ctx, userID, projectID); err != nil {
			return 0, err
		}
	}
	if pairID == 0 {
		return 0, ErrNoWork
	}
	swapped := rand.IntN(2) == 1
	// The user may hold an expired assignment of this pair: it is reopened.
	err = t.queryRow(ctx, `INSERT INTO assignments (pair_id, user_id, project_id, swapped, state, reserved_at, expires_at)
		VALUES ($1, $2, $3, $4, 'open', $5, $6)
		ON CONFLICT (pair_id, user_id) DO UPDATE SET swapped = excluded.swapped, state = 'open',
			reserved_at = excluded.reserved_at, expires_at = excluded.expires_at
		WHERE assignments.state = 'expired'
		RETURNING id`, pairID, userID, projectID, b2i(swapped), now, now+int64(resSecs)*1000).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		// That expired assignment was labelled or skipped since the pick.
		return 0, errRetry
	}
	if err != nil {
		return 0, err
	}
	return id, t.journal(ctx, userID, "reserve", "assignment", id, map[string]any{"pair": pairID, "swapped": swapped})
}

// reclaimExpired gives the slots of a project's expired reservations back to
// their pairs. Reservations that another transaction holds are left to it.
func (t tx) reclaimExpired(ctx context.Context, projectID, now int64) error {
	rows, err := t.query(ctx, `UPDATE assignments SET state = 'expired' WHERE state = 'open' AND id IN (
			SELECT id FROM assignments WHERE project_id = $1 AND state = 'open' AND expires_at <= $2`+t.s.skipLocked()+`)
		RETURNING pair_id`, projectID, now)
	if err != nil {
		return err
	}
	freed := map[int64]int{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		freed[id]++
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// In pair order, so that two reclaiming transactions cannot deadlock.
	for _, id := range slices.Sorted(maps.Keys(freed)) {
		if _, err := t.exec(ctx, `UPDATE pair_slots SET free = free + $1 WHERE pair_id = $2`, freed[id], id); err != nil {
			return err
		}
	}
	return nil
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

// pickGold returns a gold pair the user has not labelled or skipped, or 0.
// Gold pairs have no slots: every annotator may get each of them once.
func (t tx) pickGold(ctx context.Context, userID, projectID int64) (int64, error) {
	var id int64
	err := t.queryRow(ctx, `SELECT p.id FROM pairs p
		WHERE p.project_id = $1 AND p.gold <> ''
		AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.pair_id = p.id AND a.user_id = $2 AND a.state <> 'expired')
		ORDER BY p.id LIMIT 1`, projectID, userID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// takeSlot takes a free slot of a regular pair that the user has not been
// given before (an expired reservation of theirs excepted), fullest pair
// first, and returns the pair, or 0.
func (t tx) takeSlot(ctx context.Context, userID, projectID int64) (int64, error) {
	take := func(lock string) (int64, error) {
		var id int64
		err := t.queryRow(ctx, `UPDATE pair_slots SET free = free - 1 WHERE free > 0 AND pair_id = (
				SELECT s.pair_id FROM pair_slots s
				WHERE s.project_id = $1 AND s.free > 0
				AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.pair_id = s.pair_id AND a.user_id = $2 AND a.state <> 'expired')
				ORDER BY s.free, s.pair_id LIMIT 1`+lock+`)
			RETURNING pair_id`, projectID, userID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		return id, err
	}
	id, err := take(t.s.skipLocked())
	if id != 0 || err != nil || t.s.dialect != Postgres {
		return id, err
	}
	// The pairs passed over may hold the last free slots, and the transactions
	// holding them may give them back: wait for them rather than tell the
	// annotator that nothing is left.
	return take(t.s.forUpdate())
}

// Skip gives an item back: it will not be offered to this user again. An open
// reservation's slot goes back to the pair (an expired one's already has).
func (s *Store) Skip(ctx context.Context, userID, assignmentID int64) error {
	return s.withTx(ctx, func(t tx) error {
		var pairID int64
		var state string
		err := t.queryRow(ctx, `SELECT pair_id, state FROM assignments WHERE id = $1 AND user_id = $2`+s.forUpdate(), assignmentID, userID).
			Scan(&pairID, &state)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && state != stateOpen && state != stateExpired) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := t.exec(ctx, `UPDATE assignments SET state = 'skipped' WHERE id = $1`, assignmentID); err != nil {
			return err
		}
		if state == stateOpen {
			// A gold pair has no slot row: nothing to give back.
			if _, err := t.exec(ctx, `UPDATE pair_slots SET free = free + 1 WHERE pair_id = $1`, pairID); err != nil {
				return err
			}
		}
		return t.journal(ctx, userID, "skip", "assignment", assignmentID, nil)
	})
}

// pairColumnsOfP is pairColumns of the table alias p.
var pairColumnsOfP = "p." + strings.ReplaceAll(pairColumns, " ", " p.")
