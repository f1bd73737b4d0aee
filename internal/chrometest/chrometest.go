// Package chrometest starts the headless Chromium that align's browser tests
// drive with chromedp: it finds the Debian chromium, fails with an install
// hint when there is none (skips under -short), passes the flags this
// offline sandbox needs, and cleans up after the browser has exited.
package chrometest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path returns the Chromium binary: $ALIGN_CHROMIUM, else the first of
// chromium, chromium-browser and google-chrome on $PATH.
func Path(t testing.TB) string {
	t.Helper()
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

// Context starts a headless Chromium and returns a chromedp context that
// times out after timeout. The browser is stopped and its profile removed
// when the test ends. Under -short the test is skipped.
func Context(t testing.TB, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	bin := Path(t)
	if testing.Short() {
		t.Skip("browser test skipped under -short")
	}
	// Not t.TempDir: Chromium's helper processes may still be writing to the
	// profile for a moment after the browser is cancelled, and TempDir's
	// cleanup fails the test when the directory is not empty.
	profile, err := os.MkdirTemp("", "align-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:0:0],
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// The sandbox has no network: keep Chromium from trying.
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
	)
	opts = append(opts, extra...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelT()
		cancel()
		cancelA()
		for i := 0; i < 50; i++ {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("chrometest: could not remove %s", profile)
	})
	return ctx
}
