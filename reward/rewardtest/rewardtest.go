// Package rewardtest makes reward-model checkpoints for tests of the
// packages and commands that load one (or must refuse one).
package rewardtest

import (
	"path/filepath"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/reward"
)

// FromPolicy saves a fresh reward model on the body of the policy
// checkpoint in dir, its heads initialised from seed, and returns its
// directory.
func FromPolicy(t testing.TB, dir string, seed uint64) string {
	t.Helper()
	m, tok, err := checkpoint.LoadPolicy(dir)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := reward.New(m, tok, 0, seed)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "rm")
	if err := rm.Save(out); err != nil {
		t.Fatal(err)
	}
	return out
}
