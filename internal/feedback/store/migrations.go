package store

import (
	"context"
	"fmt"
	"strings"
)

// migration changes the schema by one step; it runs in its own transaction.
type migration func(ctx context.Context, t tx) error

// migrations is the ordered schema history: append, never edit. The schema
// version is the number of migrations applied.
var migrations = []migration{
	migrateInitial,
	migrateAppendOnly,
	migrateLoginAttempts,
	migrateSlots,
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for {
		done := false
		err := s.withTx(ctx, func(t tx) error {
			if s.dialect == Postgres {
				// Serialise concurrent migrators (several test processes, several servers).
				if _, err := t.exec(ctx, `LOCK TABLE schema_version IN EXCLUSIVE MODE`); err != nil {
					return err
				}
			}
			var v int
			if err := t.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v); err != nil {
				return err
			}
			if v >= len(migrations) {
				done = true
				return nil
			}
			if err := migrations[v](ctx, t); err != nil {
				return fmt.Errorf("migration %d: %w", v+1, err)
			}
			if _, err := t.exec(ctx, `DELETE FROM schema_version`); err != nil {
				return err
			}
			_, err := t.exec(ctx, `INSERT INTO schema_version (version) VALUES ($1)`, v+1)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if done {
			return nil
		}
	}
}

// ddl expands the dialect placeholders of a schema statement: {{id}} is an
// auto-incrementing primary key.
func (t tx) ddl(ctx context.Context, stmts string) error {
	id := "INTEGER PRIMARY KEY AUTOINCREMENT"
	if t.s.dialect == Postgres {
		id = "BIGSERIAL PRIMARY KEY"
	}
	for _, stmt := range strings.Split(stmts, ";\n") {
		stmt = strings.TrimSpace(strings.ReplaceAll(stmt, "{{id}}", id))
		if stmt == "" {
			continue
		}
		if _, err := t.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%w\n%s", err, stmt)
		}
	}
	return nil
}

// Times are Unix milliseconds, booleans 0/1: the same on both databases.
func migrateInitial(ctx context.Context, t tx) error {
	return t.ddl(ctx, `
CREATE TABLE users (
	id {{id}},
	username TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL,
	role TEXT NOT NULL,
	paused INTEGER NOT NULL DEFAULT 0,
	paused_reason TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL
);
CREATE TABLE sessions (
	id {{id}},
	token_hash TEXT NOT NULL UNIQUE,
	user_id BIGINT NOT NULL REFERENCES users(id),
	csrf_token TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE TABLE projects (
	id {{id}},
	name TEXT NOT NULL UNIQUE,
	k INTEGER NOT NULL,
	gold_rate DOUBLE PRECISION NOT NULL,
	reservation_secs INTEGER NOT NULL,
	gold_threshold DOUBLE PRECISION NOT NULL,
	gold_min INTEGER NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE TABLE pairs (
	id {{id}},
	project_id BIGINT NOT NULL REFERENCES projects(id),
	ext_id TEXT NOT NULL,
	prompt TEXT NOT NULL,
	response_a TEXT NOT NULL,
	response_b TEXT NOT NULL,
	tags TEXT NOT NULL DEFAULT '',
	gold TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	UNIQUE (project_id, ext_id)
);
CREATE TABLE assignments (
	id {{id}},
	pair_id BIGINT NOT NULL REFERENCES pairs(id),
	user_id BIGINT NOT NULL REFERENCES users(id),
	project_id BIGINT NOT NULL REFERENCES projects(id),
	swapped INTEGER NOT NULL,
	state TEXT NOT NULL,
	reserved_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	UNIQUE (pair_id, user_id)
);
CREATE INDEX assignments_user ON assignments (user_id, project_id, state);
CREATE TABLE labels (
	id {{id}},
	pair_id BIGINT NOT NULL REFERENCES pairs(id),
	user_id BIGINT NOT NULL REFERENCES users(id),
	project_id BIGINT NOT NULL REFERENCES projects(id),
	assignment_id BIGINT NOT NULL REFERENCES assignments(id),
	swapped INTEGER NOT NULL,
	preference TEXT NOT NULL,
	a_coherence INTEGER NOT NULL,
	a_relevance INTEGER NOT NULL,
	a_safety INTEGER NOT NULL,
	b_coherence INTEGER NOT NULL,
	b_relevance INTEGER NOT NULL,
	b_safety INTEGER NOT NULL,
	harmful INTEGER NOT NULL,
	comment TEXT NOT NULL,
	duration_ms BIGINT NOT NULL,
	gold INTEGER NOT NULL,
	created_at BIGINT NOT NULL,
	UNIQUE (pair_id, user_id)
);
CREATE INDEX labels_project ON labels (project_id, user_id);
CREATE TABLE quarantines (
	project_id BIGINT NOT NULL REFERENCES projects(id),
	user_id BIGINT NOT NULL REFERENCES users(id),
	reason TEXT NOT NULL,
	actor_id BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (project_id, user_id)
);
CREATE TABLE journal (
	id {{id}},
	at BIGINT NOT NULL,
	actor_id BIGINT NOT NULL,
	action TEXT NOT NULL,
	entity TEXT NOT NULL,
	entity_id BIGINT NOT NULL,
	detail TEXT NOT NULL
)`)
}

