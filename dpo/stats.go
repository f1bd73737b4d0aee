package dpo

// Stats describe one step; a line of metrics.jsonl. Times are left out of
// the file so that a resumed run writes it byte for byte as a run that never
// stopped.
type Stats struct {
	Step     int     `json:"step"`
	Steps    int     `json:"-"` // in the whole run
	Epoch    float64 `json:"epoch"`
	Loss     float64 `json:"loss"`           // batch mean
	Accuracy float64 `json:"train_accuracy"` // batch share of pairs whose implicit reward prefers the chosen response (ties ½)
	Margin   float64 `json:"train_margin"`   // batch mean of h
	LR       float64 `json:"lr"`
	GradNorm float64 `json:"grad_norm"` // before clipping

	*Eval // set at an evaluation

	TimeStep     float64 `json:"-"` // seconds of the step
	TimeForward  float64 `json:"-"` // the policy's forward pass and log-probs
	TimeLoss     float64 `json:"-"` // the pair losses and the log-prob gradients
	TimeBackward float64 `json:"-"`
	TimeOptim    float64 `json:"-"` // AdamW
	Elapsed      float64 `json:"-"` // seconds over all resumed runs
}

// Eval is a held-out evaluation. Log-probs are per response, summed over
// its tokens (averaged with length_normalize), means over the held-out
// pairs; a delta is the policy's minus the reference's.
type Eval struct {
	HeldOutAccuracy float64  `json:"heldout_accuracy"` // share of pairs with h > 0 (ties ½)
	HeldOutMargin   float64  `json:"heldout_margin"`   // mean h
	HeldOutLoss     float64  `json:"heldout_loss"`
	ChosenLogp      float64  `json:"chosen_logp"`
	RejectedLogp    float64  `json:"rejected_logp"`
	ChosenDelta     float64  `json:"chosen_delta"`
	RejectedDelta   float64  `json:"rejected_delta"`
	KL              *float64 `json:"kl,omitempty"` // mean Σ(log π − log π_ref) of responses sampled from the policy; nil with kl_prompts 0
	BestAccuracy    float64  `json:"best_accuracy"`
	BestStep        int      `json:"best_step"`
	Warning         string   `json:"warning,omitempty"`
}
