package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/align-project/align/internal/yamlconf"
)

// exportDir saves a tiny model with one scalar head, with or without a
// tokenizer, as <tmp>/policy.
func exportDir(t *testing.T, withTokenizer bool) string {
	t.Helper()
	cfg := tinyConfig
	cfg.ScalarHeads = 1
	m := testModel(t, cfg, 3)
	var opt HFOptions
	opt.Align.HeadNames = []string{"value"}
	tok := testTokenizer(t, true)
	if !withTokenizer {
		tok = nil
	}
	dir := filepath.Join(t.TempDir(), "policy")
	if err := SaveHF(dir, m, tok, opt); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestExportSpecGGUF(t *testing.T) {
	dir := exportDir(t, true)
	out := filepath.Join(t.TempDir(), "sub", "m.gguf")
	res, err := Export(ExportSpec{Model: dir, Format: "gguf", Out: out, DType: "F16"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if res.Bytes != st.Size() || res.DroppedHeads != 1 || res.DType != "f16" || res.Config.Channels != tinyConfig.Channels {
		t.Errorf("result %+v for a file of %d bytes", res, st.Size())
	}
	g, err := OpenGGUF(out)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if name, _ := GGUFGet[string](g, KeyName); name != "policy" {
		t.Errorf("general.name %q, want the directory's name", name)
	}
	var b strings.Builder
	if err := res.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if want := "exported " + dir + ", a value model (GPT-2 L2 C16 NH2 T24 V320 with 1 scalar head, "; !strings.HasPrefix(b.String(), want) || !strings.HasSuffix(b.String(), "), to "+out+" (gguf, f16, 0.0 MB)\n") {
		t.Errorf("summary %q", b.String())
	}
}

func TestExportSpecHF(t *testing.T) {
	dir := exportDir(t, true)
	out := filepath.Join(t.TempDir(), "hf")
	res, err := Export(ExportSpec{Model: dir, Format: "hf", Out: out, DType: "bf16"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Bytes != 0 || res.DroppedHeads != 0 {
		t.Errorf("a directory keeps its heads and has no single size: %+v", res)
	}
	hm, err := LoadHF(out)
	if err != nil {
		t.Fatal(err)
	}
	if hm.Tokenizer == nil || !slices.Equal(hm.Align.HeadNames, []string{"value"}) || hm.Model.Config.ScalarHeads != 1 {
		t.Errorf("exported directory lost something: tokenizer %v, align %+v", hm.Tokenizer != nil, hm.Align)
	}
}

// Every error of a setting names it: bad values before any work, and a
// model that cannot be read or exported as GGUF under "model".
func TestExportSpecErrors(t *testing.T) {
	noTok := exportDir(t, false)
	out := filepath.Join(t.TempDir(), "x")
	for _, tc := range []struct {
		spec ExportSpec
		key  string
	}{
		{ExportSpec{Format: "gguf", Out: out, DType: "f32"}, "model"},
		{ExportSpec{Model: noTok, Format: "gguf", DType: "f32"}, "out"},
		{ExportSpec{Model: noTok, Format: "onnx", Out: out, DType: "f32"}, "format"},
		{ExportSpec{Model: noTok, Format: "gguf", Out: out, DType: "bf16"}, "dtype"},
		{ExportSpec{Model: noTok, Format: "hf", Out: out, DType: "f8"}, "dtype"},
		{ExportSpec{Model: filepath.Join(out, "missing"), Format: "hf", Out: out, DType: "f32"}, "model"},
		{ExportSpec{Model: noTok, Format: "gguf", Out: out, DType: "f32"}, "model"},
	} {
		_, err := Export(tc.spec)
		if ke, ok := errors.AsType[*yamlconf.KeyError](err); !ok || ke.Key != tc.key {
			t.Errorf("%+v: error %v, want one about %s", tc.spec, err, tc.key)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("failed exports left %s behind: %v", out, err)
	}
}
