package model

import "fmt"

// Config is the shape of a GPT-2 model. The dimension names used in comments
// throughout the package are given beside each field.
type Config struct {
	VocabSize   int `json:"vocab_size"`   // V: number of token ids
	Context     int `json:"context"`      // T (max): rows of the position table, longest sequence
	Layers      int `json:"layers"`       // L: transformer blocks
	Heads       int `json:"heads"`        // NH: attention heads per block; must divide Channels
	Channels    int `json:"channels"`     // C: width of the residual stream
	ScalarHeads int `json:"scalar_heads"` // K: scalar outputs read from the final hidden state (0 = none)
}

// Limits beyond which a Config is rejected as absurd rather than attempted.
const (
	maxVocab    = 1 << 21
	maxContext  = 1 << 16
	maxLayers   = 1 << 10
	maxChannels = 1 << 15
	maxScalars  = 1 << 10
	maxParams   = 1 << 31 // 8 GiB of float32 weights
)

// Validate reports why cfg cannot describe a model, or nil.
func (cfg Config) Validate() error {
	check := func(name string, v, max int) error {
		if v <= 0 {
			return fmt.Errorf("model config: %s must be positive, got %d", name, v)
		}
		if v > max {
			return fmt.Errorf("model config: %s %d exceeds the limit %d", name, v, max)
		}
		return nil
	}
	for _, f := range []struct {
		name   string
		v, max int
	}{
		{"vocab size", cfg.VocabSize, maxVocab},
		{"context", cfg.Context, maxContext},
		{"layers", cfg.Layers, maxLayers},
		{"heads", cfg.Heads, maxChannels},
		{"channels", cfg.Channels, maxChannels},
	} {
		if err := check(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	if cfg.ScalarHeads < 0 || cfg.ScalarHeads > maxScalars {
		return fmt.Errorf("model config: scalar heads must be in [0, %d], got %d", maxScalars, cfg.ScalarHeads)
	}
	if cfg.Channels%cfg.Heads != 0 {
		return fmt.Errorf("model config: %d heads do not divide %d channels", cfg.Heads, cfg.Channels)
	}
	if n := cfg.numParams(); n > maxParams {
		return fmt.Errorf("model config: %d parameters exceed the limit %d", n, maxParams)
	}
	return nil
}

// NumParams returns the number of float32 parameters of a valid config.
func (cfg Config) NumParams() int { return int(cfg.numParams()) }

func (cfg Config) numParams() int64 {
	var n int64
	for _, s := range cfg.groupSizes() {
		n += s
	}
	return n
}

// Parameter groups in buffer order (llm.c's ParameterTensors plus the scalar
// head). Per-layer groups are stacked over L.
const (
	gWte = iota
	gWpe
	gLn1w
	gLn1b
	gQkvw
	gQkvb
	gAttprojw
	gAttprojb
	gLn2w
	gLn2b
	gFcw
	gFcb
	gFcprojw
	gFcprojb
	gLnfw
	gLnfb
	gHeadw
	gHeadb
	numGroups
)

// groupDecay tells which groups take weight decay: matrices and embeddings.
var groupDecay = [numGroups]bool{
	gWte: true, gWpe: true, gQkvw: true, gAttprojw: true, gFcw: true, gFcprojw: true, gHeadw: true,
}

func (cfg Config) groupSizes() [numGroups]int64 {
	V, T, L := int64(cfg.VocabSize), int64(cfg.Context), int64(cfg.Layers)
	C, K := int64(cfg.Channels), int64(cfg.ScalarHeads)
	return [numGroups]int64{
		gWte:      V * C,
		gWpe:      T * C,
		gLn1w:     L * C,
		gLn1b:     L * C,
		gQkvw:     L * 3 * C * C,
		gQkvb:     L * 3 * C,
		gAttprojw: L * C * C,
		gAttprojb: L * C,
		gLn2w:     L * C,
		gLn2b:     L * C,
		gFcw:      L * 4 * C * C,
		gFcb:      L * 4 * C,
		gFcprojw:  L * C * 4 * C,
		gFcprojb:  L * C,
		gLnfw:     C,
		gLnfb:     C,
		gHeadw:    K * C,
		gHeadb:    K,
	}
}
