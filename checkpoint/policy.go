package checkpoint

import (
	"fmt"

	"github.com/align-project/align/model"
	"github.com/align-project/align/tokenizer"
)

// LoadPolicy loads a language model that can answer prompts: a Hugging Face
// directory with tokenizer files and no scalar heads (a reward or value
// model has them and is refused, naming what it looks like).
func LoadPolicy(dir string) (*model.Model, *tokenizer.Tokenizer, error) {
	hf, err := LoadHF(dir)
	if err != nil {
		return nil, nil, err
	}
	if hf.Tokenizer == nil {
		return nil, nil, fmt.Errorf("%s has no tokenizer files", dir)
	}
	if hf.Model.Config.ScalarHeads != 0 {
		return nil, nil, fmt.Errorf("%s has %d scalar heads: it looks like a reward model, not a policy", dir, hf.Model.Config.ScalarHeads)
	}
	return hf.Model, hf.Tokenizer, nil
}
