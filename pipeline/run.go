package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/align-project/align/eval"
	"github.com/align-project/align/internal/atomicfile"
	"github.com/align-project/align/internal/progress"
	"github.com/align-project/align/internal/sysinfo"
	"github.com/align-project/align/rundir"
)

// Options configure a run.
type Options struct {
	Dir    string // the run directory
	Config Config // the resolved configuration
	// Version identifies the program that runs the stages (its release and
	// build): a finished stage made by another version runs again.
	Version string
	// Steps replaces some of the library calls of the stages (nil fields:
	// the library's); tests use it.
	Steps Steps
	// Stdout receives each stage's summary; Stderr the one progress display.
	Stdout, Stderr io.Writer
	// Terminal draws the progress display in place.
	Terminal bool
}

// Marker is the content of a stage's done (or started) file.
type Marker struct {
	Stage   string  `json:"stage"`
	Hash    string  `json:"hash"`    // of the stage's config and those of the stages it reads
	Seconds float64 `json:"seconds"` // wall time of the run that finished it
	// PeakMemoryMB is the peak resident memory while it ran (0: the
	// platform cannot tell).
	PeakMemoryMB float64 `json:"peak_memory_mb,omitempty"`
	Time         string  `json:"time"`
}

// Result is what Run did.
type Result struct {
	Ran, Skipped, Resumed []string
	Report                string // path of report/index.html
	Summary               string // path of report/summary.json
	Checks                []Check
	// Methods compares the methods of --compare, a row per method and
	// split (empty without a comparison).
	Methods []eval.ComparisonVariant
	Elapsed time.Duration
}

// ErrInterrupted reports a run stopped by its context; the run directory
// holds what a rerun resumes from.
var ErrInterrupted = errors.New("interrupted")

// Run executes the stages of the run in order. A stage's hash covers its
// settings, the content of the files they name, the program's version and
// the hashes of the stages it reads. A stage whose done marker holds its
// current hash is skipped; an interrupted stage with the same hash resumes
// from its checkpoint where it can (pretraining, SFT, PPO, labelling) and
// starts over otherwise; a stage whose hash changed starts over, and so
// does every stage after one that ran. A setting that fails a stage is
// named as section.key.
func Run(ctx context.Context, o Options) (Result, error) {
	start := time.Now()
	var res Result
	if o.Dir == "" {
		return res, errors.New("pipeline: no run directory")
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if err := o.Config.Validate(); err != nil {
		return res, err
	}
	for _, d := range []string{o.Dir, filepath.Join(o.Dir, rundir.StagesDir), filepath.Join(o.Dir, rundir.DataDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return res, err
		}
	}
	if err := atomicfile.WriteFile(filepath.Join(o.Dir, rundir.ConfigFile), func(w io.Writer) error {
		_, err := w.Write(o.Config.YAML())
		return err
	}); err != nil {
		return res, err
	}
	r := &runner{o: o, steps: o.Steps.orLibrary(), hashes: map[string]string{}}
	stages := r.stages()
	names, weights := make([]string, len(stages)), make([]float64, len(stages))
	for i, s := range stages {
		names[i], weights[i] = s.name, s.weight
	}
	frame := progress.NewFrame(o.Stderr, o.Terminal, names, weights)
	r.frame = frame
	upstreamRan := false
	for i, s := range stages {
		h := hash(append([][]byte{[]byte(s.name), s.config, inputHash(s.inputs), []byte(o.Version)}, r.depHashes(s.deps)...)...)
		r.hashes[s.name] = h
		dir := r.stageDir(s.name)
		if !upstreamRan && !s.always {
			if m, err := readMarker(filepath.Join(dir, rundir.DoneFile)); err == nil && m.Hash == h {
				frame.Skip(i)
				res.Skipped = append(res.Skipped, s.name)
				fmt.Fprintf(o.Stdout, "%s: done in an earlier run (%s), skipped\n", stageLabel(i, len(stages), s.name), progress.Duration(secs(m.Seconds)))
				continue
			}
		}
		resume := false
		if m, err := readMarker(filepath.Join(dir, rundir.StartFile)); err == nil && m.Hash == h && !upstreamRan && s.resumable != nil {
			resume = s.resumable(dir)
		}
		if !resume {
			if err := r.clean(s); err != nil {
				return res, err
			}
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return res, err
		}
		if err := writeMarker(filepath.Join(dir, rundir.StartFile), Marker{Stage: s.name, Hash: h}); err != nil {
			return res, err
		}
		frame.Begin(i)
		how := "starting"
		if resume {
			how = "resuming"
			res.Resumed = append(res.Resumed, s.name)
		}
		fmt.Fprintf(o.Stdout, "%s: %s\n", stageLabel(i, len(stages), s.name), how)
		upstreamRan = upstreamRan || !s.always
		t0 := time.Now()
		// The stage's own peak memory: what earlier stages freed goes back
		// to the system first, so that it does not count.
		debug.FreeOSMemory()
		peakReset := sysinfo.ResetPeakRSS() == nil
		err := r.runStage(ctx, s, resume)
		if ctx.Err() != nil {
			return res, fmt.Errorf("%s: %w; run the same command again to resume from here", s.name, ErrInterrupted)
		}
		if err != nil {
			return res, fmt.Errorf("stage %s: %w (its output: %s)", s.name, sectionError(s.sectionName(), err), filepath.Join(dir, rundir.LogFile))
		}
		done := Marker{Stage: s.name, Hash: h, Seconds: time.Since(t0).Seconds()}
		if peakReset {
			done.PeakMemoryMB = sysinfo.PeakRSSMB()
		}
		if err := writeMarker(filepath.Join(dir, rundir.DoneFile), done); err != nil {
			return res, err
		}
		res.Ran = append(res.Ran, s.name)
	}
	res.Report = filepath.Join(o.Dir, rundir.ReportDir, "index.html")
	res.Summary = filepath.Join(o.Dir, rundir.ReportDir, "summary.json")
	res.Checks, res.Methods = r.checks, r.methods
	res.Elapsed = time.Since(start)
	return res, nil
}

func stageLabel(i, n int, name string) string { return fmt.Sprintf("run %d/%d %s", i+1, n, name) }

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// runStage runs s with its output copied to the stage's log file.
func (r *runner) runStage(ctx context.Context, s stage, resume bool) error {
	logf, err := os.OpenFile(filepath.Join(r.stageDir(s.name), rundir.LogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "== %s %s (resume %v)\n", time.Now().UTC().Format(time.RFC3339), s.name, resume)
	// Summaries go to the user and the log; the progress display only to
	// the frame, except that a non-terminal display is worth keeping too.
	out := io.MultiWriter(r.o.Stdout, logf)
	r.frame.SetLog(logf)
	defer r.frame.SetLog(nil)
	return s.run(ctx, stageIO{out: out, log: r.frame}, resume)
}

// readMarker reads a done or started file.
func readMarker(path string) (Marker, error) {
	var m Marker
	b, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func writeMarker(path string, m Marker) error {
	m.Time = time.Now().UTC().Format(time.RFC3339)
	return atomicfile.WriteJSON(path, m)
}

// Timings returns the seconds each finished stage of the run directory took,
// in stage order, from the done markers.
func Timings(dir string, names []string) ([]string, []float64) {
	var ns []string
	var ss []float64
	for _, n := range names {
		if m, err := readMarker(filepath.Join(dir, rundir.StagesDir, n, rundir.DoneFile)); err == nil {
			ns = append(ns, n)
			ss = append(ss, m.Seconds)
		}
	}
	return ns, ss
}
