package sysinfo

import (
	"runtime"
	"testing"
)

func TestStatusField(t *testing.T) {
	status := []byte("Name:\talign\nVmPeak:\t  200 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 100 kB\n")
	n, ok := statusField(status, "VmHWM:")
	if !ok || n != 12345*1024 {
		t.Fatalf("statusField = %d, %v; want %d, true", n, ok, 12345*1024)
	}
	if _, ok := statusField(status, "VmSwap:"); ok {
		t.Fatal("statusField found a missing field")
	}
	if _, ok := statusField([]byte("VmHWM:\n"), "VmHWM:"); ok {
		t.Fatal("statusField accepted an empty value")
	}
}

var sink []byte

func TestPeakRSSGrows(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("no peak RSS on", runtime.GOOS)
	}
	before, err := PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	if before <= 0 {
		t.Fatalf("PeakRSS = %d, want > 0", before)
	}
	// Touch 64 MiB more than the current peak could already include.
	const size = 64 << 20
	sink = make([]byte, size)
	for i := 0; i < size; i += 4096 {
		sink[i] = 1
	}
	after, err := PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	if after < before || after < size {
		t.Fatalf("PeakRSS after touching %d bytes = %d (before %d)", size, after, before)
	}
	sink = nil
}

func TestResetPeakRSS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reset needs /proc/self/clear_refs")
	}
	if err := ResetPeakRSS(); err != nil {
		t.Skip("kernel refuses to reset the peak:", err)
	}
	if _, err := PeakRSS(); err != nil {
		t.Fatal(err)
	}
}
