package outguard

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"

	"github.com/align-project/align/internal/atomicfile"
	"github.com/align-project/align/internal/yamlconf"
)

// FinishedFile is the marker a trainer writes into its output directory
// as its last act, once the run and everything after it (the SFT
// evaluation, the final models) is written: a run directory without it
// holds an unfinished run.
const FinishedFile = "finished.json"

// Run is the output directory of a training run and what the trainer
// writes in it. Other files in Dir ('align run' keeps its markers and log
// there) are not the run's and are never touched.
type Run struct {
	Dir string
	// Files are the names (files and directories) a run writes in Dir.
	Files []string
	// Finished names the file that marks a finished run: FinishedFile, or
	// for a trainer without checkpoints the file it writes last.
	Finished string
	// Resumable runs leave a checkpoint to resume from.
	Resumable bool
}

// CheckStart reports whether a run may start in r.Dir. Resuming always may
// (the trainer reports a missing checkpoint); resume and overwrite together
// contradict each other. A fresh run may start when Dir holds none of the
// run's files, or with overwrite (Clear then discards them). Otherwise the
// error, a *yamlconf.KeyError of "out", says whether the run there is
// finished and how to go on: resume it, overwrite it or choose another out.
func (r Run) CheckStart(resume, overwrite bool) error {
	switch {
	case resume && overwrite:
		return yamlconf.Keyf("overwrite", "resume continues the run in %s and overwrite discards it: give only one", r.Dir)
	case resume || overwrite:
		return nil
	}
	found := ""
	for _, name := range r.names() {
		if exists(filepath.Join(r.Dir, name)) {
			found = filepath.Join(r.Dir, name)
			break
		}
	}
	switch {
	case found == "":
		return nil
	case exists(filepath.Join(r.Dir, r.Finished)):
		return yamlconf.Keyf("out", "%s holds a finished run: replace it with overwrite, or choose another out", r.Dir)
	case r.Resumable:
		return yamlconf.Keyf("out", "%s holds an unfinished run (%s): continue it with resume, or discard it with overwrite", r.Dir, found)
	}
	return yamlconf.Keyf("out", "%s holds the outputs of an earlier run (%s): replace them with overwrite, or choose another out", r.Dir, found)
}

// Check is what a run checks in r.Dir before it loads anything: its
// output destroys none of its inputs (NotOnInputs), the run already there
// is resumed or overwritten only when asked (CheckStart), and a resumed run
// keeps the fixed settings of the config saved at saved (CheckResume;
// saved "" for a run that cannot resume). An empty Dir writes nothing and
// passes.
func Check[C any](r Run, resume, overwrite bool, saved string, cfg C, fixed []Fixed, inputs ...Input) error {
	if r.Dir == "" {
		return nil
	}
	if err := NotOnInputs("out", r.Dir, inputs...); err != nil {
		return err
	}
	if err := r.CheckStart(resume, overwrite); err != nil {
		return err
	}
	if resume && saved != "" {
		return CheckResume(saved, cfg, fixed...)
	}
	return nil
}

// Begin prepares r.Dir right before a run writes to it: an overwritten
// run's files are removed. It comes after the run's data and models have
// loaded, so that a mistake there discards nothing.
func (r Run) Begin(resume, overwrite bool) error {
	if r.Dir == "" || !overwrite || resume {
		return nil
	}
	return r.Clear()
}

// Clear removes the run's files from r.Dir, the finished marker first, so
// that a fresh run starts clean (after CheckStart allowed an overwrite).
func (r Run) Clear() error {
	for _, name := range r.names() {
		if err := os.RemoveAll(filepath.Join(r.Dir, name)); err != nil {
			return fmt.Errorf("overwrite: %w", err)
		}
	}
	return nil
}

// Unfinish removes the finished marker: a resumed run is unfinished again
// until it ends.
func (r Run) Unfinish() error {
	if err := os.Remove(filepath.Join(r.Dir, r.Finished)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Finish writes the finished marker with info (what the run did, as JSON).
func (r Run) Finish(info any) error {
	return atomicfile.WriteJSON(filepath.Join(r.Dir, r.Finished), info)
}

// Created is what a fresh run is about to create, so that a run that fails
// before its first checkpoint can leave its directory as it found it.
type Created struct {
	dir, existing string   // the directory and its deepest ancestor that exists
	names         []string // run files that did not exist
}

// Track records which of the run's files do not exist yet in r.Dir, and
// which of its directories; call it before the run creates anything.
func (r Run) Track() *Created {
	c := &Created{dir: r.Dir}
	for _, name := range r.names() {
		if !exists(filepath.Join(r.Dir, name)) {
			c.names = append(c.names, name)
		}
	}
	c.existing = filepath.Clean(r.Dir)
	for !exists(c.existing) && filepath.Dir(c.existing) != c.existing {
		c.existing = filepath.Dir(c.existing)
	}
	return c
}

// Undo removes what did not exist when Track was called: the run's files,
// then the directories made for them if they are empty. Nil does nothing.
func (c *Created) Undo() {
	if c == nil {
		return
	}
	for _, name := range c.names {
		os.RemoveAll(filepath.Join(c.dir, name))
	}
	for d := filepath.Clean(c.dir); d != c.existing; d = filepath.Dir(d) {
		if os.Remove(d) != nil {
			break // not empty: something else lives there
		}
	}
}

// names lists the finished marker, then the run's files.
func (r Run) names() []string {
	return slices.DeleteFunc(slices.Concat([]string{r.Finished}, r.Files), func(n string) bool { return n == "" })
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// Fixed is a group of settings that cannot change when a run resumes, and
// why (it completes "...: <why>; resume without changing it ...").
type Fixed struct {
	Why  string
	Keys []string
}

// CheckResume compares the settings cfg of a resumed run with those the run
// was started with, saved as the YAML file saved (the trainer's
// config.yaml), and returns a *yamlconf.KeyError naming the first key of
// fixed whose value differs, with both values and the fix. A saved file
// that does not exist is no error: the trainer's resume reports what is
// missing. Keys are YAML keys of C (looking into embedded structs).
func CheckResume[C any](saved string, cfg C, fixed ...Fixed) error {
	old := cfg // a key the file lacks (an older run) keeps cfg's value
	if err := yamlconf.Load(saved, &old); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("resume: %w", err)
	}
	now, was := reflect.ValueOf(cfg), reflect.ValueOf(old)
	for _, f := range fixed {
		for _, key := range f.Keys {
			a, b := field(now, key), field(was, key)
			if !a.IsValid() {
				panic("outguard: " + now.Type().String() + " has no key " + key)
			}
			if !reflect.DeepEqual(a.Interface(), b.Interface()) {
				return yamlconf.Keyf(key, "%v differs from %v, its value in the run being resumed (%s): %s; resume without changing it, or start a new run with another out",
					a.Interface(), b.Interface(), saved, f.Why)
			}
		}
	}
	return nil
}

// field is the field of struct v whose yaml tag is key, looking into
// embedded structs; invalid when there is none.
func field(v reflect.Value, key string) reflect.Value {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			if fv := field(v.Field(i), key); fv.IsValid() {
				return fv
			}
			continue
		}
		if yamlconf.Key(f) == key {
			return v.Field(i)
		}
	}
	return reflect.Value{}
}
