package judge

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Tests on real files read them from the assets directory that
// scripts/install-test-assets.sh fills: $ALIGN_ASSETS, or .assets at the repo
// root. A missing asset fails the test with the fix; only -short skips.

const installHint = "run scripts/install-test-assets.sh (it installs the npm packages into $ALIGN_ASSETS or <repo>/.assets)"

const (
	sentimentPkg   = "npm/sentiment@5.0.2/package"
	afinnLabels    = sentimentPkg + "/languages/en/labels.json"
	naughtyWordsEN = "npm/naughty-words@1.2.0/package/en.json"
)

func assetsDir() string {
	if d := os.Getenv("ALIGN_ASSETS"); d != "" {
		return d
	}
	return filepath.Join("..", ".assets")
}

// asset returns the path of an installed asset file or directory.
func asset(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join(assetsDir(), rel)
	if _, err := os.Stat(p); err != nil {
		if testing.Short() {
			tb.Skipf("-short: asset %s missing", p)
		}
		tb.Fatalf("test asset %s is missing: %s", p, installHint)
	}
	return p
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
