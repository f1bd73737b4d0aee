package progress

import (
	"strings"
	"testing"
	"time"
)

func TestPlainLines(t *testing.T) {
	var sb strings.Builder
	b := New(&sb, false, "pretrain", 100, "tok", time.Hour)
	b.Update(1, 1234, 90*time.Second, "loss 5.00", false) // first line: printed
	b.Update(2, 1234, 89*time.Second, "loss 4.90", false) // too soon: skipped
	b.Update(10, 1234, 80*time.Second, "held 4.50", true) // forced
	b.Update(100, 15000, 0, "loss 3.00", false)           // the end: printed
	b.Log("warning: something")
	b.Done()
	want := "pretrain 1/100   1% 1.23k tok/s ETA 1m30s loss 5.00\n" +
		"pretrain 10/100  10% 1.23k tok/s ETA 1m20s held 4.50\n" +
		"pretrain 100/100 100% 15.0k tok/s loss 3.00\n" +
		"warning: something\n"
	if sb.String() != want {
		t.Errorf("got\n%s\nwant\n%s", sb.String(), want)
	}
}

func TestTerminalBar(t *testing.T) {
	var sb strings.Builder
	b := New(&sb, true, "sft", 4, "tok", time.Second)
	b.Update(2, 0, 0, "", true)
	b.Log("note")
	b.Update(4, 0, 0, "", false)
	b.Done()
	got := sb.String()
	for _, want := range []string{"\rsft [============            ] 2/4  50%\x1b[K", "\r\x1b[Knote\n", "[========================] 4/4 100%", "\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("output %q lacks %q", got, want)
		}
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{3 * time.Second: "3s", 187 * time.Second: "3m07s", 3720 * time.Second: "1h02m"} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}
