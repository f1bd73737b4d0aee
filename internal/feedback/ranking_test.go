package feedback

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/feedback/store"
	"github.com/align-project/align/internal/feedback/store/storetest"
)

// TestReadRankings: a line of K responses (what 'align generate --n K'
// writes, 3 in the default run) is its K(K−1)/2 items, tagged with the
// ranking's id. It used to be refused with "want 2 responses, got 3".
func TestReadRankings(t *testing.T) {
	in := `{"prompt":"Q1","responses":["a","b","c"],"id":"r1","tags":["benign"]}
{"prompt":"Q2","responses":["x","y"],"id":"p2"}
{"prompt":"Q3","responses":["d","e","d","f"]}
`
	pairs, err := ReadPairs(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	hash := data.PairID(data.Pair{Prompt: "Q3", Responses: []string{"d", "e", "d", "f"}})
	var got []string
	for _, p := range pairs {
		got = append(got, fmt.Sprintf("%s:%s/%s:%s", p.ExtID, p.ResponseA, p.ResponseB, rankingOf(p)))
	}
	want := []string{"r1#0-1:a/b:r1", "r1#0-2:a/c:r1", "r1#1-2:b/c:r1", "p2:x/y:",
		hash + "#0-1:d/e:" + hash, hash + "#0-3:d/f:" + hash, hash + "#1-2:e/d:" + hash, hash + "#1-3:e/f:" + hash, hash + "#2-3:d/f:" + hash}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("items\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if tags := pairs[0].Tags; len(tags) != 2 || tags[0] != "benign" || tags[1] != "ranking:r1" {
		t.Errorf("tags of a ranking's item: %q", tags)
	}

	many := make([]string, 17)
	for i := range many {
		many[i] = fmt.Sprintf("r%d", i)
	}
	b, _ := json.Marshal(many)
	for _, c := range []struct{ line, want string }{
		{`{"prompt":"Q","responses":` + string(b) + `}`, "line 2: 17 responses: want 2 to 16"},
		{`{"prompt":"Q","responses":["a"]}`, "line 2: 1 responses: want 2 to 16"},
		{`{"prompt":"Q","responses":["a","b","c"],"gold":0}`, `line 2: "gold" needs exactly 2 responses, this line has 3`},
		{`{"prompt":"Q","responses":["a","","c"]}`, `line 2: "responses[1]" is empty`},
		{`{"prompt":"Q","responses":["a","b"],"id":"` + strings.Repeat("x", 191) + `"}`, `line 2: "id" is longer than 190 characters`},
		{`{"prompt":"Q","responses":["a","` + strings.Repeat("x", store.MaxResponseLen+1) + `"]}`, `line 2: "responses[1]" is longer than 64 KiB`},
		{`{"prompt":"Q","responses":["a","` + strings.Repeat("x", maxPairLine) + `"]}`, "line 2: longer than 4 MiB"},
	} {
		_, err := ReadPairs(strings.NewReader("\n" + c.line + "\n"))
		if err == nil || err.Error() != c.want && !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%.60s…: %v, want %s", c.line, err, c.want)
		}
	}
}

// TestRankingsLabelledAndExported imports rankings of 3 responses, labels
// every item and exports: each ranking's comparisons carry its id, the group
// key of reward training; importing the file again adds nothing.
func TestRankingsLabelledAndExported(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "labels.db")
	in := filepath.Join(dir, "pairs.jsonl")
	os.WriteFile(in, []byte(`{"prompt":"Q1","responses":["best 1","good 1","bad 1"],"id":"r1"}
{"prompt":"Q2","responses":["bad 2","best 2","good 2"]}
`), 0o644)
	imp := ImportSpec{DB: db, Project: "ranks", In: in, Settings: store.ProjectSettings{K: 1, GoldThreshold: 0.5}}
	if res, err := Import(bg, imp); err != nil || res.Added != 6 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	if res, err := Import(bg, imp); err != nil || res.Added != 0 || res.Skipped != 6 {
		t.Fatalf("import again: %+v, %v", res, err)
	}
	labelAll(t, db, "ranks", 1)
	out := filepath.Join(dir, "prefs.jsonl")
	if _, err := Export(bg, ExportSpec{DB: db, Project: "ranks", Out: out}); err != nil {
		t.Fatal(err)
	}
	prefs, _, err := data.ReadAll[data.Preference](out, data.ReadOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string][]string{}
	for _, p := range prefs {
		byID[p.ID] = append(byID[p.ID], p.Chosen[:4]+">"+p.Rejected[:4])
	}
	r2 := data.PairID(data.Pair{Prompt: "Q2", Responses: []string{"bad 2", "best 2", "good 2"}})
	if len(prefs) != 6 || len(byID) != 2 || strings.Join(byID["r1"], " ") != "best>good best>bad  good>bad " ||
		strings.Join(byID[r2], " ") != "best>bad  good>bad  best>good" {
		t.Errorf("preferences by id: %q", byID)
	}
}

// labelAll has n annotators label every item of a project, preferring the
// response that starts with "best", then "good".
func labelAll(t *testing.T, db, project string, n int) {
	t.Helper()
	st, err := OpenStore(bg, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := st.ProjectByName(bg, project)
	if err != nil {
		t.Fatal(err)
	}
	rank := func(s string) int {
		for i, w := range []string{"best", "good"} {
			if strings.HasPrefix(s, w) {
				return i
			}
		}
		return 2
	}
	for i := range n {
		u, err := st.CreateUser(bg, 0, fmt.Sprintf("ann%d", i), "pw-annotator-secret", store.RoleAnnotator)
		if err != nil {
			t.Fatal(err)
		}
		storetest.LabelAll(t, st, u.ID, p.ID, func(left, right string) store.Preference {
			if rank(right) < rank(left) {
				return store.PrefB
			}
			return store.PrefA
		})
	}
}
