// Package testkit holds the checks that the tests of several packages
// share: that an error names the right setting, and that a directory was
// left exactly as it was.
package testkit

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/internal/yamlconf"
)

// WantKeyError fails the test unless err is (or wraps) a *yamlconf.KeyError
// of key whose text holds every one of want.
func WantKeyError(t testing.TB, err error, key string, want ...string) {
	t.Helper()
	ke, ok := errors.AsType[*yamlconf.KeyError](err)
	if !ok || ke.Key != key {
		t.Fatalf("err %v, want a KeyError of %s", err, key)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("err %q lacks %q", err, w)
		}
	}
}

// Snapshot returns the content of every file under dir by relative path.
func Snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Unchanged fails the test when after (a Snapshot) differs from before:
// what names the directory in the message.
func Unchanged(t testing.TB, what string, before, after map[string]string) {
	t.Helper()
	if len(before) != len(after) {
		t.Errorf("%s: %d files, was %d", what, len(after), len(before))
	}
	for name, b := range before {
		if after[name] != b {
			t.Errorf("%s: %s changed", what, name)
		}
	}
}
