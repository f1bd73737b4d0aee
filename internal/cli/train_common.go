package cli

import (
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/spf13/cobra"

	"github.com/align-project/align/internal/trainkit"
	"github.com/align-project/align/train"
)

// configHelp describes each train.Config key; the flag of key "grad_accum"
// is --grad-accum.
var configHelp = map[string]string{
	"layers":         "transformer blocks (L)",
	"dim":            "channels of the residual stream (C)",
	"heads":          "attention heads per block (NH); must divide --dim",
	"ctx":            "context length (T): tokens per training row",
	"vocab":          "size of the BPE vocabulary trained on the corpus (V)",
	"arch":           `architecture: gpt2 (LayerNorm, learned positions, GELU) or llama (RMSNorm, RoPE, SwiGLU, grouped-query attention)`,
	"kv_heads":       "llama: key/value heads for grouped-query attention; must divide --heads (0 = --heads)",
	"mlp_hidden":     "llama: width of the SwiGLU MLP (0 = 8/3 of --dim, rounded up to a multiple of 64)",
	"rope_theta":     "llama: base of the rotary position frequencies (0 = 10000)",
	"tied":           "llama: the output layer shares the token embedding's weights",
	"steps":          "optimizer steps",
	"batch":          "rows of --ctx tokens per micro-batch (B)",
	"grad_accum":     "micro-batches whose gradients are summed into one step",
	"lr":             "peak learning rate, reached after the warm-up",
	"min_lr":         "learning rate at the end of the cosine decay",
	"warmup":         "steps of linear learning-rate warm-up",
	"weight_decay":   "AdamW weight decay on matrices and embeddings",
	"beta1":          "AdamW first-moment decay",
	"beta2":          "AdamW second-moment decay",
	"eps":            "AdamW epsilon",
	"clip":           "clip the global gradient norm to this (0 = off)",
	"heldout":        "fraction of the (training) data held out for validation: it picks the best model and stops early",
	"pack":           "pack examples into full rows (false: one padded example per row)",
	"eval_every":     "steps between held-out evaluations (0 = only at the end)",
	"eval_batches":   "held-out micro-batches per evaluation (0 = all)",
	"patience":       "stop early after this many evaluations without a new best held-out loss (0 = never)",
	"min_delta":      "held-out improvement a new best needs",
	"gap_evals":      "warn of overfitting when the held-out minus train loss gap grows this many evaluations running (0 = never)",
	"save_every":     "steps between resumable checkpoints in OUT/last (0 = only at the end and on Ctrl-C)",
	"log_every":      "steps between lines of metrics.jsonl",
	"eval_samples":   "held-out prompts answered and scored after training (0 = none)",
	"max_new_tokens": "longest answer sampled in that evaluation, in tokens",
	"temperature":    "sampling temperature of that evaluation (0 = greedy)",
}

func init() {
	for _, help := range []map[string]string{configHelp, dpoConfigHelp, ppoConfigHelp} {
		maps.Copy(help, trainkit.LoRAHelp)
	}
}

// flagName is the command-line name of a config key.
func flagName(key string) string { return strings.ReplaceAll(key, "_", "-") }

// configFlags binds the train.Config keys to flags (see settingsFlags).
type configFlags = settingsFlags[train.Config]

// needOut checks --out.
func needOut(cmd *cobra.Command, out string) error {
	if out == "" {
		return usageErrorf(cmd.CommandPath(), "", "--out DIR is required")
	}
	return nil
}

// resumeHint adds to the error of an interrupted run the hint to resume it
// from step, the step its checkpoint holds.
func resumeHint(err error, step int) error {
	if errors.Is(err, train.ErrInterrupted) {
		return &hintError{err: err, hint: fmt.Sprintf("run the same command with --resume to continue from step %d", step)}
	}
	return err
}

// hintError is a failure with a suggested fix.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }
func (e *hintError) Hint() string  { return e.hint }
