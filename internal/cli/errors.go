package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/align-project/align/internal/yamlconf"
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
	// A setting's error names its YAML key; on the command line it is a
	// flag. A qualified key (sft.lr, from 'align run') stays as it is.
	if ke, ok := errors.AsType[*yamlconf.KeyError](err); ok && !strings.Contains(ke.Key, ".") {
		msg = strings.Replace(msg, ke.Error(), ke.Flag()+": "+ke.Err.Error(), 1)
	}
	fmt.Fprintf(stderr, "align: error: %s\n", msg)
	if h, ok := errors.AsType[hinter](err); ok && h.Hint() != "" {
		fmt.Fprintf(stderr, "align: hint: %s\n", h.Hint())
	}
	if _, ok := errors.AsType[*usageError](err); ok {
		return exitUsage
	}
	return exitFailure
}

// keyUsage turns a setting that cannot work (a *yamlconf.KeyError from a
// spec's Validate) into bad usage naming its flag; other errors pass.
func keyUsage(cmdPath string, err error) error {
	if ke, ok := errors.AsType[*yamlconf.KeyError](err); ok {
		return usageErrorf(cmdPath, "", "%s: %v", ke.Flag(), ke.Err)
	}
	return err
}
