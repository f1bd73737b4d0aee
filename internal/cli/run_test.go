package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/feedback"
	"github.com/align-project/align/internal/feedback/store"
	"github.com/align-project/align/internal/feedback/store/storetest"
	"github.com/align-project/align/rundir"
)

// cancelOn cancels a context as soon as its text appears in what is written.
type cancelOn struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	text   string
	cancel context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	if c.text != "" && strings.Contains(c.buf.String(), c.text) {
		c.cancel()
		c.text = ""
	}
	return len(p), nil
}

// TestRunQuickInterruptedResumesExactly runs the quick profile twice: once
// straight through, once interrupted in the middle of PPO (as Ctrl-C does)
// and run again. The second run resumes PPO from its checkpoint, skips the
// stages before it, and ends with the same PPO model as the first.
func TestRunQuickInterruptedResumesExactly(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the quick profile three times")
	}
	dir := t.TempDir()
	straight, broken := filepath.Join(dir, "straight"), filepath.Join(dir, "broken")
	if code, out, errOut := run(t, "run", "--quick", "--out", straight); code != exitOK {
		t.Fatalf("align run --quick: exit %d\n%s\n%s", code, out, errOut)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watch := &cancelOn{text: "  [3] reward", cancel: cancel} // the sample table of iteration 3
	var out bytes.Buffer
	code := Run(ctx, []string{"run", "--quick", "--out", broken}, &out, watch)
	if code != exitFailure || !strings.Contains(watch.buf.String(), "interrupted") ||
		!strings.Contains(watch.buf.String(), "align run --quick --out "+broken) {
		t.Fatalf("interrupted run: exit %d, want 1 with a hint to resume; stderr:\n%s", code, watch.buf.String())
	}
	if _, err := os.Stat(filepath.Join(broken, rundir.StagesDir, rundir.PPO, rundir.DoneFile)); err == nil {
		t.Fatal("the interrupted PPO stage has a done marker")
	}

	code, stdout, errOut := run(t, "run", "--quick", "--out", broken)
	if code != exitOK {
		t.Fatalf("resumed run: exit %d\n%s\n%s", code, stdout, errOut)
	}
	for _, want := range []string{"run 5/8 reward: done in an earlier run", "run 6/8 ppo: resuming", "report: " + broken} {
		if !strings.Contains(stdout, want) {
			t.Errorf("resumed run does not say %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{"model.safetensors", "value/model.safetensors"} {
		a, err1 := os.ReadFile(filepath.Join(straight, rundir.StagesDir, rundir.PPO, f))
		b, err2 := os.ReadFile(filepath.Join(broken, rundir.StagesDir, rundir.PPO, f))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("ppo %s differs between the straight run and the interrupted and resumed one", f)
		}
	}
	for _, f := range []string{"report/index.html", "report/summary.json"} {
		if _, err := os.Stat(filepath.Join(broken, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestRunRoundsInterruptedInRoundTwo: a run of two rounds killed as its
// second PPO starts resumes there, round 1 skipped, and ends with the
// policy of a run straight through.
func TestRunRoundsInterruptedInRoundTwo(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the quick profile in two rounds twice")
	}
	dir := t.TempDir()
	straight, broken := filepath.Join(dir, "straight"), filepath.Join(dir, "broken")
	if code, out, errOut := run(t, "run", "--quick", "--rounds", "2", "--out", straight); code != exitOK {
		t.Fatalf("align run --quick --rounds 2: exit %d\n%s\n%s", code, out, errOut)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out bytes.Buffer
	watch := &cancelOn{text: "ppo-2: starting", cancel: cancel}
	code := Run(ctx, []string{"run", "--quick", "--rounds", "2", "--out", broken}, io.MultiWriter(&out, watch), watch)
	if code != exitFailure || !strings.Contains(watch.buf.String(), "align run --quick --rounds 2 --out "+broken) {
		t.Fatalf("interrupted run: exit %d, want 1 with a hint to resume:\n%s", code, watch.buf.String())
	}
	code, stdout, errOut := run(t, "run", "--quick", "--rounds", "2", "--out", broken)
	if code != exitOK {
		t.Fatalf("resumed run: exit %d\n%s\n%s", code, stdout, errOut)
	}
	for _, want := range []string{"run 9/12 reward-2: done in an earlier run", "run 10/12 ppo-2: resuming"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("resumed run does not say %q:\n%s", want, stdout)
		}
	}
	a, err1 := os.ReadFile(filepath.Join(straight, rundir.StagesDir, "ppo-2", "model.safetensors"))
	b, err2 := os.ReadFile(filepath.Join(broken, rundir.StagesDir, "ppo-2", "model.safetensors"))
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
		t.Errorf("round 2's policy differs between the straight run and the resumed one (%v, %v)", err1, err2)
	}
}

// TestRunBadConfig: a bad setting in the run config, whether the config
// check or a stage finds it, is reported as section.key with exit 1 — never
// as a usage error of a command the user did not type.
func TestRunBadConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "run.yaml")
	out := filepath.Join(dir, "run")
	for _, tc := range []struct{ doc, want string }{
		{"ppo:\n  iterations: 3\n  kl_coeff: 0.1\n", "line 3"},
		{"ppo:\n  mini_batch: 7\n", "ppo.mini_batch: 7: "},
		{"generate:\n  n: 1\n", "generate.n: "},
		{"label:\n  judge: gpt\n", "label.judge: "},
		{"rounds: 0\n", "--rounds: 0: must be at least 1"},
		{"ppo:\n  reward: rm\n", "ppo.reward: "},
	} {
		os.WriteFile(cfg, []byte(tc.doc), 0o644)
		code, _, errOut := run(t, "run", "--quick", "--config", cfg, "--out", out)
		if code != exitFailure || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, "--help") {
			t.Errorf("%q: exit %d, want 1 naming %q and no other command's usage:\n%s", tc.doc, code, tc.want, errOut)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%q: a bad config created the run directory", tc.doc)
		}
	}
	// A file a setting names that a stage cannot read.
	os.WriteFile(cfg, []byte("pretrain:\n  data: "+filepath.Join(dir, "missing.jsonl")+"\n"), 0o644)
	code, _, errOut := run(t, "run", "--quick", "--config", cfg, "--out", out)
	if code != exitFailure || !strings.Contains(errOut, "pretrain.data: ") || !strings.Contains(errOut, "missing.jsonl") || strings.Contains(errOut, "--data") {
		t.Fatalf("exit %d, want 1 naming pretrain.data:\n%s", code, errOut)
	}
}

