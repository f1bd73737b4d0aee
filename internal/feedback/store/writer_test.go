package store

import (
	"context"
	"path/filepath"
	"testing"
)

// TestSQLiteWriterShared: the stores of one process on one SQLite file (two
// app instances) share one writer mutex, however the file is named, so that
// their writes queue on it rather than on SQLITE_BUSY; the mutex is dropped
// when the last of them closes.
func TestSQLiteWriterShared(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "shared.db")
	a, err := Open(ctx, "sqlite:"+file)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	b, err := Open(ctx, "shared.db?_pragma=cache_size(100)")
	if err != nil {
		t.Fatal(err)
	}
	other, err := Open(ctx, "sqlite:other.db")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if a.writer == nil || a.writer != b.writer || a.writer == other.writer {
		t.Fatal("stores on one SQLite file do not share one writer mutex")
	}
	a.Close()
	a.Close() // a second Close must not release b's share
	sqliteWriters.Lock()
	_, held := sqliteWriters.files[a.writerFile]
	sqliteWriters.Unlock()
	if !held {
		t.Fatal("writer mutex dropped while a store still has the file open")
	}
	b.Close()
	sqliteWriters.Lock()
	_, held = sqliteWriters.files[a.writerFile]
	sqliteWriters.Unlock()
	if held {
		t.Fatal("writer mutex kept after every store closed")
	}
}
