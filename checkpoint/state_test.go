package checkpoint

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/align-project/align/model"
	"github.com/align-project/align/tensor"
)

// trainLoop is a miniature training loop with every kind of state a real one
// has: model and optimizer, a random stream (it replaces a random token of
// each batch, and draws the window start), a data position (a cursor over a
// fixed corpus) and metrics (the losses so far).
type trainLoop struct {
	m      *model.Model
	opt    *model.Optimizer
	pcg    *rand.PCG
	rng    *rand.Rand
	pos    int
	step   int
	losses []float32
}

var loopConfig = model.Config{VocabSize: 64, Context: 16, Layers: 2, Heads: 2, Channels: 16}

const loopB, loopT = 2, 16

// loopCorpus is the fixed data the loop reads in order.
var loopCorpus = func() []int32 {
	ids := testIDs(997, loopConfig.VocabSize, 11)
	for i := 1; i < len(ids); i++ { // mostly a fixed successor: quick to learn
		if i%4 != 0 {
			ids[i] = (ids[i-1]*5 + 3) % int32(loopConfig.VocabSize)
		}
	}
	return ids
}()

func newTrainLoop(t testing.TB) *trainLoop {
	m, err := model.New(loopConfig, 42)
	if err != nil {
		t.Fatal(err)
	}
	opt, err := model.NewOptimizer(m, model.DefaultAdamW())
	if err != nil {
		t.Fatal(err)
	}
	pcg := rand.NewPCG(7, 8)
	return &trainLoop{m: m, opt: opt, pcg: pcg, rng: rand.New(pcg)}
}

// resumeTrainLoop rebuilds a loop from a saved state.
func resumeTrainLoop(t testing.TB, s *TrainState) *trainLoop {
	m, opt, err := s.Restore()
	if err != nil {
		t.Fatal(err)
	}
	l := &trainLoop{m: m, opt: opt, pcg: s.RNG, rng: rand.New(s.RNG), step: s.Step}
	if len(s.Data) != 8 {
		t.Fatalf("data position of %d bytes", len(s.Data))
	}
	l.pos = int(binary.LittleEndian.Uint64(s.Data))
	if err := json.Unmarshal(s.Metrics, &l.losses); err != nil {
		t.Fatal(err)
	}
	return l
}

func (l *trainLoop) state() *TrainState {
	s := CaptureTrainState(l.m, l.opt)
	s.Step, s.RNG = l.step, l.pcg
	s.Data = binary.LittleEndian.AppendUint64(nil, uint64(l.pos))
	s.Metrics, _ = json.Marshal(l.losses)
	return s
}

func (l *trainLoop) run(t testing.TB) {
	n := loopB * loopT
	inputs, targets := make([]int32, n), make([]int32, n)
	for i := range n {
		j := (l.pos + i) % len(loopCorpus)
		inputs[i], targets[i] = loopCorpus[j], loopCorpus[(j+1)%len(loopCorpus)]
	}
	inputs[l.rng.IntN(n)] = int32(l.rng.IntN(loopConfig.VocabSize))
	l.pos = (l.pos + n + l.rng.IntN(5)) % len(loopCorpus)
	if err := l.m.Forward(inputs, loopB, loopT); err != nil {
		t.Fatal(err)
	}
	loss, err := l.m.LMLoss(targets, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.m.ZeroGrad()
	if err := l.m.Backward(); err != nil {
		t.Fatal(err)
	}
	lr := float32(1e-2) * float32(min(l.step+1, 5)) / 5 // warm-up: depends on the step
	if _, err := l.opt.Step(lr); err != nil {
		t.Fatal(err)
	}
	l.losses = append(l.losses, loss)
	l.step++
}

// sameRun fails unless two loops reached bit-identical states.
func sameRun(t *testing.T, got, want *trainLoop) {
	t.Helper()
	if got.step != want.step || got.pos != want.pos || len(got.losses) != len(want.losses) {
		t.Fatalf("step %d pos %d %d losses, want %d %d %d", got.step, got.pos, len(got.losses), want.step, want.pos, len(want.losses))
	}
	if i := firstDiff(got.losses, want.losses); i >= 0 {
		t.Fatalf("loss of step %d is %v, want %v", i, got.losses[i], want.losses[i])
	}
	for _, b := range []struct {
		name      string
		got, want []float32
	}{{"params", got.m.Params(), want.m.Params()}, {"adam m", got.opt.M, want.opt.M}, {"adam v", got.opt.V, want.opt.V}} {
		if i := firstDiff(b.got, b.want); i >= 0 {
			t.Fatalf("%s[%d] = %v, want %v", b.name, i, b.got[i], b.want[i])
		}
	}
	if got.opt.StepCount != want.opt.StepCount || string(must(got.pcg.MarshalBinary())) != string(must(want.pcg.MarshalBinary())) {
		t.Fatalf("optimizer steps %d vs %d, or the random streams differ", got.opt.StepCount, want.opt.StepCount)
	}
}

// TestTrainStateResume stops a run at step k, keeps only what was saved,
// resumes, and checks that steps k..N are bit-identical to a run that never
// stopped.
func TestTrainStateResume(t *testing.T) {
	tensor.SetThreads(2)
	const N, k = 14, 6
	ref := newTrainLoop(t)
	for range N {
		ref.run(t)
	}
	if !(ref.losses[N-1] < ref.losses[0]) {
		t.Errorf("loss went from %v to %v: the loop does not train", ref.losses[0], ref.losses[N-1])
	}

	dir := t.TempDir()
	first := newTrainLoop(t)
	for range k {
		first.run(t)
	}
	if err := SaveTrainState(dir, first.state()); err != nil {
		t.Fatal(err)
	}
	first = nil // the process "dies": only the directory survives

	s, err := LoadTrainState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Step != k || s.AdamSteps != k || s.Config != loopConfig || s.AdamW != model.DefaultAdamW() {
		t.Fatalf("loaded step %d, adam steps %d, config %+v, adamw %+v", s.Step, s.AdamSteps, s.Config, s.AdamW)
	}
	resumed := resumeTrainLoop(t, s)
	for resumed.step < N {
		resumed.run(t)
	}
	sameRun(t, resumed, ref)
}

// failingWriter fails once n bytes have passed.
type failingWriter struct {
	w io.Writer
	n int
}

var errInjected = errors.New("injected failure")

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n, _ := f.w.Write(p[:f.n])
		f.n = 0
		return n, errInjected
	}
	f.n -= len(p)
	return f.w.Write(p)
}

