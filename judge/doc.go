// Package judge produces AI feedback (RLAIF): preference labels and rewards
// judged by the principles of a [Constitution].
//
// A constitution (YAML; [DefaultConstitution] is embedded) lists principles,
// each judging one criterion (coherence, relevance, safety, helpfulness,
// correctness, positivity, or a name of one's own) with a weight, a 1–10
// rating scale with anchors, and how many principles to sample per
// comparison.
//
// Every judge implements the small [Judge] interface: a [Comparison] of two
// responses to a prompt gives a [Verdict] with P(A preferred), 1–10 ratings
// per criterion, a rationale, and the judge and constitution that decided.
// Judges that score a single response (direct rewards for PPO) implement
// [Rater]. There are two:
//
//   - [Builtin], offline and deterministic: one scorer per criterion —
//     safety from harmful requests ([HarmfulRequest]: patterns per harm
//     category, and an act-and-victim reading of the request over a harm
//     lexicon derived from WordNet), signs of harm in a request that names
//     none (euphemisms, concealment, intrusion, deceit, coercion: one
//     strong sign or two weak ones make it harmful, and after any request
//     an answer that tells how to hide, hurt, coerce, take or deceive is
//     judged harmful help), refusal detection ([IsRefusal]) and the
//     LDNOOBW word list ([Profanity]); relevance from content-word
//     overlap; coherence from repetition, stutter, gibberish, a refusal
//     whose reason fits another harm than the request's
//     ([CoherentRefusal]), and optionally perplexity under a reference model
//     ([Perplexity], [ModelPerplexity]); helpfulness from over-refusal;
//     correctness on checkable arithmetic ([CheckableAnswer]); positivity
//     from a valence lexicon with negation and intensifiers ([Lexicon]) —
//     combined by the constitution's weights. Responses are scored one at a
//     time, so the verdict does not depend on the A/B order.
//   - [LLM], any OpenAI-compatible chat endpoint through a [Client] with a
//     concurrency limit, a request budget, timeouts and retries with
//     exponential backoff and jitter. It asks in both orders, takes the soft
//     label from the answer letter's log-probabilities when available,
//     re-asks unparseable answers and then abstains, and caches answers on
//     disk ([Cache]).
//
// [LabelFile] turns a pairs file into preferences (resumable), and [Label]
// is the loop's label stage around it: the judge of a [Spec], progress and a
// stats file ('align label' and 'align run' call it). A judge that cannot
// judge (no verdict at all, or [FailStreak] abstentions in a row: a server
// down, failing or answering nonsense) stops the run with a [FailureError]
// naming the server, the counts, the last failure and the fix, rather than
// passing for a run that labelled nothing; a [Tally] does the counting, for
// eval's win rates too.
// [ComparePreferences] measures agreement and Cohen's κ between two label
// sets and [PositionConsistency] the order consistency of an LLM judge;
// [Reviser] and [CritiqueFile] run Constitutional AI's critique–revision
// phase and write SFT data, and [Critique] wires them from a [CritiqueSpec]
// for 'align critique'.
package judge
