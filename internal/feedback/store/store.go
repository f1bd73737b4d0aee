package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Dialect names the SQL database behind a Store.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Errors the store returns for conditions the web app turns into messages.
var (
	ErrNotFound       = errors.New("not found")
	ErrDuplicate      = errors.New("already exists")
	ErrNoWork         = errors.New("no more items to label")
	ErrPaused         = errors.New("annotator is paused")
	ErrAlreadyLabeled = errors.New("item already labelled")
	ErrExpired        = errors.New("reservation expired and the item was given to someone else")
	ErrInvalid        = errors.New("invalid input")
)

// Store is the annotation app's database. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	dialect Dialect

	// writer serialises this process's write transactions on a SQLite file
	// (nil on PostgreSQL). SQLite admits one writer at a time anyway; waiting
	// on a mutex instead of on SQLITE_BUSY keeps the busy handler's sleeps
	// (up to 100 ms each) out of every contended request.
	writer     *sync.Mutex
	writerFile string
	closeOnce  sync.Once

	mu  sync.Mutex
	now func() time.Time
}

// Open connects to the database named by dsn and applies any pending
// migrations. dsn is "sqlite:FILE" (or a bare file name) for SQLite and
// "postgres://..." or "postgresql://..." for PostgreSQL.
func Open(ctx context.Context, dsn string) (*Store, error) {
	var (
		db   *sql.DB
		d    Dialect
		file string
	)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		d = Postgres
		var err error
		db, err = sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(32)
	default:
		d = SQLite
		file = strings.TrimPrefix(dsn, "sqlite:")
		if file == "" {
			return nil, fmt.Errorf("open sqlite: empty file name in %q", dsn)
		}
		sep := "?"
		if strings.Contains(file, "?") {
			sep = "&"
		}
		conn := "file:" + file + sep + "_txlock=immediate" +
			"&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
			"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
		var err error
		db, err = sql.Open("sqlite", conn)
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
	}
	s := &Store{db: db, dialect: d, now: time.Now}
	if d == SQLite {
		s.writerFile, s.writer = sqliteWriter(file)
	}
	if err := db.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect %s: %w", d, err)
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.writer != nil {
			releaseSQLiteWriter(s.writerFile)
		}
	})
	return s.db.Close()
}

// sqliteWriters holds one writer mutex per SQLite file, shared by the stores
// of this process that have it open (two app instances in one process, or a
// command run beside the server in tests), with the number of such stores.
var sqliteWriters = struct {
	sync.Mutex
	files map[string]*sharedWriter
}{files: map[string]*sharedWriter{}}

type sharedWriter struct {
	mu   sync.Mutex
	refs int
}

func sqliteWriter(file string) (string, *sync.Mutex) {
	key, _, _ := strings.Cut(file, "?")
	if abs, err := filepath.Abs(key); err == nil {
		key = abs
	}
	sqliteWriters.Lock()
	defer sqliteWriters.Unlock()
	w := sqliteWriters.files[key]
	if w == nil {
		w = &sharedWriter{}
		sqliteWriters.files[key] = w
	}
	w.refs++
	return key, &w.mu
}

func releaseSQLiteWriter(key string) {
	sqliteWriters.Lock()
	defer sqliteWriters.Unlock()
	if w := sqliteWriters.files[key]; w != nil {
		if w.refs--; w.refs <= 0 {
			delete(sqliteWriters.files, key)
		}
	}
}

// Dialect reports which database the store uses.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB returns the underlying handle, for tests and maintenance.
func (s *Store) DB() *sql.DB { return s.db }

// SetClock replaces the store's clock (tests use it to expire sessions and
// reservations).
func (s *Store) SetClock(now func() time.Time) {
	s.mu.Lock()
	s.now = now
	s.mu.Unlock()
}

// Now returns the store's current time.
func (s *Store) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

func (s *Store) nowMS() int64 { return s.Now().UnixMilli() }

var placeholder = regexp.MustCompile(`\$(\d+)`)

// q adapts a query written with $N placeholders to the store's dialect.
func (s *Store) q(query string) string {
	if s.dialect == SQLite {
		return placeholder.ReplaceAllString(query, "?$1")
	}
	return query
}

// forUpdate is the row-locking suffix of a SELECT inside a transaction
// (SQLite transactions already hold the write lock from BEGIN IMMEDIATE).
func (s *Store) forUpdate() string {
	if s.dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// forUpdateOf is forUpdate restricted to the rows of one table alias of a join.
func (s *Store) forUpdateOf(alias string) string {
	if s.dialect == Postgres {
		return " FOR UPDATE OF " + alias
	}
	return ""
}

// skipLocked is forUpdate for a queue: rows that other transactions hold are
// passed over instead of waited for.
func (s *Store) skipLocked() string {
	if s.dialect == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// lockUserOf locks the users row of alias against the user's other write
// transactions. NO KEY UPDATE leaves the row free for the foreign-key checks
// (KEY SHARE) of inserts that reference the user.
func (s *Store) lockUserOf(alias string) string {
	if s.dialect == Postgres {
		return " FOR NO KEY UPDATE OF " + alias
	}
	return ""
}

// tx wraps a transaction with dialect-aware query helpers.
type tx struct {
	*sql.Tx
	s *Store
}

func (t tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.ExecContext(ctx, t.s.q(query), args...)
}

func (t tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.QueryRowContext(ctx, t.s.q(query), args...)
}

func (t tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.QueryContext(ctx, t.s.q(query), args...)
}

// errRetry asks withTx to run a transaction again: what it read changed
// under it before it could write.
var errRetry = errors.New("concurrent change; transaction retried")

// withTx runs fn in a transaction, committing when it returns nil. It retries
// transactions that failed on lock contention: SQLITE_BUSY, or a PostgreSQL
// serialization failure or deadlock, and those that returned errRetry.
func (s *Store) withTx(ctx context.Context, fn func(tx) error) error {
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		err = s.tryTx(ctx, fn)
		if err == nil || !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 5 * time.Millisecond):
		}
	}
	return err
}

func (s *Store) tryTx(ctx context.Context, fn func(tx) error) error {
	if s.writer != nil {
		s.writer.Lock()
		defer s.writer.Unlock()
	}
	t, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx{t, s}); err != nil {
		t.Rollback()
		return err
	}
	return t.Commit()
}

func retryable(err error) bool {
	if errors.Is(err, errRetry) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked") ||
		strings.Contains(msg, "SQLSTATE 40001") ||
		strings.Contains(msg, "SQLSTATE 40P01")
}

// isUnique reports whether err is a unique-constraint violation.
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint") || strings.Contains(msg, "SQLSTATE 23505")
}

func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return s.db.QueryRowContext(ctx, s.q(query), args...)
}

func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return s.db.QueryContext(ctx, s.q(query), args...)
}

// randomToken returns n random bytes as URL-safe text.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
