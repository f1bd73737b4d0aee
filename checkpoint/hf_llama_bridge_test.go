package checkpoint

import "github.com/align-project/align/model"

// The internal test helpers and shapes that the external tests (package
// checkpoint_test, which may import train) use.
var (
	RoughLlama       = roughLlama
	LlamaTorchPython = llamaTorchPython
	SmolLM2Config    = smolLM2Config
	Qwen3Config      = qwen3Config
)

// LlamaFlavour is one entry of llamaFlavours.
type LlamaFlavour struct {
	Name string
	Cfg  model.Config
}

// LlamaFlavours lists llamaFlavours.
func LlamaFlavours() []LlamaFlavour {
	var out []LlamaFlavour
	for _, f := range llamaFlavours {
		out = append(out, LlamaFlavour{f.name, f.cfg})
	}
	return out
}
