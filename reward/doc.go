// Package reward trains, runs and evaluates reward models: a GPT initialised
// from an SFT checkpoint with scalar heads that score a response to a prompt.
//
// # Sequences and the EOS
//
// A (prompt, response) pair is scored as one token sequence: the prompt as a
// user turn rendered with the tokenizer's chat template and the assistant
// header (tokenizer.RenderChat with the generation prompt), the response's
// tokens, then the end-of-turn token (the EOS of a reply). The heads are read
// at that final EOS position only; causal attention means the padding that
// follows it in a batch changes nothing. [Model.Encode] builds the sequence
// from text and [Sequence] from token ids (PPO's samples): both strip a
// trailing stop token and append the EOS, so training, scoring and PPO see the
// same thing.
//
// # Heads
//
// A reward model has four heads, in this order (see [HeadNames]):
//
//	preference  trained pairwise (Bradley–Terry) on chosen vs rejected
//	coherence   regression on the 1–10 ratings, where the data has them
//	relevance   regression on the 1–10 ratings, where the data has them
//	safety      regression on the 1–10 ratings; PPO may use it as a cost
//
// The reward is a weighted combination of the normalised heads
// (Config.Weights, by default the preference head alone); the cost is the
// negated normalised safety head. Both make the [Score] of an [Output], the
// one score type of the loop: PPO's reward sources and the evaluation's
// scorer give it too ([ModelSource] is the reward model as such a source).
//
// # Losses
//
// For each pair, with Δ = r_chosen − r_rejected of the preference head, p the
// label (1 for a hard label, p_chosen for a soft one from an AI labeller) and m
// a margin (from the "margin" field, or from the gap of the ratings), the loss
// is the cross-entropy
//
//	z = Δ − (2p−1)·m
//	loss = −p·log σ(z) − (1−p)·log σ(−z),   ∂loss/∂Δ = σ(z) − p
//
// which is Bradley–Terry's −log σ(Δ) for a hard label without margin and
// Llama 2's −log σ(Δ − m) with one. A soft label of 0.5 has zero gradient at
// Δ = 0: it asks for a tie. Pairs are grouped by ranking as in InstructGPT: the
// comparisons of one ranking of K responses (the records that share an id and
// a prompt, as labelling writes them) form one batch element, each response
// is run once, and the element's loss is the mean over its pairs (divided by
// K-choose-2 for a full ranking), so rankings with many comparisons do not
// dominate. Records without an id stand alone: independent pairs under one
// instruction are not a ranking. An element holds at most max_group_pairs
// comparisons and [MaxGroupResponses] responses; a larger one is split. An
// optional centring term λ·(mean of the element's rewards)² keeps rewards near
// zero, and the criterion heads add a squared error to the rating mapped
// to [−1, 1].
//
// Two opt-in settings are off by default. FlipRate ε replaces the pair loss
// with [RobustPairLoss], which assumes each label was flipped with
// probability ε: the chosen response is observed to win with probability
// q = ε + (1−2ε)·σ(z), and a pair the model confidently contradicts costs at
// most −log ε and pulls less and less, so flipped labels are not memorised.
// HeadLRMult trains the scalar heads at that multiple of the body's learning
// rate.
//
// # Normalisation
//
// Before training, the SFT model (the reward model's initial weights) samples
// responses to the training prompts; after training these reference samples
// are scored and every head gets a gain and bias that give them mean 0 and
// standard deviation 1, and the combined reward a gain and bias of its own.
// They are stored in config.json's "align" section (per head) and in
// reward.json (combined), and applied by [Model.Score] and PPO.
//
// # Evaluation
//
// [Evaluate] gives the pairwise accuracy (ties count half), accuracy by label
// source (human vs AI) and by tag, the expected calibration error of σ(Δ)
// against the labels, and a histogram of rewards. Training evaluates the
// held-out accuracy every EvalEvery steps, stops early when it stops
// improving, keeps the best parameters, and reports the train vs held-out
// accuracy gap.
//
// # The stage
//
// [Train] is the reward stage of the loop as one call: it reads the
// preferences (and a held-out file, or holds out a share by prompt), starts
// the model from the SFT checkpoint and runs a [Trainer]; 'align reward
// train' and 'align run' both call it. [ScoreFile] and [EvaluateFile] are
// 'align reward score' and 'align reward eval'.
package reward
