package checkpoint

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/align-project/align/internal/outguard"
	"github.com/align-project/align/internal/yamlconf"
	"github.com/align-project/align/model"
)

// ExportSpec is a model directory to convert for other tools ('align export').
type ExportSpec struct {
	Model  string // the directory LoadHF reads
	Format string // "gguf": one GGUF file for llama.cpp; "hf": a Hugging Face directory
	Out    string // the .gguf file, or the directory for hf
	DType  string // storage of the weights, any case: f32 or f16 (gguf); f32, f16 or bf16 (hf)
	Name   string // GGUF general.name (default: the model directory's name)
}

// exportDTypes are the DType names of ExportSpec; GGUF has no BF16.
var exportDTypes = map[string]DType{"f32": F32, "f16": F16, "bf16": BF16}

// Validate reports the first setting that cannot work as a *yamlconf.KeyError.
func (s ExportSpec) Validate() error {
	for _, req := range []struct{ key, v string }{{"model", s.Model}, {"format", s.Format}, {"out", s.Out}} {
		if req.v == "" {
			return yamlconf.Keyf(req.key, "is required")
		}
	}
	if s.Format != "gguf" && s.Format != "hf" {
		return yamlconf.Keyf("format", "%q: must be gguf (llama.cpp) or hf (Hugging Face)", s.Format)
	}
	if dt, ok := exportDTypes[strings.ToLower(s.DType)]; !ok || (s.Format == "gguf" && dt == BF16) {
		return yamlconf.Keyf("dtype", "%q is not supported for format %s", s.DType, s.Format)
	}
	return nil
}

// ExportResult is what Export wrote.
type ExportResult struct {
	Model, Out, Format string
	DType              string       // lower case
	Kind               Kind         // what the model is: policy, reward or value model
	Config             model.Config // of the exported model
	Bytes              int64        // size of the GGUF file; 0 for an hf directory
	DroppedHeads       int          // scalar heads left out: a GGUF file has no place for them
}

// Export converts the model directory spec.Model: to a GGUF v3 file for
// llama.cpp (its gpt2 architecture, or llama, qwen2 or qwen3 for the Llama
// family) with the tokenizer inside, read back and checked after writing
// (ExportGGUF), or to a Hugging Face directory that
// transformers' from_pretrained loads (SaveHF), scalar heads kept as score.*.
// A model that cannot be read, or has no tokenizer for GGUF, is an error of
// the key "model".
func Export(spec ExportSpec) (ExportResult, error) {
	if err := spec.Validate(); err != nil {
		return ExportResult{}, err
	}
	if err := outguard.NotOnInputs("out", spec.Out, outguard.In("model", spec.Model)); err != nil {
		return ExportResult{}, err
	}
	dt := exportDTypes[strings.ToLower(spec.DType)]
	hm, err := LoadHF(spec.Model)
	if err != nil {
		return ExportResult{}, yamlconf.WrapKey("model", err)
	}
	m := hm.Model
	res := ExportResult{Model: spec.Model, Out: spec.Out, Format: spec.Format, DType: strings.ToLower(spec.DType), Kind: hm.Align.Kind, Config: m.Config}
	switch spec.Format {
	case "gguf":
		if hm.Tokenizer == nil {
			return ExportResult{}, yamlconf.Keyf("model", "%s has no tokenizer, which a GGUF file must contain", spec.Model)
		}
		name := spec.Name
		if name == "" {
			abs, _ := filepath.Abs(spec.Model)
			name = filepath.Base(abs)
		}
		if dir := filepath.Dir(spec.Out); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return ExportResult{}, fmt.Errorf("export: %w", err)
			}
		}
		if err := ExportGGUF(spec.Out, m, hm.Tokenizer, GGUFExportOptions{Name: name, F16: dt == F16}); err != nil {
			return ExportResult{}, err
		}
		res.DroppedHeads = m.Config.ScalarHeads
	case "hf":
		if err := SaveHF(spec.Out, m, hm.Tokenizer, HFOptions{Align: hm.Align, DType: dt}); err != nil {
			return ExportResult{}, err
		}
	}
	if st, err := os.Stat(spec.Out); err == nil && !st.IsDir() {
		res.Bytes = st.Size()
	}
	return res, nil
}

// WriteText prints the one-line summary of 'align export'.
func (r ExportResult) WriteText(w io.Writer) error {
	size := ""
	if r.Bytes > 0 {
		size = fmt.Sprintf(", %.1f MB", float64(r.Bytes)/1e6)
	}
	c := r.Config
	heads := ""
	switch {
	case c.ScalarHeads == 1:
		heads = " with 1 scalar head"
	case c.ScalarHeads > 1:
		heads = fmt.Sprintf(" with %d scalar heads", c.ScalarHeads)
	}
	shape := c.Shape()
	if !c.IsLlama() {
		shape = "GPT-2 " + shape
	}
	_, err := fmt.Fprintf(w, "exported %s, %s (%s%s, %d parameters), to %s (%s, %s%s)\n",
		r.Model, r.Kind.noun(), shape, heads, c.NumParams(), r.Out, r.Format, r.DType, size)
	return err
}
