package models

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/align-project/align/checkpoint"
)

// TestShippedBaseIsCurrent fails when the default corpus changed since the
// base was made: the base must then be made again (see base/README.md).
func TestShippedBaseIsCurrent(t *testing.T) {
	if err := Current(); err != nil {
		t.Fatal(err)
	}
	m, err := BaseMade()
	if err != nil || m.Threads < 1 || m.Command == "" {
		t.Fatalf("made.json: %+v, %v", m, err)
	}
}

// TestWriteBase checks that the written base loads as a policy with the
// shape its settings give, and that its size keeps within the 40 MB the
// repository allows it.
func TestWriteBase(t *testing.T) {
	dir := t.TempDir()
	if err := WriteBase(dir); err != nil {
		t.Fatal(err)
	}
	cfg, err := BaseConfig()
	if err != nil {
		t.Fatal(err)
	}
	m, tok, err := checkpoint.LoadPolicy(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c := m.Config; c.Layers != cfg.Layers || c.Channels != cfg.Dim || c.Context != cfg.Ctx || tok.VocabSize() != cfg.Vocab {
		t.Errorf("loaded %+v (vocab %d), settings %+v", c, tok.VocabSize(), cfg)
	}
	var size int64
	entries, err := os.ReadDir("base")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		fi, err := os.Stat(filepath.Join("base", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		size += fi.Size()
	}
	if size > 40<<20 {
		t.Errorf("the shipped base takes %d bytes, more than 40 MB", size)
	}
	if BaseDigest() == "" {
		t.Error("no digest")
	}
}
