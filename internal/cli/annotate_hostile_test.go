package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/feedback"
	"github.com/align-project/align/internal/feedback/store"
)

// TestAnnotateBadFlags: settings that cannot work are usage errors naming
// the flag, before anything is created. 'annotate serve --session-ttl -1h'
// used to start a server nobody could stay logged in to, and --db garbage
// to create a SQLite file named garbage.
func TestAnnotateBadFlags(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile("pairs.jsonl", []byte(`{"prompt":"p","responses":["a","b"]}`+"\n"), 0o644)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"annotate", "serve", "--session-ttl", "-1h"}, 2, "--session-ttl: -1h: a login must last from 1m to 720h"},
		{[]string{"annotate", "serve", "--session-ttl", "0s"}, 2, "--session-ttl: 0: a login must last"},
		{[]string{"annotate", "serve", "--addr", "8080"}, 2, `--addr: "8080" is not HOST:PORT`},
		{[]string{"annotate", "serve", "--trusted-proxy", "proxy"}, 2, `--trusted-proxy: "proxy" is not an address`},
		{[]string{"annotate", "import", "--project", "x", "--in", "pairs.jsonl", "--k", "0"}, 2, "--k: 0: annotations per pair must be 1 to 100"},
		{[]string{"annotate", "import", "--project", "x", "--in", "pairs.jsonl", "--gold-rate", "NaN"}, 2, "--gold-rate: NaN:"},
		{[]string{"annotate", "import", "--project", "x", "--in", "pairs.jsonl", "--gold-threshold", "2"}, 2, "--gold-threshold: 2:"},
		{[]string{"annotate", "import", "--db", "garbage", "--project", "x", "--in", "pairs.jsonl"}, 1, `database "garbage" is not sqlite:PATH`},
		{[]string{"annotate", "users", "add", "--db", "garbage", "--name", "root"}, 1, "or postgres://USER@HOST/DBNAME"},
		{[]string{"annotate", "export", "--db", "sqlite:typo.db", "--project", "x", "--out", "o.jsonl"}, 1, "no annotation database at typo.db"},
		{[]string{"annotate", "stats", "--db", "sqlite:typo.db", "--project", "x"}, 1, "no annotation database at typo.db"},
		{[]string{"annotate", "users", "list", "--db", "sqlite:typo.db"}, 1, "no annotation database at typo.db"},
	} {
		t.Setenv("ALIGN_PASSWORD", "a-long-password")
		code, _, errOut := run(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, %s want exit %d and %q", strings.Join(c.args, " "), code, errOut, c.code, c.want)
		}
	}
	ents, _ := os.ReadDir(".")
	if len(ents) != 1 {
		t.Errorf("files left: %v, want only pairs.jsonl", ents)
	}
}

// TestAnnotateRankingsFromGenerate: the pairs 'align generate --n 3' writes
// (the default run's data/pairs.jsonl) are imported, every comparison is
// labelled, and the export groups each ranking's comparisons under its id.
// The import used to refuse them ("want 2 responses, got 3").
func TestAnnotateRankingsFromGenerate(t *testing.T) {
	dir := t.TempDir()
	prompts, pairs := filepath.Join(dir, "prompts.jsonl"), filepath.Join(dir, "pairs.jsonl")
	writeLines(t, prompts, strings.Split(strings.TrimSpace(testPrompts), "\n"))
	if code, out, errOut := run(t, "generate", "--model", tinyPolicyDir(t, "sft", 1, false), "--prompts", prompts, "--n", "3",
		"--out", pairs, "--max-new-tokens", "6", "--no-progress", "--seed", "5"); code != 0 {
		t.Fatalf("generate: exit %d\n%s%s", code, out, errOut)
	}
	generated, _, err := data.ReadAll[data.Pair](pairs, data.ReadOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	comparisons := map[string]int{} // ranking id → distinct pairs of responses
	total := 0
	for _, p := range generated {
		for i := range p.Responses {
			for j := i + 1; j < len(p.Responses); j++ {
				if p.Responses[i] != p.Responses[j] {
					comparisons[data.PairID(p)]++
					total++
				}
			}
		}
	}
	db := "sqlite:" + filepath.Join(dir, "a.db")
	if code, out, errOut := run(t, "annotate", "import", "--db", db, "--project", "loop", "--in", pairs, "--k", "1"); code != 0 || !strings.Contains(out, "imported") {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}

	st, err := feedback.OpenStore(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(t.Context(), 0, "ann", "pw-annotator-secret", store.RoleAnnotator)
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.ProjectByName(t.Context(), "loop")
	if err != nil {
		t.Fatal(err)
	}
	labelled := 0
	for {
		a, err := st.Next(t.Context(), u.ID, p.ID)
		if errors.Is(err, store.ErrNoWork) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		r := store.Ratings{Coherence: 5, Relevance: 5, Safety: 5}
		if _, err := st.SubmitLabel(t.Context(), store.Submission{UserID: u.ID, AssignmentID: a.ID, Preference: store.PrefA, Left: r, Right: r}); err != nil {
			t.Fatal(err)
		}
		labelled++
	}
	st.Close()
	if labelled != total || total < len(generated) {
		t.Fatalf("labelled %d items, want the %d comparisons of %d rankings", labelled, total, len(generated))
	}

	prefs := filepath.Join(dir, "prefs.jsonl")
	if code, out, errOut := run(t, "annotate", "export", "--db", db, "--project", "loop", "--out", prefs); code != 0 {
		t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
	}
	exported, _, err := data.ReadAll[data.Preference](prefs, data.ReadOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, pr := range exported {
		got[pr.ID]++
	}
	if len(exported) != total || len(got) != len(comparisons) {
		t.Fatalf("%d preferences in %d groups, want %d in %d", len(exported), len(got), total, len(comparisons))
	}
	for id, n := range comparisons {
		if got[id] != n {
			t.Errorf("ranking %s: %d preferences, want %d", id, got[id], n)
		}
	}
}
