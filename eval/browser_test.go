package eval

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium finds the Debian chromium (or $ALIGN_CHROMIUM). Without one the
// test fails with an install hint; -short skips it.
func chromium(t *testing.T) string {
	if p := os.Getenv("ALIGN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const hint = "no chromium found: run 'apt-get install -y chromium' (or ./test.sh), or set ALIGN_CHROMIUM; go test -short skips this"
	if testing.Short() {
		t.Skip(hint)
	}
	t.Fatal(hint)
	return ""
}

// TestReportInBrowser opens a report from disk in headless Chromium: the page
// loads, every image decodes (naturalWidth > 0) and the evaluation table is
// there. ALIGN_SCREENSHOT_DIR, when set, receives a screenshot.
func TestReportInBrowser(t *testing.T) {
	bin := chromium(t)
	if testing.Short() {
		t.Skip("browser test skipped under -short")
	}
	dir := filepath.Join(t.TempDir(), "report")
	if err := WriteReport(dir, syntheticRun(t, true)); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:0:0],
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1200, 900),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()

	var images, loaded, rows int
	var title string
	var shot []byte
	err := chromedp.Run(ctx,
		chromedp.Navigate("file://"+filepath.Join(dir, ReportHTML)),
		chromedp.WaitReady("body"),
		chromedp.Poll(`Array.from(document.images).every(i => i.complete)`, nil, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Evaluate(`document.images.length`, &images),
		chromedp.Evaluate(`Array.from(document.images).filter(i => i.naturalWidth > 0).length`, &loaded),
		chromedp.Evaluate(`document.querySelectorAll("#eval ~ table tr").length`, &rows),
		chromedp.Title(&title),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err != nil {
		t.Fatal(err)
	}
	if images != 8 || loaded != images {
		t.Errorf("%d of %d images loaded, want 8 of 8", loaded, images)
	}
	if rows < 8 {
		t.Errorf("evaluation table has %d rows", rows)
	}
	if title != "synthetic run — align report" {
		t.Errorf("title %q", title)
	}
	if d := os.Getenv("ALIGN_SCREENSHOT_DIR"); d != "" {
		if err := os.WriteFile(filepath.Join(d, "report.png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
