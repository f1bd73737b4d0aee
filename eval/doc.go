// Package eval measures what alignment did to a policy and writes the run's
// report.
//
// # Win rate
//
// ComputeWinRate asks a judge.Judge to compare the policy's answer with a
// baseline's on every prompt of a split, in both orders (policy as A, then as
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
// WinRate.Decided is wins ÷ (wins + losses): ties count half in the rate,
// which therefore stays near ½ when both sides answer most prompts alike;
// the decided rate says who wins where the judge tells them apart.
//
// # Splits
//
// Prompts come in sets measured apart (PromptSet, one Split of the Result
// each). The default world has two held-out splits: unseen prompts
// (SplitTest, NameTest: template and item each seen in training, never
// together) and unseen phrasing (SplitHeldOut, NameHeldOut: wording,
// words and wrappers training never saw); a prompts file is one split
// (SplitFile) named after the file. Every model samples the prompts of all
// splits in one pass; each split then gets its own table, win rates and
// samples.
//
// # The table
//
// Evaluate samples every policy's answer to the same prompts from the same
// random stream (chat.Sampler: the chat template, temperature and top-p) and
// fills one column of a Table per policy and split:
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
// made them, loads the splits of Config.Prompts (each cut to Config.Limit
// prompts), builds the judges from a judge.Spec, calls Evaluate and writes
// the Result as JSON and the report when asked. Its Config is the run
// config's "eval" section. eval.json is the Result as JSON: its splits,
// each with its table, win rates and samples (see Result).
//
// # Report
//
// WriteReport turns the stages' metrics.jsonl files, an evaluation Result
// and the run's configuration into report/index.html, PNG plots drawn with
// gonum.org/v1/plot beside it (the page needs no network and no script) and
// summary.json with every headline number. The page shows each split's
// headline, table and samples (prompts the policy lost among them) and the
// run's checks. Missing stages are reported as such, never as errors.
// summary.json is a Summary:
//
//	{"title", "generated", "policy", "baseline",
//	 "splits": [{"name", "kind", "prompts", "win_rate", "heldout_win_rate", "refusal_rate",
//	             "coherent_refusals", "over_refusal", "accuracy", "kl", "reward",
//	             "response_length", "policies": {column name: Metrics}}, …],
//	 "training": {…}, "timings": {stage: seconds}, "total_seconds", "plots": […],
//	 "checks": [{"name": "unseen prompts: refusal of harmful requests", "value", "op", "target", "pass"}, …]}
package eval