// TestTrainStateCrashDuringSave fails saves at several points and checks that
// the state saved before stays loadable and unchanged.
func TestTrainStateCrashDuringSave(t *testing.T) {
	tensor.SetThreads(2)
	dir := t.TempDir()
	l := newTrainLoop(t)
	l.run(t)
	l.run(t)
	if err := SaveTrainState(dir, l.state()); err != nil {
		t.Fatal(err)
	}
	saved := resumeTrainLoop(t, must(LoadTrainState(dir)))
	l.run(t)

	for _, h := range []*saveHooks{
		{wrap: func(w io.Writer) io.Writer { return &failingWriter{w: w, n: 100} }},
		{wrap: func(w io.Writer) io.Writer { return &failingWriter{w: w, n: 10000} }},
		{beforeCommit: func() error { return errInjected }},
	} {
		if err := saveTrainState(dir, l.state(), h); !errors.Is(err, errInjected) {
			t.Fatalf("save with an injected failure: %v", err)
		}
		got := resumeTrainLoop(t, must(LoadTrainState(dir)))
		sameRun(t, got, saved)
	}
	// A killed process leaves temporary and unreferenced files behind:
	// loading ignores them and the next save removes them.
	junk := []string{".state-00000003-abcdef.safetensors.tmp-123", "state-00000003-abcdef.safetensors", "." + TrainStateManifest + ".tmp-9"}
	for _, j := range junk {
		os.WriteFile(filepath.Join(dir, j), []byte("partial"), 0o644)
	}
	sameRun(t, resumeTrainLoop(t, must(LoadTrainState(dir))), saved)
	if err := SaveTrainState(dir, l.state()); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want the manifest and one state file", names)
	}
	sameRun(t, resumeTrainLoop(t, must(LoadTrainState(dir))), l)
}

func TestTrainStateCorrupt(t *testing.T) {
	dir := t.TempDir()
	l := newTrainLoop(t)
	if err := SaveTrainState(dir, l.state()); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "state-*.safetensors"))
	if len(files) != 1 {
		t.Fatalf("state files %v", files)
	}
	data := must(os.ReadFile(files[0]))
	data[len(data)-3] ^= 1 // one bit of adam_v
	os.WriteFile(files[0], data, 0o644)
	if _, err := LoadTrainState(dir); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("flipped bit: %v", err)
	}
	os.Remove(files[0])
	if _, err := LoadTrainState(dir); err == nil || !strings.Contains(err.Error(), filepath.Base(files[0])) {
		t.Errorf("missing state file: %v", err)
	}
	os.WriteFile(filepath.Join(dir, TrainStateManifest), []byte(`{"format": "align-train-state", "version": 2}`), 0o644)
	if _, err := LoadTrainState(dir); err == nil || !strings.Contains(err.Error(), "version 2") {
		t.Errorf("future version: %v", err)
	}
	if _, err := LoadTrainState(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty directory: %v", err)
	}
	bad := l.state()
	bad.M = bad.M[:10]
	if err := SaveTrainState(t.TempDir(), bad); err == nil {
		t.Error("saved a state with short moments")
	}
}

