package yamlconf

import (
	"errors"
	"fmt"
	"strings"
)

// KeyError is a setting that cannot work, named by its YAML key, so that a
// command can name its flag (--grad-accum) and 'align run' its place in the
// run config (sft.grad_accum). Err says what is wrong with it.
type KeyError struct {
	Key string
	Err error
}

// Keyf returns a *KeyError for key with a formatted message.
func Keyf(key, format string, args ...any) *KeyError {
	return &KeyError{Key: key, Err: fmt.Errorf(format, args...)}
}

// WrapKey returns err as a *KeyError of key (nil stays nil; an error that
// already names a key keeps it).
func WrapKey(key string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*KeyError](err); ok {
		return err
	}
	return &KeyError{Key: key, Err: err}
}

func (e *KeyError) Error() string { return e.Key + ": " + e.Err.Error() }
func (e *KeyError) Unwrap() error { return e.Err }

// Flag is the command-line flag of the key: grad_accum → --grad-accum.
func (e *KeyError) Flag() string { return "--" + strings.ReplaceAll(e.Key, "_", "-") }

// In names the key inside a section of a larger config: sft.grad_accum.
func (e *KeyError) In(section string) string { return section + "." + e.Key + ": " + e.Err.Error() }