// migrateAppendOnly makes labels and the journal refuse UPDATE and DELETE.
func migrateAppendOnly(ctx context.Context, t tx) error {
	if t.s.dialect == Postgres {
		return t.ddl(ctx, `
CREATE FUNCTION align_append_only() RETURNS trigger LANGUAGE plpgsql AS
'BEGIN RAISE EXCEPTION ''% is append-only'', TG_TABLE_NAME; END';
CREATE TRIGGER labels_append_only BEFORE UPDATE OR DELETE ON labels
	FOR EACH ROW EXECUTE FUNCTION align_append_only();
CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal
	FOR EACH ROW EXECUTE FUNCTION align_append_only()`)
	}
	for _, table := range []string{"labels", "journal"} {
		for _, op := range []string{"UPDATE", "DELETE"} {
			stmt := fmt.Sprintf(`CREATE TRIGGER %[1]s_no_%[2]s BEFORE %[2]s ON %[1]s
BEGIN SELECT RAISE(ABORT, '%[1]s is append-only'); END`, table, strings.ToLower(op))
			if _, err := t.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
	}
	return nil
}

// migrateLoginAttempts keeps the login rate limit in the database, so that
// a restart does not lift a lockout and every app instance on one database
// sees the same counts. Keys are hashed: what people type into the name
// field is sometimes a password.
func migrateLoginAttempts(ctx context.Context, t tx) error {
	return t.ddl(ctx, `
CREATE TABLE login_attempts (
	key_hash TEXT PRIMARY KEY,
	window_start BIGINT NOT NULL,
	attempts INTEGER NOT NULL
);
CREATE INDEX login_attempts_window ON login_attempts (window_start)`)
}

// migrateSlots adds the counters that let assignment run without scanning a
// project or locking its row:
//   - pair_slots.free is how many more annotators a regular pair may be given:
//     K minus its assignments that are open or done. Next takes a slot, a skip
//     or an expired reservation gives it back; gold pairs have no slots.
//   - label_counts holds each annotator's labels per project, and
//     projects.regular_pairs the project's regular pairs, for the progress
//     line of every annotation page.
//
// Reservations that expired before now become 'expired' (their slot is free),
// which keeps free ≥ 0: before this migration an expired reservation and the
// label that took its place could both exist.
func migrateSlots(ctx context.Context, t tx) error {
	if _, err := t.exec(ctx, `UPDATE assignments SET state = 'expired' WHERE state = 'open' AND expires_at <= $1`, t.s.nowMS()); err != nil {
		return err
	}
	if err := t.ddl(ctx, `
CREATE TABLE pair_slots (
	pair_id BIGINT PRIMARY KEY REFERENCES pairs(id),
	project_id BIGINT NOT NULL,
	free INTEGER NOT NULL
);
CREATE INDEX pair_slots_free ON pair_slots (project_id, free, pair_id) WHERE free > 0;
INSERT INTO pair_slots (pair_id, project_id, free)
	SELECT p.id, p.project_id, pr.k - (SELECT COUNT(*) FROM assignments a WHERE a.pair_id = p.id AND a.state IN ('open', 'done'))
	FROM pairs p JOIN projects pr ON pr.id = p.project_id WHERE p.gold = '';
UPDATE pair_slots SET free = 0 WHERE free < 0;
CREATE TABLE label_counts (
	project_id BIGINT NOT NULL REFERENCES projects(id),
	user_id BIGINT NOT NULL REFERENCES users(id),
	regular INTEGER NOT NULL,
	gold INTEGER NOT NULL,
	PRIMARY KEY (project_id, user_id)
);
INSERT INTO label_counts (project_id, user_id, regular, gold)
	SELECT project_id, user_id, SUM(1 - gold), SUM(gold) FROM labels GROUP BY project_id, user_id;
ALTER TABLE projects ADD COLUMN regular_pairs INTEGER NOT NULL DEFAULT 0;
UPDATE projects SET regular_pairs = (SELECT COUNT(*) FROM pairs p WHERE p.project_id = projects.id AND p.gold = '');
CREATE INDEX assignments_open ON assignments (project_id, expires_at) WHERE state = 'open';
CREATE INDEX pairs_gold ON pairs (project_id, id) WHERE gold <> ''`); err != nil {
		return err
	}
	// Every way a pair enters the database gets its slots: a trigger, so that
	// no import path can forget them. Pairs are never updated or deleted.
	if t.s.dialect == Postgres {
		for _, stmt := range []string{`CREATE FUNCTION align_pair_slots() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
	IF NEW.gold = '' THEN
		INSERT INTO pair_slots (pair_id, project_id, free) SELECT NEW.id, NEW.project_id, k FROM projects WHERE id = NEW.project_id;
		UPDATE projects SET regular_pairs = regular_pairs + 1 WHERE id = NEW.project_id;
	END IF;
	RETURN NULL;
END
$body$`,
			`CREATE TRIGGER pairs_slots AFTER INSERT ON pairs FOR EACH ROW EXECUTE FUNCTION align_pair_slots()`,
		} {
			if _, err := t.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	}
	_, err := t.ExecContext(ctx, `CREATE TRIGGER pairs_slots AFTER INSERT ON pairs WHEN NEW.gold = ''
BEGIN
	INSERT INTO pair_slots (pair_id, project_id, free) SELECT NEW.id, NEW.project_id, k FROM projects WHERE id = NEW.project_id;
	UPDATE projects SET regular_pairs = regular_pairs + 1 WHERE id = NEW.project_id;
END`)
	return err
}
