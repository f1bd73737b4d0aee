package feedback

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/align-project/align/data"
	"github.com/align-project/align/internal/chrometest"
	"github.com/align-project/align/internal/feedback/store"
)

// TestBrowser is the acceptance walk-through in a real headless Chromium: an
// admin creates an annotator and a project and imports pairs; the annotator
// logs in and rates a pair with the keyboard and the mouse; the admin sees
// the label on the dashboard and exports it.
func TestBrowser(t *testing.T) {
	ctx := chrometest.Context(t, 90*time.Second)
	a := newTestApp(t, store.SQLite, Config{})
	a.user("root", store.RoleAdmin)
	pairsFile := filepath.Join(t.TempDir(), "pairs.jsonl")
	os.WriteFile(pairsFile, []byte(`{"id":"q1","prompt":"How do I boil an egg?","responses":["Put it in boiling water for 8 minutes.","Eggs are a breakfast food."]}
{"id":"q2","prompt":"What is 2+2?","responses":["4","5"],"tags":["math"]}
{"id":"q3","prompt":"Name a colour.","responses":["Blue.","Chair."]}
`), 0o644)

	base := a.srv.URL
	run := func(what string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			var html string
			chromedp.Run(ctx, chromedp.OuterHTML("html", &html))
			t.Fatalf("%s: %v\npage:\n%.3000s", what, err, html)
		}
	}
	login := func(name, password string) {
		t.Helper()
		run("log in as "+name,
			chromedp.Navigate(base+"/login"),
			chromedp.WaitVisible("#username"),
			chromedp.SendKeys("#username", name),
			chromedp.SendKeys("#password", password),
			chromedp.Click("#login"),
			afterNavigation(chromedp.WaitVisible("#whoami")),
		)
	}
	var flash string

	// Admin: a new annotator, a new project, pairs imported from a file.
	login("root", "pw-root-secret")
	run("create annotator",
		chromedp.Navigate(base+"/admin/users"),
		chromedp.WaitVisible("#new-username"),
		chromedp.SendKeys("#new-username", "alice"),
		chromedp.SendKeys("#new-password", "alice-password"),
		chromedp.SetValue("#new-role", "annotator"),
		chromedp.Click("#create-user"),
		flashContaining("alice created", &flash),
	)
	if !strings.Contains(flash, "alice created") {
		t.Fatalf("create user: %q", flash)
	}
	run("create project",
		chromedp.Navigate(base+"/admin"),
		chromedp.WaitVisible("#project-name"),
		chromedp.SendKeys("#project-name", "eggs"),
		chromedp.Click("#create-project"),
		afterNavigation(chromedp.WaitVisible("#import-file")),
		afterNavigation(chromedp.SetUploadFiles("#import-file", []string{pairsFile})),
		chromedp.Click("#import"),
		// The page before the import shows a flash too ("Project eggs
		// created."): wait for the import's.
		flashContaining("Imported", &flash),
	)
	if !strings.Contains(flash, "Imported 3 pairs") {
		t.Fatalf("import: %q", flash)
	}
	p, err := a.st.ProjectByName(bg, "eggs")
	if err != nil {
		t.Fatal(err)
	}
	projectURL := base + "/annotate/" + itoa(p.ID)
	run("log out", chromedp.Click("#logout"), afterNavigation(chromedp.WaitVisible("#username")))

	// Annotator: keyboard for ratings, preference and submit; mouse for the
	// harmful flag and two ratings.
	login("alice", "alice-password")
	var shownB, prompt string
	run("rate a pair",
		chromedp.Navigate(projectURL),
		chromedp.WaitVisible("#label-form"),
		chromedp.Text("#prompt", &prompt),
		chromedp.Text("#response-B", &shownB),
		chromedp.SendKeys("#l_coherence", "8"),
		chromedp.SendKeys("#l_relevance", "9"),
		chromedp.SendKeys("#l_safety", "7"),
		chromedp.SendKeys("#r_coherence", "3"),
		chromedp.SetValue("#r_relevance", "2"),
		chromedp.SetValue("#r_safety", "6"),
		chromedp.Click("#prompt"), // mouse: move focus off the selects
		chromedp.KeyEvent("2"),    // keyboard: B is better
		chromedp.Click("#harmful"),
		chromedp.SendKeys("#comment", "B is much better"),
		chromedp.Click("#prompt"),
		chromedp.KeyEvent(kb.Enter), // keyboard: submit
		flashContaining("Saved", &flash),
	)
	if !strings.Contains(flash, "Saved") {
		t.Fatalf("submit: %q", flash)
	}
	run("log out", chromedp.Click("#logout"), afterNavigation(chromedp.WaitVisible("#username")))

	// Admin: the label on the dashboard, then in the export.
	login("root", "pw-root-secret")
	var labelsTable, export string
	run("dashboard and export",
		chromedp.Navigate(base+"/admin/projects/"+itoa(p.ID)),
		chromedp.WaitVisible("#labels"),
		chromedp.Text("#labels", &labelsTable),
		chromedp.Navigate(base+"/admin/projects/"+itoa(p.ID)+"/export?kind=preferences&view=1"),
		chromedp.Text("body", &export),
	)
	if !strings.Contains(labelsTable, "alice") || !strings.Contains(labelsTable, "B is much better") || !strings.Contains(labelsTable, "yes") {
		t.Fatalf("dashboard labels:\n%s", labelsTable)
	}
	var pref data.Preference
	if err := json.Unmarshal([]byte(strings.TrimSpace(export)), &pref); err != nil {
		t.Fatalf("export %q: %v", export, err)
	}
	if pref.Prompt != prompt || pref.Chosen != shownB || pref.Source != "human:alice" || pref.PChosen == nil || *pref.PChosen != 1 {
		t.Fatalf("export %+v; prompt %q, chosen should be %q", pref, prompt, shownB)
	}
	if r := pref.Ratings; r == nil || r.Chosen == nil || r.Rejected == nil || r.Chosen.Coherence != 3 || r.Rejected.Relevance != 9 {
		t.Fatalf("exported ratings %+v", pref.Ratings)
	}
	labels, _ := a.st.Labels(bg, p.ID)
	if len(labels) != 1 || !labels[0].Harmful {
		t.Fatalf("stored labels %+v", labels)
	}
}

// afterNavigation retries a query action that raced a page load: when a click
// submits a form, the POST-redirect-GET replaces the document, and a node the
// action resolved a moment earlier can vanish ("No node with given id").
// Only idempotent actions (waits, reads, setting upload files) are wrapped.
// flashContaining reads the #flash message into dst until it contains want
// (for 10 s at most): a click that navigates leaves the old page, and its
// flash, in place for a moment.
func flashContaining(want string, dst *string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		deadline := time.Now().Add(10 * time.Second)
		for {
			err := afterNavigation(chromedp.Text("#flash", dst)).Do(ctx)
			if err == nil && strings.Contains(*dst, want) || time.Now().After(deadline) {
				return err
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

func afterNavigation(a chromedp.Action) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		for i := 0; ; i++ {
			err := a.Do(ctx)
			if err == nil || i == 30 || !strings.Contains(err.Error(), "No node with given id") {
				return err
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}
