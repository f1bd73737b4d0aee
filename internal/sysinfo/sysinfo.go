// Package sysinfo reports facts about the running process that benchmarks
// print beside their timings: peak resident memory, and a way to reset that
// peak so a benchmark measures only itself.
package sysinfo

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
)

// PeakRSS returns the largest resident set size of this process so far, in
// bytes. On Linux it reads VmHWM from /proc/self/status, which ResetPeakRSS
// can lower; elsewhere it falls back to getrusage's ru_maxrss.
func PeakRSS() (int64, error) {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		if n, ok := statusField(b, "VmHWM:"); ok {
			return n, nil
		}
	}
	return maxRSS()
}

// PeakRSSMB is PeakRSS in mebibytes, or 0 when the platform cannot tell.
func PeakRSSMB() float64 {
	n, err := PeakRSS()
	if err != nil {
		return 0
	}
	return float64(n) / (1 << 20)
}

// CurrentRSSMB is the resident set size now (VmRSS), in mebibytes, or 0
// where /proc/self/status does not tell.
func CurrentRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	n, _ := statusField(b, "VmRSS:")
	return float64(n) / (1 << 20)
}

// ResetPeakRSS sets the peak that PeakRSS reports back to the current
// resident set size, where the kernel allows it (Linux 4.0 and later, via
// /proc/self/clear_refs). It returns an error when the peak cannot be reset;
// callers may ignore it and report the whole-process peak instead.
func ResetPeakRSS() error {
	f, err := os.OpenFile("/proc/self/clear_refs", os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.Write([]byte("5"))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// statusField parses a "Name:   1234 kB" line of /proc/self/status into bytes.
func statusField(status []byte, name string) (int64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte(name)) {
			continue
		}
		fields := bytes.Fields(line[len(name):])
		if len(fields) == 0 {
			return 0, false
		}
		n, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil {
			return 0, false
		}
		if len(fields) > 1 && string(fields[1]) == "kB" {
			n *= 1024
		}
		return n, true
	}
	return 0, false
}
