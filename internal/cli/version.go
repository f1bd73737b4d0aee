package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/align-project/align/tensor"
)

// Version is the release of align; release builds set it with
// -ldflags "-X github.com/align-project/align/internal/cli.Version=v1.2.3".
var Version = "dev"

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, Go toolchain, platform, kernels and thread count",
		Long: `version prints what this align binary is and how it will compute: its
version, the Go toolchain that built it, the operating system and CPU
architecture, the kernel implementation selected for this CPU (avx512, avx2
or go, the portable fallback) and the number of worker threads (--threads).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "align %s\n", version())
			fmt.Fprintf(w, "go:      %s\n", runtime.Version())
			fmt.Fprintf(w, "os/arch: %s/%s\n", runtime.GOOS, runtime.GOARCH)
			fmt.Fprintf(w, "kernels: %s\n", tensor.Implementation())
			fmt.Fprintf(w, "threads: %d\n", tensor.Threads())
			return nil
		},
	}
}

// version returns Version, or for "dev" builds the module version or VCS
// revision recorded by the Go toolchain when there is one.
func version() string {
	if Version != "dev" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return Version
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return Version
}

// buildID identifies this binary for the done markers of 'align run': its
// version and a digest of the executable, so that a rebuilt align with
// other code reruns the stages it made, while the same binary skips them.
func buildID() string {
	id := version()
	exe, err := os.Executable()
	if err != nil {
		return id
	}
	f, err := os.Open(exe)
	if err != nil {
		return id
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return id
	}
	return id + "+" + hex.EncodeToString(h.Sum(nil))[:16]
}
