// Package storetest opens fresh annotation stores for tests: a SQLite file in
// a temporary directory, and a PostgreSQL schema of its own on the test
// server that scripts/start-postgres.sh starts.
package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/align-project/align/internal/feedback/store"
)

// Hint is what to run when the PostgreSQL test server is missing.
const Hint = "run scripts/start-postgres.sh (or ./test.sh), or set ALIGN_TEST_POSTGRES=postgres://...; go test -short skips this"

func init() {
	// Tests create many accounts: cheap password hashes keep them fast.
	store.SetHashCost(1024, 1)
}

// Each runs fn as a subtest on a fresh SQLite store and on a fresh PostgreSQL
// store; under -short, on SQLite only.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Dialects lists the dialects that Each runs: SQLite and PostgreSQL, or
// SQLite alone under -short.
func Dialects() []store.Dialect {
	if testing.Short() {
		return []store.Dialect{store.SQLite}
	}
	return []store.Dialect{store.SQLite, store.Postgres}
}

// Open returns a fresh, migrated store of dialect d, closed when the test
// ends. For PostgreSQL it fails the test (or skips it under -short) when no
// server is configured.
func Open(t testing.TB, d store.Dialect) *store.Store {
	t.Helper()
	return OpenDSN(t, DSN(t, d))
}

// DSN returns the DSN of a fresh, empty database of dialect d: a SQLite file
// in a temporary directory, or a PostgreSQL schema of the test's own. Open it
// more than once to run several app instances on one database.
func DSN(t testing.TB, d store.Dialect) string {
	t.Helper()
	if d == store.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "feedback.db")
	}
	return schemaDSN(t, PostgresDSN(t))
}

// OpenDSN opens (and migrates) the store at dsn, closed when the test ends.
func OpenDSN(t testing.TB, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open store %s: %v", dsn, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// PostgresDSN returns the test server's DSN from $ALIGN_TEST_POSTGRES or
// $ALIGN_ASSETS/postgres.dsn (default <repo>/.assets/postgres.dsn).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("ALIGN_TEST_POSTGRES")
	if dsn == "" {
		assets := os.Getenv("ALIGN_ASSETS")
		if assets == "" {
			assets = filepath.Join(repoRoot(), ".assets")
		}
		if b, err := os.ReadFile(filepath.Join(assets, "postgres.dsn")); err == nil {
			dsn = strings.TrimSpace(string(b))
		}
	}
	if dsn == "" {
		missing(t, "no PostgreSQL test server configured")
	}
	db, err := sql.Open("pgx", dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
		db.Close()
	}
	if err != nil {
		missing(t, fmt.Sprintf("PostgreSQL test server at %s unreachable: %v", dsn, err))
	}
	return dsn
}

func missing(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("%s; %s", why, Hint)
	}
	t.Fatalf("%s; %s", why, Hint)
}

// schemaDSN creates a schema of the test's own and returns a DSN whose
// search_path points at it; the schema is dropped when the test ends.
func schemaDSN(t testing.TB, dsn string) string {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("t_%d_%d", os.Getpid(), time.Now().UnixNano())
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		db.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		db.Close()
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

// repoRoot finds the module root above the working directory.
func repoRoot() string {
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// LabelAll has the annotator userID label every item the store assigns
// them in projectID until there is no more work, preferring the side choose
// picks from the two responses as shown (left, right), and returns how many
// labels it submitted. Ratings are the same fixed, valid values for both.
func LabelAll(t testing.TB, s *store.Store, userID, projectID int64, choose func(left, right string) store.Preference) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	for {
		a, err := s.Next(ctx, userID, projectID)
		if errors.Is(err, store.ErrNoWork) {
			return n
		} else if err != nil {
			t.Fatal(err)
		}
		left, right := a.Shown()
		r := store.Ratings{Coherence: 8, Relevance: 8, Safety: 9}
		if _, err := s.SubmitLabel(ctx, store.Submission{UserID: userID, AssignmentID: a.ID, Preference: choose(left, right), Left: r, Right: r}); err != nil {
			t.Fatal(err)
		}
		n++
	}
}

// PreferRefusal chooses the side that starts "I can't", else B.
func PreferRefusal(left, _ string) store.Preference {
	if strings.HasPrefix(left, "I can't") {
		return store.PrefA
	}
	return store.PrefB
}
