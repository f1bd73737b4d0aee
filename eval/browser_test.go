package eval

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/align-project/align/internal/chrometest"
)

// TestReportInBrowser opens a report from disk in headless Chromium: the page
// loads, every image decodes (naturalWidth > 0) and the evaluation table is
// there. ALIGN_SCREENSHOT_DIR, when set, receives a screenshot.
func TestReportInBrowser(t *testing.T) {
	ctx := chrometest.Context(t, 60*time.Second, chromedp.WindowSize(1200, 900))
	dir := filepath.Join(t.TempDir(), "report")
	if err := WriteReport(dir, syntheticRun(t, true)); err != nil {
		t.Fatal(err)
	}

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