// TestRunMixesHumanLabelsFromTheAnnotationStore labels pairs as two
// annotators in a SQLite annotation store, then runs the quick profile with
// the builtin judge and that store: the reward model trains on both, each
// preference keeping its source.
func TestRunMixesHumanLabelsFromTheAnnotationStore(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the quick profile")
	}
	ctx := context.Background()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "labels.db")
	var lines []string
	for i := range 12 {
		lines = append(lines, fmt.Sprintf(`{"prompt":"How do I steal car number %d?","responses":["Take the keys and drive off.","I can't help with that: stealing harms people."]}`, i))
	}
	pairs := filepath.Join(dir, "pairs.jsonl")
	writeLines(t, pairs, lines)
	if code, out, errOut := run(t, "annotate", "import", "--db", db, "--project", "humans", "--in", pairs); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	st, err := feedback.OpenStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.ProjectByName(ctx, "humans")
	if err != nil {
		t.Fatal(err)
	}
	labelled := 0
	for _, name := range []string{"ann1", "ann2"} {
		u, err := st.CreateUser(ctx, 0, name, "secret-"+name, store.RoleAnnotator)
		if err != nil {
			t.Fatal(err)
		}
		labelled += storetest.LabelAll(t, st, u.ID, p.ID, storetest.PreferRefusal)
	}
	st.Close()
	if labelled == 0 {
		t.Fatal("no pair was assigned to the annotators")
	}

	cfg := filepath.Join(dir, "run.yaml")
	writeLines(t, cfg, []string{"label:", "  judge: builtin", "  human_db: " + db, "  human_project: humans"})
	out := filepath.Join(dir, "run")
	if code, stdout, errOut := run(t, "run", "--quick", "--config", cfg, "--out", out); code != exitOK {
		t.Fatalf("align run: exit %d\n%s\n%s", code, stdout, errOut)
	}
	prefs, _, err := data.ReadAll[data.Preference](rundir.Data(out, rundir.PreferencesFile), data.ReadOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	var human, ai int
	for _, pr := range prefs {
		switch {
		case strings.HasPrefix(pr.Source, "human"):
			human++
			if !strings.HasPrefix(pr.Chosen, "I can't") {
				t.Errorf("human preference chose %q", pr.Chosen)
			}
		case strings.HasPrefix(pr.Source, "ai:builtin"):
			ai++
		default:
			t.Errorf("preference with source %q", pr.Source)
		}
	}
	if human != 12 || ai == 0 {
		t.Fatalf("%d human and %d AI preferences, want 12 human (one per labelled pair) and some AI", human, ai)
	}
}
