// Package data reads, checks, splits and writes align's data sets, and holds
// the default world that `align run` trains in.
//
// # Formats
//
// Every data set is JSON lines, compatible with TRL and Hugging Face
// datasets. Each format is a record type that implements [Record]:
//
//   - [Text]: {"text"} for pretraining
//   - [SFT]: {"prompt","completion"} or {"messages":[{"role","content"}]}
//   - [Prompt]: {"prompt","tags"?,"answer"?}
//   - [Pair]: {"prompt","responses":[2 to MaxResponses],"tags"?,"id"?}, to
//     be labelled
//   - [Preference]: {"prompt","chosen","rejected"} with optional ratings
//     (1–10), soft label p_chosen (0–1), source, margin (0 to [MaxMargin]),
//     tags and id (the ranking it came from: the comparisons of one pair
//     share it)
//   - [HH]: Anthropic HH-RLHF transcripts, imported as preferences by
//     [ReadHH] and [SplitHH]
//
// [Read] streams a file one line at a time into a callback. Each line is
// checked for invalid UTF-8, length (16 MiB by default), JSON syntax, unknown
// fields, field types and the record's own rules, and every problem names
// file, line and field:
//
//	prefs.jsonl:17: field "p_chosen": 1.3 is outside [0, 1]
//
// By default bad lines are skipped and counted in a [Report] (unknown fields
// are warnings); [ReadOptions].Strict stops at the first. A [Writer] writes
// only records that validate, and [WriteFile] makes a file appear atomically.
//
// # Splits, duplicates, statistics
//
// [HeldOut] assigns a record to the held-out set by a hash of its split key
// (for preferences and pairs the prompt, so one prompt never straddles the
// split): appending data never moves old records. [Dedup] and [Dedupe] drop
// exact duplicates. [StatsFile] detects a file's format and summarises it.
//
// # The default world
//
// [DefaultCorpus] is the pretraining text: Moby-Dick (public domain,
// embedded compressed) mixed with generated sentences stating the facts the
// instructions ask about. [Instructions] generates, from a seed, benign
// requests with checkable answers ([Check]), open requests, borderline
// requests and harmful requests, with a held-out half built from templates
// and vocabulary the training half never uses. Its SFT responses imitate a
// helpful-only assistant, so the aligned loop has something to fix. The
// design is documented in embedded/DATA_CARD.md.
package data
