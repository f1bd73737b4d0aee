package cli

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// exportModelDir saves a small model with scalar heads and a tokenizer.
func exportModelDir(t *testing.T, withTokenizer bool) (string, *model.Model) {
	t.Helper()
	m, err := model.New(model.Config{VocabSize: 300, Context: 16, Layers: 1, Heads: 2, Channels: 16, ScalarHeads: 1}, 3)
	if err != nil {
		t.Fatal(err)
	}
	var tok *tokenizer.Tokenizer
	if withTokenizer {
		if tok, err = tokenizer.Train(tokenizer.TrainConfig{VocabSize: 280}, "the cat sat on the mat; the dog sat on the log"); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "policy")
	if err := checkpoint.SaveHF(dir, m, tok, checkpoint.HFOptions{Align: checkpoint.AlignConfig{HeadNames: []string{"value"}}}); err != nil {
		t.Fatal(err)
	}
	return dir, m
}

func TestExportGGUF(t *testing.T) {
	dir, m := exportModelDir(t, true)
	out := filepath.Join(t.TempDir(), "sub", "m.gguf")
	code, stdout, stderr := run(t, "export", "--model", dir, "--format", "gguf", "--out", out, "--dtype", "f16")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "exported") || !strings.Contains(stderr, "scalar head") {
		t.Errorf("stdout %q, stderr %q", stdout, stderr)
	}
	g, err := checkpoint.OpenGGUF(out)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if name, _ := checkpoint.GGUFGet[string](g, checkpoint.KeyName); name != "policy" {
		t.Errorf("general.name %q, want the directory name", name)
	}
	if tokens, _ := checkpoint.GGUFGet[[]string](g, checkpoint.KeyTokenizerTokens); len(tokens) != m.Config.VocabSize {
		t.Errorf("%d tokens for %d embedding rows", len(tokens), m.Config.VocabSize)
	}
}

func TestExportHF(t *testing.T) {
	dir, m := exportModelDir(t, true)
	out := filepath.Join(t.TempDir(), "hf")
	if code, _, stderr := run(t, "export", "--model", dir, "--format", "hf", "--out", out); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	hm, err := checkpoint.LoadHF(out)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(hm.Model.Params(), m.Params()) || hm.Tokenizer == nil || !slices.Equal(hm.Align.HeadNames, []string{"value"}) {
		t.Errorf("exported directory differs: tokenizer %v, align %+v", hm.Tokenizer != nil, hm.Align)
	}
}

func TestExportErrors(t *testing.T) {
	noTok, _ := exportModelDir(t, false)
	out := filepath.Join(t.TempDir(), "x")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"export", "--format", "gguf", "--out", out}, exitUsage, "--model: is required"},
		{[]string{"export", "--model", noTok, "--format", "onnx", "--out", out}, exitUsage, `--format: "onnx": must be gguf`},
		{[]string{"export", "--model", noTok, "--format", "gguf", "--dtype", "bf16", "--out", out}, exitUsage, `--dtype: "bf16" is not supported`},
		{[]string{"export", "--model", filepath.Join(out, "missing"), "--format", "hf", "--out", out}, exitFailure, "config.json"},
		{[]string{"export", "--model", noTok, "--format", "gguf", "--out", out}, exitFailure, "has no tokenizer"},
	} {
		code, _, stderr := run(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) || !strings.HasPrefix(stderr, "align: error: ") {
			t.Errorf("align %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, stderr, tc.code, tc.want)
		}
	}
}
