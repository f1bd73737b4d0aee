package judge

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/align-project/align/internal/atomicfile"
)

// Cache keeps judge answers on disk, one small JSON file per key under
// Dir/<first two hex digits>/<key>.json, so a rerun (or a resumed labelling)
// asks the server nothing twice. Writes are atomic; a corrupt entry reads as
// a miss. It is safe for concurrent use by goroutines and processes.
type Cache struct {
	Dir string
}

// cacheKey hashes its parts (judge, constitution version, the exact request)
// into a key.
func cacheKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s\x00", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (c *Cache) path(key string) string { return filepath.Join(c.Dir, key[:2], key+".json") }

// Get loads the entry for key into v and reports whether there was one.
func (c *Cache) Get(key string, v any) bool {
	if c == nil || c.Dir == "" {
		return false
	}
	b, err := os.ReadFile(c.path(key))
	if err != nil {
		return false
	}
	return json.Unmarshal(b, v) == nil
}

// Put stores v under key.
func (c *Cache) Put(key string, v any) error {
	if c == nil || c.Dir == "" {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("judge cache: %w", err)
	}
	p := c.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("judge cache: %w", err)
	}
	if err := atomicfile.WriteFile(p, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return fmt.Errorf("judge cache: %w", err)
	}
	return nil
}
