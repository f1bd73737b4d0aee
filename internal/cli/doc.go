// Package cli implements the align command line: the cobra command tree,
// global flags, error reporting and exit codes. cmd/align only calls Run.
//
// Every command follows the same contract: --help explains it, --seed and
// --threads are global, output goes to stdout, errors go to stderr as
// "align: error: …" (with "align: hint: …" when a fix can be suggested), and
// the exit code is 0 for success, 1 for a failure and 2 for bad usage.
package cli
