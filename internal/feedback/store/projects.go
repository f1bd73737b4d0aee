package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ProjectSettings are the knobs of a new project.
type ProjectSettings struct {
	Name          string
	K             int           // annotations per pair (default 3)
	GoldRate      float64       // share of gold items served (default 0.1)
	Reservation   time.Duration // default 30 minutes
	GoldThreshold float64       // pause under this gold accuracy (default 0.5)
	GoldMin       int           // gold answers before pausing applies (default 5)
}

func (p *ProjectSettings) defaults() error {
	if p.Name == "" || len(p.Name) > 100 {
		return fmt.Errorf("%w: a project name has 1 to 100 characters", ErrInvalid)
	}
	if p.K == 0 {
		p.K = 3
	}
	if p.Reservation == 0 {
		p.Reservation = 30 * time.Minute
	}
	if p.GoldMin == 0 {
		p.GoldMin = 5
	}
	// !(x >= 0 && x <= 1) rather than x < 0 || x > 1: NaN fails both.
	if p.K < 1 || p.K > 100 || !(p.GoldRate >= 0 && p.GoldRate <= 1) || !(p.GoldThreshold >= 0 && p.GoldThreshold <= 1) || p.Reservation < time.Second {
		return fmt.Errorf("%w: k 1–100, gold rate and threshold 0–1, reservation ≥ 1s", ErrInvalid)
	}
	return nil
}

// CreateProject adds a project.
func (s *Store) CreateProject(ctx context.Context, actorID int64, ps ProjectSettings) (*Project, error) {
	if err := ps.defaults(); err != nil {
		return nil, err
	}
	p := &Project{Name: ps.Name, K: ps.K, GoldRate: ps.GoldRate, Reservation: ps.Reservation,
		GoldThreshold: ps.GoldThreshold, GoldMin: ps.GoldMin, CreatedAt: s.Now()}
	err := s.withTx(ctx, func(t tx) error {
		err := t.queryRow(ctx, `INSERT INTO projects (name, k, gold_rate, reservation_secs, gold_threshold, gold_min, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			p.Name, p.K, p.GoldRate, int64(p.Reservation/time.Second), p.GoldThreshold, p.GoldMin, p.CreatedAt.UnixMilli()).Scan(&p.ID)
		if isUnique(err) {
			return fmt.Errorf("project %q: %w", p.Name, ErrDuplicate)
		}
		if err != nil {
			return err
		}
		return t.journal(ctx, actorID, "create", "project", p.ID, ps)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

const projectColumns = `p.id, p.name, p.k, p.gold_rate, p.reservation_secs, p.gold_threshold, p.gold_min, p.created_at,
	(SELECT COUNT(*) FROM pairs x WHERE x.project_id = p.id AND x.gold = ''),
	(SELECT COUNT(*) FROM pairs x WHERE x.project_id = p.id AND x.gold <> ''),
	(SELECT COUNT(*) FROM labels l WHERE l.project_id = p.id)`

func scanProject(row interface{ Scan(...any) error }) (*Project, error) {
	var p Project
	var res, created int64
	if err := row.Scan(&p.ID, &p.Name, &p.K, &p.GoldRate, &res, &p.GoldThreshold, &p.GoldMin, &created, &p.Pairs, &p.Gold, &p.Labels); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	p.Reservation, p.CreatedAt = time.Duration(res)*time.Second, ms(created)
	p.Targets = p.K * p.Pairs
	return &p, nil
}

// ProjectByID returns one project with its counts.
func (s *Store) ProjectByID(ctx context.Context, id int64) (*Project, error) {
	return scanProject(s.queryRow(ctx, `SELECT `+projectColumns+` FROM projects p WHERE p.id = $1`, id))
}

// ProjectByName returns one project with its counts.
func (s *Store) ProjectByName(ctx context.Context, name string) (*Project, error) {
	return scanProject(s.queryRow(ctx, `SELECT `+projectColumns+` FROM projects p WHERE p.name = $1`, name))
}

// Projects lists every project with its counts.
func (s *Store) Projects(ctx context.Context) ([]Project, error) {
	rows, err := s.query(ctx, `SELECT `+projectColumns+` FROM projects p ORDER BY p.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}
