// Package testkit holds the checks that the tests of several packages
// share: that an error names the right setting, that a directory was left
// exactly as it was, and that a model's gradients match finite
// differences.
package testkit

import (
	"cmp"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
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

// CheckParamGrads compares the n largest of grads, the gradients of
// objective with respect to params as a backward pass left them, with
// central differences of objective. The forward passes are float32, so the
// tolerance is loose (3% and 1e-5); a sign or factor error still fails.
func CheckParamGrads(t testing.TB, params, grads []float32, n int, objective func() float64) {
	t.Helper()
	grads = slices.Clone(grads)
	idx := make([]int, len(grads))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		return -cmp.Compare(math.Abs(float64(grads[a])), math.Abs(float64(grads[b])))
	})
	checked := 0
	for _, i := range idx[:min(n, len(idx))] {
		g := float64(grads[i])
		if g == 0 {
			continue
		}
		h := float32(1e-2)
		old := params[i]
		params[i] = old + h
		fp := objective()
		params[i] = old - h
		fm := objective()
		params[i] = old
		fd := (fp - fm) / (2 * float64(h))
		if math.Abs(fd-g) > 0.03*math.Abs(g)+1e-5 {
			t.Errorf("parameter %d: gradient %.6g, finite differences %.6g", i, g, fd)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("all gradients are zero")
	}
}

// Asset returns the path of the file or directory rel (slash-separated)
// among the test assets scripts/install-test-assets.sh installs: under
// $ALIGN_ASSETS, or .assets at the repository root. A missing asset skips
// the test under -short and fails it otherwise, saying how to install it.
func Asset(t testing.TB, rel string) string {
	t.Helper()
	root := os.Getenv("ALIGN_ASSETS")
	if root == "" {
		dir, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for ; ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				break
			}
			if filepath.Dir(dir) == dir {
				t.Fatal("testkit: no go.mod above the test's directory")
			}
		}
		root = filepath.Join(dir, ".assets")
	}
	path := filepath.Join(root, filepath.FromSlash(rel))
	if _, err := os.Stat(path); err != nil {
		if testing.Short() {
			t.Skipf("test asset %s is not installed", path)
		}
		t.Fatalf("test asset %s is not installed\nhint: run scripts/install-test-assets.sh (or go test -short to skip)", path)
	}
	return path
}
