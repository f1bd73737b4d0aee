package train

import "github.com/align-project/align/internal/trainkit"

// Metrics is one line of metrics.jsonl. A line is written every LogEvery
// steps, at every evaluation and at the last step; TrainLoss is the mean
// training loss of the steps since the previous line. Evaluation lines also
// carry the held-out loss and the gap beside it (held-out minus the mean
// training loss since the previous evaluation), so overfitting shows as a
// growing gap.
type Metrics struct {
	Step        int      `json:"step"`
	Epoch       float64  `json:"epoch"`
	TrainLoss   float64  `json:"train_loss"`
	HeldOutLoss *float64 `json:"heldout_loss,omitempty"`
	Gap         *float64 `json:"gap,omitempty"`
	BestLoss    *float64 `json:"best_heldout_loss,omitempty"`
	// GeneralizationLoss is the loss on Trainer.Generalization, logged at
	// evaluations when that set is given; it plays no part in early stopping.
	GeneralizationLoss *float64 `json:"generalization_loss,omitempty"`
	LR                 float64  `json:"lr"`
	GradNorm           float64  `json:"grad_norm"`
	Tokens             int64    `json:"tokens"` // training tokens processed so far
	TokensPerSec       float64  `json:"tokens_per_sec"`
	Elapsed            float64  `json:"elapsed"` // seconds of training, over all resumed runs
	Warning            string   `json:"warning,omitempty"`
}

// ReadMetrics reads a metrics.jsonl file.
func ReadMetrics(path string) ([]Metrics, error) { return trainkit.ReadLog[Metrics](path) }
