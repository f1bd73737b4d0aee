package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ProjectInfo returns a project's settings without its counts (Pairs, Gold,
// Labels and Targets are zero): what an annotation page needs, without
// counting a large project's pairs and labels on every request.
func (s *Store) ProjectInfo(ctx context.Context, id int64) (*Project, error) {
	var p Project
	var res, created int64
	err := s.queryRow(ctx, `SELECT id, name, k, gold_rate, reservation_secs, gold_threshold, gold_min, created_at
		FROM projects WHERE id = $1`, id).Scan(&p.ID, &p.Name, &p.K, &p.GoldRate, &res, &p.GoldThreshold, &p.GoldMin, &created)
	if err != nil {
		return nil, notFound(err)
	}
	p.Reservation, p.CreatedAt = time.Duration(res)*time.Second, ms(created)
	return &p, nil
}

// Progress reports how many items the user has labelled in a project and how
// many regular label slots the project still has open. A regular pair never
// gets more than K labels, so the open slots are K × pairs minus the regular
// labels; both come from counters, not from counting rows.
func (s *Store) Progress(ctx context.Context, userID, projectID int64) (done, remaining int, err error) {
	err = s.queryRow(ctx, `SELECT
			COALESCE((SELECT regular + gold FROM label_counts WHERE project_id = pr.id AND user_id = $1), 0),
			pr.k * pr.regular_pairs - COALESCE((SELECT SUM(regular) FROM label_counts WHERE project_id = pr.id), 0)
		FROM projects pr WHERE pr.id = $2`, userID, projectID).Scan(&done, &remaining)
	return done, remaining, notFound(err)
}

// CheckCounts recounts what the assignment counters of a project stand for
// (each regular pair's free slots, each annotator's labels, the number of
// regular pairs) and reports the first disagreement, or a pair labelled by
// more than K annotators. The tests run it after hammering the store.
func (s *Store) CheckCounts(ctx context.Context, projectID int64) error {
	// Each query yields (id, stored, recounted) for the rows it checks; a row
	// whose two counts differ is reported with the check's message.
	checks := []struct{ msg, query string }{
		{"pair %d has %d free slots, recounted %d", `SELECT p.id AS id, COALESCE(s.free, -1) AS stored,
			pr.k - (SELECT COUNT(*) FROM assignments a WHERE a.pair_id = p.id AND a.state IN ('open', 'done')) AS recounted
			FROM pairs p JOIN projects pr ON pr.id = p.project_id LEFT JOIN pair_slots s ON s.pair_id = p.id
			WHERE p.project_id = $1 AND p.gold = ''`},
		{"pair %d has %d free slots, fewer than %d", `SELECT pair_id AS id, free AS stored, 0 AS recounted FROM pair_slots
			WHERE project_id = $1 AND free < 0`},
		{"pair %d has more than K = %d labels: %d", `SELECT l.pair_id AS id, MIN(pr.k) AS stored, COUNT(*) AS recounted FROM labels l JOIN projects pr ON pr.id = l.project_id
			WHERE l.project_id = $1 AND l.gold = 0 GROUP BY l.pair_id HAVING COUNT(*) > MIN(pr.k)`},
		{"user %d has %d regular labels counted, recounted %d", `SELECT u.id AS id, COALESCE(c.regular, 0) AS stored,
			(SELECT COUNT(*) FROM labels l WHERE l.project_id = $1 AND l.user_id = u.id AND l.gold = 0) AS recounted
			FROM users u LEFT JOIN label_counts c ON c.project_id = $1 AND c.user_id = u.id`},
		{"user %d has %d gold labels counted, recounted %d", `SELECT u.id AS id, COALESCE(c.gold, 0) AS stored,
			(SELECT COUNT(*) FROM labels l WHERE l.project_id = $1 AND l.user_id = u.id AND l.gold = 1) AS recounted
			FROM users u LEFT JOIN label_counts c ON c.project_id = $1 AND c.user_id = u.id`},
		{"project %d has %d regular pairs counted, recounted %d", `SELECT id, regular_pairs AS stored,
			(SELECT COUNT(*) FROM pairs p WHERE p.project_id = $1 AND p.gold = '') AS recounted
			FROM projects WHERE id = $1`},
	}
	for _, c := range checks {
		var id, stored, recounted int64
		err := s.queryRow(ctx, `SELECT * FROM (`+c.query+`) x WHERE stored <> recounted LIMIT 1`, projectID).
			Scan(&id, &stored, &recounted)
		if err == nil {
			return fmt.Errorf("project %d: "+c.msg, projectID, id, stored, recounted)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	return nil
}

// notFound turns a missing row into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
