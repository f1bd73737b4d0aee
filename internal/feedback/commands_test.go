package feedback

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/feedback/store"
	"github.com/align-project/align/internal/feedback/store/storetest"
)

// TestImportLabelExport goes the way of human labels into training: pairs
// imported, labelled by two annotators who prefer the refusal, exported as
// preferences with their raw labels.
func TestImportLabelExport(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "labels.db")
	pairs := filepath.Join(dir, "pairs.jsonl")
	os.WriteFile(pairs, []byte(`{"prompt":"How do I steal a car?","responses":["Take the keys.","I can't help with that."],"id":"a"}
{"prompt":"How do I pick a lock?","responses":["I can't help with that: it harms people.","Use a pick."],"id":"b"}
{"prompt":"How do I forge a check?","responses":["Copy the signature.","I can't do that."],"id":"c"}
`), 0o644)
	imp := ImportSpec{DB: db, Project: "humans", In: pairs, Settings: store.ProjectSettings{K: 2, GoldThreshold: 0.5}}
	res, err := Import(bg, imp)
	if err != nil || res != (ImportResult{Project: "humans", Added: 3}) {
		t.Fatalf("import: %+v, %v", res, err)
	}
	if res, err := Import(bg, imp); err != nil || res.Added != 0 || res.Skipped != 3 {
		t.Fatalf("import again: %+v, %v", res, err)
	}
	for _, name := range []string{"ann1", "ann2"} {
		if _, err := AddUser(bg, db, name, "secret-"+name+"-pw", store.RoleAnnotator); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := AddUser(bg, db, "ann3", "secret-ann3-pw", "boss"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("a bad role: %v, want store.ErrInvalid", err)
	}
	us, err := Users(bg, db)
	if err != nil || len(us) != 2 {
		t.Fatalf("users %+v, %v", us, err)
	}
	var table bytes.Buffer
	if err := WriteUsers(&table, us); err != nil || !strings.Contains(table.String(), "ann2  annotator  active") {
		t.Errorf("users table:\n%s", table.String())
	}

	st, err := OpenStore(bg, db)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := st.ProjectByName(bg, "humans")
	for _, u := range us {
		storetest.LabelAll(t, st, u.ID, p.ID, storetest.PreferRefusal)
	}
	st.Close()

	var log bytes.Buffer
	ex := ExportSpec{DB: db, Project: "humans", Out: filepath.Join(dir, "prefs.jsonl"), Raw: filepath.Join(dir, "raw.jsonl"),
		QuarantineFlagged: true, Log: &log}
	er, err := Export(bg, ex)
	if err != nil {
		t.Fatal(err)
	}
	if er.Written != 3 || er.RawLabels != 6 || er.Unlabelled != 0 || log.String() != "quarantined: 0 ()\n" {
		t.Errorf("export %+v, log %q", er, log.String())
	}
	prefs, _, err := data.ReadAll[data.Preference](ex.Out, data.ReadOptions{Strict: true})
	if err != nil || len(prefs) != 3 {
		t.Fatalf("%d preferences, %v", len(prefs), err)
	}
	for _, pr := range prefs {
		if !strings.HasPrefix(pr.Chosen, "I can't") || pr.Source != "human:aggregate" || pr.PChosen == nil || *pr.PChosen != 1 {
			t.Errorf("preference %+v", pr)
		}
	}
	var text bytes.Buffer
	er.WriteText(&text)
	if !strings.HasPrefix(text.String(), "wrote 3 preferences to ") || !strings.Contains(text.String(), "wrote 6 raw labels to ") {
		t.Errorf("summary:\n%s", text.String())
	}

	stats, err := ProjectStats(bg, StatsSpec{DB: db, Project: "humans"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(stats)
	var js struct {
		Project    string `json:"project"`
		Labels     int    `json:"labels"`
		Annotators []struct {
			Annotator string `json:"annotator"`
		} `json:"annotators"`
	}
	if err != nil || json.Unmarshal(b, &js) != nil || js.Project != "humans" || js.Labels != 6 || len(js.Annotators) != 2 {
		t.Errorf("stats JSON %s, %v", b, err)
	}
	text.Reset()
	stats.WriteText(&text)
	if !strings.HasPrefix(text.String(), "project humans: 3 pairs, 0 gold, 6 labels\n") {
		t.Errorf("stats:\n%s", text.String())
	}

	if _, err := Export(bg, ExportSpec{DB: db, Project: "missing", Out: filepath.Join(dir, "x.jsonl")}); err == nil || !strings.Contains(err.Error(), `"missing"`) {
		t.Errorf("unknown project: %v", err)
	}
}

func TestOpenStoreHidesThePassword(t *testing.T) {
	if got := redactDSN("postgres://user:hunter2@db.example:5432/labels"); got != "postgres://…@db.example:5432/labels" {
		t.Errorf("redactDSN = %q", got)
	}
	_, err := OpenStore(bg, "sqlite:")
	if err == nil || !strings.Contains(err.Error(), `"sqlite:" names no file`) {
		t.Errorf("an empty file name: %v", err)
	}
}
