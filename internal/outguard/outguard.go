// Package outguard keeps what a command writes from destroying what it must
// not: its own inputs, and an earlier run in its output directory. Every
// stage that writes (train.Pretrain and SFT, reward.Train, ppo.Train,
// checkpoint.Export, chat.GeneratePairs, judge.Label, eval.Run) goes through
// it, so the rules and their messages are the same everywhere:
//
//   - NotOnInputs: an output never equals, contains or lies inside an input.
//   - Run.CheckStart: a fresh run never replaces a run (finished or not)
//     without an explicit overwrite; an unfinished one can be resumed.
//   - CheckResume: a resumed run keeps the settings its checkpoint was made
//     with.
//   - Run.Track: a run that fails before its first checkpoint leaves its
//     directory as it found it.
//
// Errors are *yamlconf.KeyError values named by the setting to change, so
// the CLI names the flag and 'align run' the key of its run config. It is a
// package of its own (not part of checkpoint, which most stages import)
// because judge and chat write no checkpoints, and it depends on nothing of
// align but yamlconf and atomicfile, so any package can use it.
package outguard

import (
	"os"
	"path/filepath"

	"github.com/align-project/align/internal/yamlconf"
)

// Input is a path a call reads, named by the key of its setting.
type Input struct {
	Key  string // e.g. "base"
	Path string // "" = not given: skipped
}

// In is the input of setting key at path.
func In(key, path string) Input { return Input{Key: key, Path: path} }

// NotOnInputs returns a *yamlconf.KeyError of outKey when the output path
// out is one of the inputs, contains one (a directory written over an input
// inside it) or lies inside one (an output among a checkpoint's files can
// replace them). Paths are compared absolute and cleaned with symbolic links
// resolved, and existing ones also by file identity (hard links, bind
// mounts, case-insensitive file systems). An empty out, and an input that
// is empty or does not exist, is skipped.
func NotOnInputs(outKey, out string, inputs ...Input) error {
	if out == "" {
		return nil
	}
	o := locate(out)
	for _, in := range inputs {
		if in.Path == "" {
			continue
		}
		i := locate(in.Path)
		if i.info == nil {
			continue // nothing to destroy; reading it reports the missing input
		}
		var msg string
		switch {
		case o.is(i):
			msg = "%[1]s is the same path as %[2]s (%[3]s): writing it would destroy the input; choose another path"
		case i.inside(o):
			msg = "%[1]s contains %[2]s (%[3]s): writing it could destroy the input; choose a path that does not hold it"
		case o.inside(i):
			msg = "%[1]s is inside %[2]s (%[3]s): writing it could destroy the input; choose a path outside %[3]s"
		default:
			continue
		}
		return yamlconf.Keyf(outKey, msg, out, in.Key, in.Path)
	}
	return nil
}

// place is a path made absolute and clean with its symbolic links
// resolved, and its file info when it exists.
type place struct {
	path string
	info os.FileInfo
}

// locate resolves p as far as it exists: the symbolic links of its longest
// existing prefix are resolved and the rest appended, so an output that
// does not exist yet compares with the directory it will be made in.
func locate(p string) place {
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = filepath.Clean(p)
	}
	dir, rest := abs, ""
	for {
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			abs = filepath.Join(r, rest)
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		rest = filepath.Join(filepath.Base(dir), rest)
		dir = parent
	}
	pl := place{path: abs}
	if fi, err := os.Stat(abs); err == nil {
		pl.info = fi
	}
	return pl
}

func (a place) is(b place) bool {
	return a.path == b.path || (a.info != nil && b.info != nil && os.SameFile(a.info, b.info))
}

// inside reports whether a lies strictly inside the directory b.
func (a place) inside(b place) bool {
	for dir := filepath.Dir(a.path); ; dir = filepath.Dir(dir) {
		if dir == b.path {
			return true
		}
		if b.info != nil && b.info.IsDir() {
			if fi, err := os.Stat(dir); err == nil && os.SameFile(fi, b.info) {
				return true
			}
		}
		if filepath.Dir(dir) == dir {
			return false
		}
	}
}
