package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/align-project/align/tokenizer"
)

// maxAdapterDepth bounds a chain of adapters whose base is itself an
// adapter directory.
const maxAdapterDepth = 8

// hubName matches what looks like a Hugging Face hub id ("gpt2",
// "HuggingFaceTB/SmolLM2-135M") rather than a path.
var hubName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$`)

// loadAdapterHF loads the PEFT adapter directory dir as a plain model: its
// base, the directory adapter_config.json's base_model_name_or_path names
// (a relative path is taken from dir), with the adapters attached by
// LoadLoRA and merged in (model.Model.MergeLoRA). The tokenizer is dir's
// if it has tokenizer files, else the base's; config.json and its align
// section (kind, stage, heads) are the base's. The base may itself be an
// adapter directory, up to maxAdapterDepth deep; a chain that comes back
// to a directory is refused. Hub names are refused: align reads only local
// directories.
func loadAdapterHF(dir string, want Kind, chain []string) (*HFModel, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("load adapter %s: %s", dir, fmt.Sprintf(format, args...))
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fail("%v", err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	if slices.Contains(chain, abs) {
		return nil, &chainError{fmt.Errorf("load adapter %s: its base models loop back to it: %s → %s", chain[0], strings.Join(chain, " → "), abs)}
	}
	if len(chain) >= maxAdapterDepth {
		return nil, &chainError{fmt.Errorf("load adapter %s: more than %d adapters stacked on one another: %s → %s", chain[0], maxAdapterDepth, strings.Join(chain, " → "), abs)}
	}
	_, pc, err := ReadLoRAConfig(dir)
	if err != nil {
		return nil, err
	}
	cpath := filepath.Join(dir, PEFTConfigFile)
	name := pc.BaseModel
	if name == "" {
		return nil, fmt.Errorf("load adapter %s: base_model_name_or_path is empty: set it to the directory of the model the adapter was trained on", cpath)
	}
	base := name
	if !filepath.IsAbs(base) {
		base = filepath.Join(dir, base)
	}
	if st, err := os.Stat(base); err != nil || !st.IsDir() {
		switch {
		case err == nil:
			return nil, fmt.Errorf("load adapter %s: base_model_name_or_path %q is a file, not a model directory", cpath, name)
		case !filepath.IsAbs(name) && hubName.MatchString(name) && !strings.HasPrefix(name, "."):
			return nil, fmt.Errorf("load adapter %s: base_model_name_or_path %q is a Hugging Face hub name, and align does not download models: "+
				"download the base (e.g. hf download %s --local-dir DIR) and set base_model_name_or_path to that directory", cpath, name, name)
		default:
			return nil, fmt.Errorf("load adapter %s: base model directory %s (base_model_name_or_path %q) does not exist", cpath, base, name)
		}
	}
	hm, err := loadHFChain(base, want, append(chain, abs))
	if err != nil {
		if ke, ok := errors.AsType[*KindError](err); ok && len(chain) == 0 {
			k := *ke
			k.Dir, k.How = dir, fmt.Sprintf("its base %s: %s", ke.Dir, ke.How)
			return nil, &k
		}
		if _, ok := errors.AsType[*chainError](err); ok {
			return nil, err // it names the whole chain
		}
		return nil, fmt.Errorf("load adapter %s: base model: %w", dir, err)
	}
	m := hm.Model
	if err := LoadLoRA(dir, m); err != nil {
		return nil, err
	}
	if err := m.MergeLoRA(); err != nil {
		return nil, fail("%v", err)
	}
	if err := m.CheckFinite(); err != nil {
		return nil, fail("merged weights: %v", err)
	}
	hm.Dir = dir
	if hasTokenizer(dir) {
		tok, err := tokenizer.Load(dir)
		if err != nil {
			return nil, fail("%v", err)
		}
		if tok.VocabSize() > m.Config.VocabSize {
			return nil, fail("tokenizer has %d ids but the model only %d embedding rows", tok.VocabSize(), m.Config.VocabSize)
		}
		hm.Tokenizer = tok
	}
	return hm, nil
}

// chainError is a chain of adapter directories that loops or is too deep;
// it names the whole chain, so the levels above pass it on as it is.
type chainError struct{ error }

func (e *chainError) Unwrap() error { return e.error }
