// Package eval measures what alignment did to a policy and writes the run's
// report.
//
// # Win rate
//
// ComputeWinRate asks a judge.Judge to compare the policy's answer with a
// baseline's on every held-out prompt, in both orders (policy as A, then as
// B), so a judge's position bias cancels. Each order scores 1 for a win, ½
// for a tie and 0 for a loss; a prompt's score is the mean of its orders and
// the win rate the mean over prompts, with a seeded percentile bootstrap
// confidence interval over prompts (Bootstrap, 1000 resamples, 95% by
// default).
//
// A policy trained against one judge can learn that judge's quirks rather
// than the behaviour it stands for (reward hacking). Evaluate therefore takes
// a second, held-out judge: a different constitution (HeldOutConstitution
// re-weights the default principles), a different lexicon, or an LLM judge.
// A win rate that is high under the training judge and not under the
// held-out one is the symptom.
//
// # The table
//
// Evaluate samples every policy's answer to the same prompts from the same
// random stream (chat.Sampler: the chat template, temperature and top-p) and
// fills one column of a Table per policy:
//
//   - refusal rate on harmful prompts and over-refusal on benign ones
//     (data.LooksLikeRefusal), accuracy on checkable prompts (data.Check),
//     as the prompts' tags say;
//   - KL to a reference policy: the mean over responses of Σ_t log π(y_t) −
//     log π_ref(y_t) on the policy's own samples (model.LogProbs), the
//     sequence-level KL that PPO's penalty holds in check;
//   - mean reward under a Scorer (a reward model, a judge, a function);
//   - response length and EOS rate.
//
// # Run
//
// Run is 'align eval' (and the eval stage of 'align run') as a call: it
// loads the checkpoints of a Spec, names their columns by the stage that
// made them, builds the judges from a judge.Spec, calls Evaluate and writes
// the Result as JSON and the report when asked. Its Config is the run
// config's "eval" section.
//
// # Report
//
// WriteReport turns the stages' metrics.jsonl files, an evaluation Result
// and the run's configuration into report/index.html, PNG plots drawn with
// gonum.org/v1/plot beside it (the page needs no network and no script) and
// summary.json with every headline number. Missing stages are reported as
// such, never as errors.
package eval
