package models

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/atomicfile"
	"github.com/align-project/align/train"
)

// baseFiles are the files of the shipped base: a checkpoint directory as
// 'align pretrain' writes it (without its resume state), the settings it
// was made with, a record of how (made.json) and its README. The whole
// directory is embedded, so that scripts/makebase builds before the first
// base exists; Current says when it is missing or stale.
//
//go:embed base
var baseFiles embed.FS

// BaseSettings is the file of settings the base was pretrained with.
const BaseSettings = "pretrain.yaml"

// Made records how the base was made, so that a reader (and the tests) can
// tell whether it still matches the code.
type Made struct {
	Command      string `json:"command"`       // the command that reproduces it, from the repository root
	Threads      int    `json:"threads"`       // results depend on the thread count
	CorpusSHA256 string `json:"corpus_sha256"` // of the default corpus it read (CorpusDigest)
}

// BaseConfig returns the settings the base was pretrained with.
func BaseConfig() (train.Config, error) {
	var c train.Config
	b, err := baseFiles.ReadFile("base/" + BaseSettings)
	if err != nil {
		return c, err
	}
	if err := c.DecodeYAML(bytes.NewReader(b), "models/base/"+BaseSettings); err != nil {
		return c, err
	}
	return c, nil
}

// BaseMade returns the record of how the base was made.
func BaseMade() (Made, error) {
	var m Made
	b, err := baseFiles.ReadFile("base/made.json")
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("models/base/made.json: %w", err)
	}
	return m, nil
}

// CorpusDigest is the SHA-256 of the default corpus, one document per line.
func CorpusDigest() string {
	h := sha256.New()
	for _, d := range data.DefaultCorpus() {
		h.Write([]byte(d))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Current reports whether the base was pretrained on today's default
// corpus; when not, it says so in the error.
func Current() error {
	m, err := BaseMade()
	if err != nil {
		return err
	}
	if got := CorpusDigest(); got != m.CorpusSHA256 {
		return fmt.Errorf("the shipped base was pretrained on another corpus (sha256 %.12s…, today's %.12s…): make it again with %q",
			m.CorpusSHA256, got, m.Command)
	}
	return nil
}

// BaseDigest is the SHA-256 over the names and contents of the base's
// files: the pipeline's record of which base a run started from.
func BaseDigest() string {
	h := sha256.New()
	fs.WalkDir(baseFiles, "base", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := baseFiles.ReadFile(path)
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))
}

// WriteBase writes the base's files into dir (created if needed), each
// atomically: a checkpoint directory that SFT, the reward model and the
// other stages load like one 'align pretrain' wrote.
func WriteBase(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return fs.WalkDir(baseFiles, "base", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := baseFiles.ReadFile(path)
		if err != nil {
			return err
		}
		return atomicfile.WriteFile(filepath.Join(dir, d.Name()), func(w io.Writer) error {
			_, err := w.Write(b)
			return err
		})
	})
}
