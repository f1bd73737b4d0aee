package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Limits on imported text, so that one bad line cannot bloat the database.
const (
	MaxPromptLen   = 64 << 10
	MaxResponseLen = 64 << 10
)

// AddPairs imports pairs into a project. Pairs whose ExtID is already in the
// project are left alone; an empty ExtID becomes the pair's line number in
// the project ("p<N>"). It returns how many were added and skipped.
func (s *Store) AddPairs(ctx context.Context, actorID, projectID int64, pairs []Pair) (added, skipped int, err error) {
	for i, p := range pairs {
		if p.Prompt == "" || p.ResponseA == "" || p.ResponseB == "" {
			return 0, 0, fmt.Errorf("%w: pair %d: prompt and both responses are required", ErrInvalid, i+1)
		}
		if len(p.Prompt) > MaxPromptLen || len(p.ResponseA) > MaxResponseLen || len(p.ResponseB) > MaxResponseLen || len(p.ExtID) > 200 {
			return 0, 0, fmt.Errorf("%w: pair %d: text too long", ErrInvalid, i+1)
		}
		if p.Gold != "" && !p.Gold.Valid() {
			return 0, 0, fmt.Errorf("%w: pair %d: gold answer %q", ErrInvalid, i+1, p.Gold)
		}
	}
	err = s.withTx(ctx, func(t tx) error {
		added, skipped = 0, 0
		var n int
		if err := t.queryRow(ctx, `SELECT COUNT(*) FROM pairs WHERE project_id = $1`, projectID).Scan(&n); err != nil {
			return err
		}
		now := s.nowMS()
		for _, p := range pairs {
			ext := p.ExtID
			if ext == "" {
				n++
				ext = "p" + strconv.Itoa(n)
			}
			var id int64
			err := t.queryRow(ctx, `INSERT INTO pairs (project_id, ext_id, prompt, response_a, response_b, tags, gold, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (project_id, ext_id) DO NOTHING RETURNING id`,
				projectID, ext, p.Prompt, p.ResponseA, p.ResponseB, tagsJSON(p.Tags), string(p.Gold), now).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				skipped++
				continue
			}
			if err != nil {
				return err
			}
			added++
		}
		return t.journal(ctx, actorID, "import", "project", projectID, map[string]int{"added": added, "skipped": skipped})
	})
	return added, skipped, err
}

const pairColumns = `id, project_id, ext_id, prompt, response_a, response_b, tags, gold`

func scanPair(row interface{ Scan(...any) error }) (*Pair, error) {
	var p Pair
	var tags, gold string
	if err := row.Scan(&p.ID, &p.ProjectID, &p.ExtID, &p.Prompt, &p.ResponseA, &p.ResponseB, &tags, &gold); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	if tags != "" {
		json.Unmarshal([]byte(tags), &p.Tags)
	}
	p.Gold = Preference(gold)
	return &p, nil
}

// Pairs returns a project's pairs by id.
func (s *Store) Pairs(ctx context.Context, projectID int64) ([]Pair, error) {
	rows, err := s.query(ctx, `SELECT `+pairColumns+` FROM pairs WHERE project_id = $1 ORDER BY id`, projectID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Pair
	for rows.Next() {
		p, err := scanPair(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}

func tagsJSON(tags []string) string {
	if len(tags) == 0 {
		return ""
	}
	b, _ := json.Marshal(tags)
	return string(b)
}
