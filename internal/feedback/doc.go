// Package feedback is align's human-feedback app: a server-rendered web app
// where annotators compare two responses to a prompt (ratings of coherence,
// relevance and safety, a preference, a harmful flag, a comment), reviewers
// inspect labels and quarantine annotators, and admins manage projects, users,
// import and export and watch agreement, reliability and poisoning flags.
//
// Storage is package store (SQLite or PostgreSQL); the statistics are package
// quality. Handlers are one per file, templates are embedded and parsed at
// start-up, every POST is CSRF-checked and answered with a redirect.
//
// The work of 'align annotate' outside the browser is a function per
// subcommand with a spec: Serve, Import, Export, ProjectStats, AddUser and
// Users. 'align run' calls Export to bring human labels into a run.
package feedback
