package train

import (
	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/outguard"
)

// outputs is what a run writes in its output directory out (see the
// package doc); the run is finished once outguard.FinishedFile is there.
func outputs(out string) outguard.Run {
	return outguard.Run{Dir: out, Finished: outguard.FinishedFile, Resumable: true, Files: []string{
		LastDir, ConfigFile, MetricsFile, EvalFile, checkpoint.AdapterDir,
		checkpoint.HFConfigFile, checkpoint.HFWeightsFile, checkpoint.HFTokenizerFile,
		checkpoint.HFTokenizerConfigFile, checkpoint.HFSpecialTokensFile, checkpoint.HFGenerationConfigFile,
	}}
}

// Settings a resumed run cannot change (see outguard.CheckResume): its
// checkpoint holds a model of the shape, optimizer moments made with the
// AdamW settings and a position in rows the data settings decided. SFT
// takes its shape from the base, so only pretraining checks it.
var (
	fixedShape = outguard.Fixed{Why: "the model's shape is set when a run starts",
		Keys: []string{"layers", "dim", "heads", "ctx", "vocab", "arch", "kv_heads", "mlp_hidden", "rope_theta", "tied"}}
	fixedData = outguard.Fixed{Why: "it decides the training rows and their order, which the checkpoint continues",
		Keys: []string{"heldout", "seed"}}
	fixedRows = outguard.Fixed{Why: "it decides how SFT examples fill the rows the checkpoint continues",
		Keys: []string{"pack"}}
	fixedOptimizer = outguard.Fixed{Why: "the checkpoint's optimizer state was made with it",
		Keys: []string{"beta1", "beta2", "eps", "weight_decay", "clip"}}
)

// finishInfo is the content of the finished marker.
type finishInfo struct {
	Stage string `json:"stage"`
	Steps int    `json:"steps"`
}

// dataInput is the input of a data setting: none for the embedded data.
func dataInput(key, path string) outguard.Input {
	if path == data.Embedded {
		path = ""
	}
	return outguard.In(key, path)
}