// Environment of the helper process of TestTrainStateKill.
const (
	helperDirEnv   = "ALIGN_CHECKPOINT_KILL_DIR"
	helperStepsEnv = "ALIGN_CHECKPOINT_KILL_STEPS"
)

// TestTrainStateKillHelper is the training process that TestTrainStateKill
// kills: it resumes from the directory if it holds a state, trains to the
// given step count and saves after every step.
func TestTrainStateKillHelper(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		t.Skip("helper process of TestTrainStateKill")
	}
	tensor.SetThreads(2)
	steps, _ := strconv.Atoi(os.Getenv(helperStepsEnv))
	var l *trainLoop
	if s, err := LoadTrainState(dir); err == nil {
		l = resumeTrainLoop(t, s)
	} else if errors.Is(err, os.ErrNotExist) {
		l = newTrainLoop(t)
	} else {
		t.Fatal(err)
	}
	for l.step < steps {
		l.run(t)
		if err := SaveTrainState(dir, l.state()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTrainStateKill runs training in a subprocess, kills it with SIGKILL at
// random moments (during steps and during saves), restarts it each time, and
// checks the final state against an uninterrupted run.
func TestTrainStateKill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs subprocesses")
	}
	tensor.SetThreads(2)
	const N = 60
	ref := newTrainLoop(t)
	for range N {
		ref.run(t)
	}
	dir := t.TempDir()
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTrainStateKillHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperDirEnv+"="+dir, helperStepsEnv+"="+strconv.Itoa(N))
		out := new(strings.Builder)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	// Time one whole run to pick kill moments inside it.
	t0 := time.Now()
	cmd := start()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v\n%s", err, cmd.Stdout)
	}
	full := time.Since(t0)
	sameRun(t, resumeTrainLoop(t, must(LoadTrainState(dir))), ref)

	os.RemoveAll(dir)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	var log []string
	kills := 0
	for attempt := 0; attempt < 8; attempt++ {
		cmd := start()
		if attempt < 5 {
			d := time.Duration(rng.Int64N(int64(full)))
			time.Sleep(d)
			if cmd.Process.Kill() == nil {
				kills++
			}
			werr := cmd.Wait()
			step := -1
			if s, err := LoadTrainState(dir); err == nil {
				step = s.Step
			} else if !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("after a kill at %v (seed %d): %v", d, seed, err)
			}
			log = append(log, fmt.Sprintf("killed after %v (%v): saved step %d", d.Round(time.Millisecond), werr, step))
			if step == N {
				break
			}
			continue
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper: %v\n%s", err, cmd.Stdout)
		}
		break
	}
	if s, err := LoadTrainState(dir); err != nil || s.Step != N {
		// The last kills may have landed before the end: finish the run.
		cmd := start()
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper: %v\n%s", err, cmd.Stdout)
		}
	}
	t.Logf("uninterrupted run %v; seed %d; %s", full.Round(time.Millisecond), seed, strings.Join(log, "; "))
	if kills == 0 {
		t.Error("no kill landed")
	}
	got := resumeTrainLoop(t, must(LoadTrainState(dir)))
	sameRun(t, got, ref)
	if math.IsNaN(float64(got.losses[N-1])) {
		t.Error("NaN loss")
	}
}

// FuzzLoadTrainState loads corrupt manifests next to a valid state file.
func FuzzLoadTrainState(f *testing.F) {
	dir := f.TempDir()
	l := newTrainLoop(f)
	if err := SaveTrainState(dir, l.state()); err != nil {
		f.Fatal(err)
	}
	man, err := os.ReadFile(filepath.Join(dir, TrainStateManifest))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(man)
	f.Add([]byte(`{"format": "align-train-state", "version": 1, "model_config": {"vocab_size": 1000000, "context": 1000, "layers": 100, "heads": 1, "channels": 1000}}`))
	f.Fuzz(func(t *testing.T, manifest []byte) {
		sub := t.TempDir()
		files, _ := filepath.Glob(filepath.Join(dir, "state-*"))
		for _, p := range files {
			os.Link(p, filepath.Join(sub, filepath.Base(p)))
		}
		os.WriteFile(filepath.Join(sub, TrainStateManifest), manifest, 0o644)
		LoadTrainState(sub)
	})
}
