package feedback

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/align-project/align/internal/feedback/store"
	"github.com/align-project/align/internal/yamlconf"
)

// TestOpenStoreRefusesAnUnknownDSN: --db garbage used to create a SQLite
// file named garbage; a DSN is sqlite:PATH or postgres://… and anything else
// is an error that shows both forms.
func TestOpenStoreRefusesAnUnknownDSN(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, dsn := range []string{"garbage", "labels.db", "postgress://u:hunter2@h/db", "mysql://h/db", "file:x.db", ""} {
		_, err := OpenStore(bg, dsn)
		if err == nil || !strings.Contains(err.Error(), "sqlite:PATH") || !strings.Contains(err.Error(), "postgres://") {
			t.Errorf("%q: %v, want an error showing sqlite:PATH and postgres://", dsn, err)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: the error shows the password: %v", dsn, err)
		}
	}
	if ents, _ := os.ReadDir("."); len(ents) != 0 {
		t.Errorf("files created: %v", ents)
	}
	st, err := OpenStore(bg, "sqlite:new.db")
	if err != nil {
		t.Fatalf("sqlite:PATH of a new file: %v", err)
	}
	st.Close()
}

// TestReadOnlyCommandsNeedADatabase: export, stats and users list of a
// mistyped sqlite path report it instead of creating an empty database and
// answering "nothing here".
func TestReadOnlyCommandsNeedADatabase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "typo.db")
	db := "sqlite:" + path
	check := func(what string, err error) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), "no annotation database at "+path) {
			t.Errorf("%s: %v, want \"no annotation database at %s\"", what, err, path)
		}
		if _, serr := os.Stat(path); !errors.Is(serr, os.ErrNotExist) {
			t.Fatalf("%s created %s", what, path)
		}
	}
	_, err := Export(bg, ExportSpec{DB: db, Project: "x", Out: filepath.Join(dir, "prefs.jsonl")})
	check("export", err)
	_, err = ProjectStats(bg, StatsSpec{DB: db, Project: "x"})
	check("stats", err)
	_, err = Users(bg, db)
	check("users list", err)
	if _, err := os.Stat(filepath.Join(dir, "prefs.jsonl")); err == nil {
		t.Error("export wrote its output without a database")
	}
}

// TestServeSettings: 'annotate serve --session-ttl -1h' used to start with
// sessions that expire at once, so that nobody could stay logged in.
// Settings that cannot work are refused, named by their key, before the
// database is opened or the address bound.
func TestServeSettings(t *testing.T) {
	ok := ServeSpec{Config: Config{SessionTTL: 12 * time.Hour}, Addr: "127.0.0.1:0"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
	for _, c := range []struct {
		edit     func(*ServeSpec)
		key, msg string
	}{
		{func(s *ServeSpec) { s.SessionTTL = -time.Hour }, "session_ttl", "-1h: a login must last from 1m to 720h"},
		{func(s *ServeSpec) { s.SessionTTL = 0 }, "session_ttl", "0: a login must last"},
		{func(s *ServeSpec) { s.SessionTTL = 30 * time.Second }, "session_ttl", "30s: a login must last"},
		{func(s *ServeSpec) { s.SessionTTL = 721 * time.Hour }, "session_ttl", "721h: a login must last"},
		{func(s *ServeSpec) { s.Addr = "garbage" }, "addr", `"garbage" is not HOST:PORT`},
		{func(s *ServeSpec) { s.Addr = ":99999" }, "addr", "is not HOST:PORT"},
		{func(s *ServeSpec) { s.Addr = "" }, "addr", "is not HOST:PORT"},
		{func(s *ServeSpec) { s.TrustedProxies = []string{"proxy.local"} }, "trusted_proxy", `"proxy.local" is not an address or CIDR prefix`},
		{func(s *ServeSpec) { s.LoginFailures = -1 }, "login_failures", "negative"},
	} {
		s := ok
		c.edit(&s)
		err := s.Validate()
		ke, isKey := errors.AsType[*yamlconf.KeyError](err)
		if !isKey || ke.Key != c.key || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%+v: %v, want %s: …%s…", s, err, c.key, c.msg)
		}
	}
	// Serve checks before it opens (and would create) the database.
	dir := t.TempDir()
	bad := ok
	bad.SessionTTL, bad.DB = -time.Hour, "sqlite:"+filepath.Join(dir, "a.db")
	ctx, cancel := context.WithTimeout(bg, 5*time.Second)
	defer cancel()
	if err := Serve(ctx, bad); err == nil || !strings.Contains(err.Error(), "session_ttl") {
		t.Fatalf("Serve with a negative TTL: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("Serve created %v", ents)
	}
	if _, err := NewServer(nil, Config{SessionTTL: -time.Hour}); err == nil {
		t.Error("NewServer took a negative session TTL")
	}
}

// TestImportSettings: the settings of the project import creates are
// checked, named by their flag's key; NaN used to pass every range check.
func TestImportSettings(t *testing.T) {
	dir := t.TempDir()
	ok := ImportSpec{DB: "sqlite:" + filepath.Join(dir, "a.db"), Project: "p", In: filepath.Join(dir, "pairs.jsonl"),
		Settings: store.ProjectSettings{K: 3, GoldRate: 0.1, GoldThreshold: 0.5}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
	for _, c := range []struct {
		edit     func(*store.ProjectSettings)
		key, msg string
	}{
		{func(p *store.ProjectSettings) { p.K = 0 }, "k", "0: annotations per pair must be 1 to 100"},
		{func(p *store.ProjectSettings) { p.K = -2 }, "k", "-2:"},
		{func(p *store.ProjectSettings) { p.K = 101 }, "k", "101:"},
		{func(p *store.ProjectSettings) { p.GoldRate = -0.1 }, "gold_rate", "-0.1: the share of gold items"},
		{func(p *store.ProjectSettings) { p.GoldRate = 1 }, "gold_rate", "1: the share"},
		{func(p *store.ProjectSettings) { p.GoldRate = math.NaN() }, "gold_rate", "NaN:"},
		{func(p *store.ProjectSettings) { p.GoldThreshold = 1.5 }, "gold_threshold", "1.5: the gold accuracy"},
		{func(p *store.ProjectSettings) { p.GoldThreshold = math.NaN() }, "gold_threshold", "NaN:"},
	} {
		s := ok
		c.edit(&s.Settings)
		_, err := Import(bg, s)
		ke, isKey := errors.AsType[*yamlconf.KeyError](err)
		if !isKey || ke.Key != c.key || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%+v: %v, want %s: …%s…", s.Settings, err, c.key, c.msg)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("a refused import created %v", ents)
	}
}

// TestCreateProjectRefusesNaN: a NaN gold rate from the admin form passed
// the range checks and failed in the database (a 500 on SQLite).
func TestCreateProjectRefusesNaN(t *testing.T) {
	a := newTestApp(t, store.SQLite, Config{})
	for _, ps := range []store.ProjectSettings{{Name: "a", GoldRate: math.NaN()}, {Name: "b", GoldThreshold: math.NaN()}} {
		if _, err := a.st.CreateProject(bg, 0, ps); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%+v: %v, want store.ErrInvalid", ps, err)
		}
	}
	admin := a.user("root", store.RoleAdmin)
	c := a.client()
	c.loginAs(admin)
	if code, _ := c.post("/admin/projects", url.Values{"name": {"n"}, "gold_rate": {"NaN"}}); code != http.StatusSeeOther {
		t.Errorf("the admin form with a NaN gold rate: %d, want a redirect with the error", code)
	}
}
