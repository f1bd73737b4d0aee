// Package feedback is align's human-feedback app: a server-rendered web app
// where annotators compare two responses to a prompt (ratings of coherence,
// relevance and safety, a preference, a harmful flag, a comment), reviewers
// inspect labels and quarantine annotators, and admins manage projects, users,
// import and export and watch agreement, reliability and poisoning flags.
//
// Storage is package store (SQLite or PostgreSQL); the statistics are package
// quality. Handlers are one per file, templates are embedded and parsed at
// start-up, every POST is CSRF-checked and answered with a redirect.
package feedback
