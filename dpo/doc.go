// Package dpo fine-tunes a language-model policy directly on preference
// pairs with direct preference optimisation and its variants: the stage of
// the loop that stands in for the reward model and PPO together.
//
// DPO (Rafailov et al. 2023) reads the policy π as an implicit reward
// model: the reward of a response y is β·(log π(y) − log π_ref(y)) against a
// frozen reference π_ref (the SFT model). For a pair whose chosen response
// c was preferred over the rejected r, the implicit-reward difference is
//
//	h = β·[(log π(c) − log π_ref(c)) − (log π(r) − log π_ref(r))]
//
// and the loss is a function of h alone (Loss): the logistic loss of DPO,
// IPO's squared loss, or the robust (rDPO) and conservative (cDPO) losses
// for noisy labels. Its gradient reaches the policy through the
// log-probabilities of the response tokens (model.LogProbGrads), so one
// step costs one forward and one backward pass over the chosen and rejected
// sequences of a batch. The reference's log-probabilities never change:
// they are computed once and cached beside the output (RefCacheFile).
//
// Train is the stage as 'align dpo' and 'align run' call it; Trainer runs
// the loop on pairs already encoded (EncodePairs). A run evaluates the
// held-out pairs every eval_every steps: the implicit reward's accuracy and
// margin, the log-probabilities of the chosen and rejected responses and
// how far they moved from the reference (DPO is known to push the chosen
// responses down as well; a large fall is warned about), and the KL to the
// reference of responses sampled from the policy. It keeps the policy with
// the best held-out accuracy, stops early on patience, and resumes exactly
// from its checkpoint.
package dpo
