package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Exit codes shared by every command.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError is a mistake in how a command was called: a bad flag, a missing
// or extra argument, flag values that do not fit together. It exits with 2.
type usageError struct {
	msg  string
	hint string
}

func (e *usageError) Error() string { return e.msg }

// Hint suggests the fix.
func (e *usageError) Hint() string { return e.hint }

// usageErrorf reports bad usage with a hint; an empty hint points at --help
// of the command path given.
func usageErrorf(cmdPath, hint, format string, args ...any) error {
	if hint == "" && cmdPath != "" {
		hint = fmt.Sprintf("run '%s --help' for usage", cmdPath)
	}
	return &usageError{msg: fmt.Sprintf(format, args...), hint: hint}
}

// hinter is an error that can suggest a fix; report prints the hint of the
// first error in the chain that has one.
type hinter interface {
	error
	Hint() string
}

// report prints err as "align: error: …" plus any hint and returns the exit
// code it deserves: 2 for bad usage, 1 for any other failure.
func report(stderr io.Writer, err error) int {
	msg := strings.TrimPrefix(err.Error(), "align: ")
	fmt.Fprintf(stderr, "align: error: %s\n", msg)
	if h, ok := errors.AsType[hinter](err); ok && h.Hint() != "" {
		fmt.Fprintf(stderr, "align: hint: %s\n", h.Hint())
	}
	if _, ok := errors.AsType[*usageError](err); ok {
		return exitUsage
	}
	return exitFailure
}
