package outguard

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/align-project/align/internal/testkit"
	"github.com/align-project/align/internal/yamlconf"
)

func mkdir(t *testing.T, p string) string {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func touch(t *testing.T, p string) string {
	t.Helper()
	mkdir(t, filepath.Dir(p))
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNotOnInputs: an output that is an input (also through a symbolic
// link, a hard link or a path written otherwise), holds one or lies inside
// one is refused, naming both settings; anything else passes.
func TestNotOnInputs(t *testing.T) {
	dir := t.TempDir()
	sft := mkdir(t, filepath.Join(dir, "runs", "sft"))
	touch(t, filepath.Join(sft, "model.safetensors"))
	pairs := touch(t, filepath.Join(dir, "pairs.jsonl"))
	link := filepath.Join(dir, "link")
	if err := os.Symlink(sft, link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.jsonl")
	if err := os.Link(pairs, hard); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)

	for _, tc := range []struct {
		out, in string
		want    string // "" = allowed
	}{
		{sft, sft, "is the same path as base"},
		{"runs/sft/", sft, "is the same path as base"},
		{"runs/../runs/sft", sft, "is the same path as base"},
		{link, sft, "is the same path as base"},
		{filepath.Join(link, "model.safetensors"), sft, "is inside base"},
		{filepath.Join(dir, "runs"), sft, "contains base"},
		{filepath.Join(sft, "ppo"), sft, "is inside base"},
		{filepath.Join(sft, "new", "deeper"), sft, "is inside base"},
		{hard, pairs, "is the same path as base"},
		{"pairs.jsonl", pairs, "is the same path as base"},
		{filepath.Join(dir, "runs", "sft2"), sft, ""},
		{filepath.Join(dir, "runs", "ppo"), sft, ""},
		{filepath.Join(dir, "prefs.jsonl"), pairs, ""},
		{filepath.Join(dir, "missing"), filepath.Join(dir, "missing"), ""}, // nothing to destroy
		{"", sft, ""},
		{sft, "", ""},
	} {
		err := NotOnInputs("out", tc.out, In("data", filepath.Join(dir, "other.jsonl")), In("base", tc.in))
		if tc.want == "" {
			if err != nil {
				t.Errorf("out %q, base %q: %v", tc.out, tc.in, err)
			}
			continue
		}
		testkit.WantKeyError(t, err, "out", tc.want, tc.out, tc.in, "choose")
	}
}

// testRun is a trainer's output directory layout for the tests.
func testRun(dir string) Run {
	return Run{Dir: dir, Finished: FinishedFile, Resumable: true, Files: []string{"last", "config.yaml", "metrics.jsonl", "model.safetensors"}}
}

// TestCheckStart: a fresh run starts in a missing or empty directory, or
// one holding only files that are not a run's ('align run' keeps its
// markers there); a directory with a run, finished or not, needs resume or
// overwrite, and the error says which.
func TestCheckStart(t *testing.T) {
	dir := t.TempDir()
	missing := testRun(filepath.Join(dir, "missing"))
	empty := testRun(mkdir(t, filepath.Join(dir, "empty")))
	foreign := testRun(mkdir(t, filepath.Join(dir, "foreign")))
	touch(t, filepath.Join(foreign.Dir, "started"))
	touch(t, filepath.Join(foreign.Dir, "log.txt"))
	for _, r := range []Run{missing, empty, foreign} {
		if err := r.CheckStart(false, false); err != nil {
			t.Errorf("%s: %v", r.Dir, err)
		}
	}

	unfinished := testRun(mkdir(t, filepath.Join(dir, "unfinished")))
	touch(t, filepath.Join(unfinished.Dir, "last", "train_state.json"))
	touch(t, filepath.Join(unfinished.Dir, "metrics.jsonl"))
	testkit.WantKeyError(t, unfinished.CheckStart(false, false), "out", "holds an unfinished run", filepath.Join(unfinished.Dir, "last"), "continue it with resume", "discard it with overwrite")
	for _, flags := range [][2]bool{{true, false}, {false, true}} {
		if err := unfinished.CheckStart(flags[0], flags[1]); err != nil {
			t.Errorf("resume %v, overwrite %v: %v", flags[0], flags[1], err)
		}
	}
	testkit.WantKeyError(t, unfinished.CheckStart(true, true), "overwrite", "give only one")

	if err := unfinished.Finish(map[string]int{"steps": 3}); err != nil {
		t.Fatal(err)
	}
	testkit.WantKeyError(t, unfinished.CheckStart(false, false), "out", "holds a finished run", "replace it with overwrite")
	if err := unfinished.Unfinish(); err != nil {
		t.Fatal(err)
	}
	testkit.WantKeyError(t, unfinished.CheckStart(false, false), "out", "holds an unfinished run")

	once := Run{Dir: unfinished.Dir, Finished: "eval.json", Files: []string{"metrics.jsonl"}}
	testkit.WantKeyError(t, once.CheckStart(false, false), "out", "holds the outputs of an earlier run", "replace them with overwrite")
}

// TestClearAndTrack: Clear removes the run's files and nothing else; Undo
// removes what a run made after Track, down to the directories it created,
// and keeps what was there before.
func TestClearAndTrack(t *testing.T) {
	dir := t.TempDir()
	r := testRun(mkdir(t, filepath.Join(dir, "run")))
	touch(t, filepath.Join(r.Dir, "last", "state"))
	touch(t, filepath.Join(r.Dir, "config.yaml"))
	touch(t, filepath.Join(r.Dir, FinishedFile))
	keep := touch(t, filepath.Join(r.Dir, "log.txt"))
	if err := r.Clear(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"last", "config.yaml", FinishedFile} {
		if exists(filepath.Join(r.Dir, name)) {
			t.Errorf("Clear left %s", name)
		}
	}
	if !exists(keep) {
		t.Error("Clear removed a file that is not the run's")
	}

	// A run in an existing directory: its new files go, the old stay.
	touch(t, filepath.Join(r.Dir, "metrics.jsonl"))
	c := r.Track()
	touch(t, filepath.Join(r.Dir, "last", "tokenizer.json"))
	touch(t, filepath.Join(r.Dir, "config.yaml"))
	c.Undo()
	if exists(filepath.Join(r.Dir, "last")) || exists(filepath.Join(r.Dir, "config.yaml")) {
		t.Error("Undo left the run's new files")
	}
	if !exists(filepath.Join(r.Dir, "metrics.jsonl")) || !exists(keep) {
		t.Error("Undo removed files that were there before")
	}

	// A run in directories it made: they go too, up to the first that
	// existed.
	nested := testRun(filepath.Join(dir, "a", "b", "c"))
	c = nested.Track()
	touch(t, filepath.Join(nested.Dir, "config.yaml"))
	c.Undo()
	if exists(filepath.Join(dir, "a")) {
		t.Error("Undo left the directories the run made")
	}
	// ...unless something else was put there meanwhile.
	c = nested.Track()
	touch(t, filepath.Join(nested.Dir, "config.yaml"))
	other := touch(t, filepath.Join(dir, "a", "other"))
	c.Undo()
	if !exists(other) || exists(filepath.Join(dir, "a", "b")) {
		t.Error("Undo removed a directory that holds another file, or kept an empty one")
	}
	(*Created)(nil).Undo() // no run to undo: a no-op
}

type testConfig struct {
	Inner
	Dim  int     `yaml:"dim"`
	LR   float64 `yaml:"lr"`
	Name string  `yaml:"name"`
}

type Inner struct {
	Seed uint64 `yaml:"seed"`
}

// TestCheckResume: a fixed key whose value differs from the saved config
// is an error naming it with both values; other keys may change; a run
// without a saved config is the trainer's to report.
func TestCheckResume(t *testing.T) {
	dir := t.TempDir()
	saved := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(saved, yamlconf.Encode(testConfig{Inner: Inner{Seed: 7}, Dim: 128, LR: 1e-3, Name: "a"}), 0o644); err != nil {
		t.Fatal(err)
	}
	shape := Fixed{Why: "the shape is set", Keys: []string{"dim"}}
	seed := Fixed{Why: "it drew the order", Keys: []string{"seed"}}
	same := testConfig{Inner: Inner{Seed: 7}, Dim: 128, LR: 5e-4, Name: "b"}
	if err := CheckResume(saved, same, shape, seed); err != nil {
		t.Errorf("only free keys changed: %v", err)
	}
	dim := same
	dim.Dim = 64
	testkit.WantKeyError(t, CheckResume(saved, dim, shape, seed), "dim", "64 differs from 128", saved, "the shape is set", "resume without changing it")
	s := same
	s.Seed = 8
	testkit.WantKeyError(t, CheckResume(saved, s, shape, seed), "seed", "8 differs from 7")
	if err := CheckResume(filepath.Join(dir, "missing.yaml"), dim, shape); err != nil {
		t.Errorf("no saved config: %v", err)
	}
}
