//go:build unix

package sysinfo

import (
	"runtime"
	"syscall"
)

// maxRSS returns getrusage's ru_maxrss in bytes: the kernel reports
// kilobytes on Linux and the BSDs, bytes on macOS.
func maxRSS() (int64, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	n := int64(ru.Maxrss)
	if runtime.GOOS != "darwin" && runtime.GOOS != "ios" {
		n *= 1024
	}
	return n, nil
}
