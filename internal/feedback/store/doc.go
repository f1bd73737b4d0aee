// Package store keeps the annotation app's data — users, sessions, projects,
// pairs, assignments, labels, quarantines and the journal — in SQLite
// (modernc.org/sqlite, one file, WAL) or PostgreSQL (pgx), with the same plain
// SQL and the same ordered list of migrations for both.
//
// Queries are written with PostgreSQL's $N placeholders; for SQLite they are
// rewritten to ?N. Raw labels are never updated or deleted (triggers refuse
// it), and every change is appended to the journal in the transaction that
// makes it.
//
// Annotators are assigned items concurrently: each regular pair has a row of
// free slots (K minus its open and done assignments), a reservation takes one
// with SKIP LOCKED on PostgreSQL (one writer at a time on SQLite, in short
// transactions), and an expired reservation's slot is reclaimed by the next
// reservation in the project. Several app instances may share one database:
// sessions, reservations and labels all live in it.
package store
