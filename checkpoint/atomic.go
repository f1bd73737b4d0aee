package checkpoint

import (
	"io"

	"github.com/align-project/align/internal/atomicfile"
)

// WriteFileAtomic writes a file through write and makes it appear at path only
// once it is complete: the bytes go to a temporary file in the same directory
// (buffered), which is synced, closed and renamed over path. On any error the
// temporary file is removed and path is left as it was. The new file has mode
// 0644, set explicitly (umask does not apply).
func WriteFileAtomic(path string, write func(w io.Writer) error) error {
	return atomicfile.WriteFile(path, write)
}
