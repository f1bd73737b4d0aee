package checkpoint

import (
	"fmt"

	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// LoadKind loads the model directory dir as LoadHF does and checks that it
// is a checkpoint of kind want before reading its weights: a *KindError
// otherwise, which names what dir is and what to give instead.
func LoadKind(dir string, want Kind) (*HFModel, error) {
	return loadHF(dir, want)
}

// LoadPolicy loads a language model that can answer prompts: a policy
// (LoadKind) with tokenizer files. A reward or value model is refused with
// a *KindError.
func LoadPolicy(dir string) (*model.Model, *tokenizer.Tokenizer, error) {
	hf, err := LoadKind(dir, KindPolicy)
	if err != nil {
		return nil, nil, err
	}
	if hf.Tokenizer == nil {
		return nil, nil, fmt.Errorf("%s has no tokenizer files", dir)
	}
	return hf.Model, hf.Tokenizer, nil
}
