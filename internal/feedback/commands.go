package feedback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/align-project/align/internal/atomicfile"
	"github.com/align-project/align/internal/feedback/store"
	"github.com/align-project/align/internal/yamlconf"
)

// The work of 'align annotate' outside the browser, one function per
// subcommand with a spec: the command parses flags and prints, and 'align
// run' calls Export directly.

// DefaultDB is the database the annotate commands use when none is named.
const DefaultDB = "sqlite:align-feedback.db"

// OpenStore opens the database dsn (sqlite:PATH or postgres://...),
// creating a SQLite file that does not exist yet; an error names it with
// any password hidden.
func OpenStore(ctx context.Context, dsn string) (*store.Store, error) {
	return openStore(ctx, dsn, false)
}

// openStore opens dsn; with mustExist a SQLite file that is not there is an
// error instead of a new empty database, so that a mistyped path given to a
// command that only reads (export, stats, users list) is reported rather
// than answered with "nothing here".
func openStore(ctx context.Context, dsn string, mustExist bool) (*store.Store, error) {
	file, err := CheckDSN(dsn)
	if err != nil {
		return nil, err
	}
	if mustExist && file != "" {
		if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no annotation database at %s: check --db, or create it with 'align annotate import' or 'align annotate users add'", file)
		}
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", redactDSN(dsn), err)
	}
	return st, nil
}

// CheckDSN checks that dsn names a database the app can use: "sqlite:PATH"
// (it returns PATH, without any ?options) or "postgres://…" /
// "postgresql://…" (it returns ""). Anything else is an error showing the
// two forms, so that a typo never becomes a new SQLite file of that name.
func CheckDSN(dsn string) (sqlitePath string, err error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return "", nil
	case strings.HasPrefix(dsn, "sqlite:"):
		file, _, _ := strings.Cut(strings.TrimPrefix(dsn, "sqlite:"), "?")
		if file == "" {
			return "", fmt.Errorf("database %q names no file: use sqlite:PATH, e.g. %s", dsn, DefaultDB)
		}
		return file, nil
	}
	return "", fmt.Errorf("database %q is not sqlite:PATH (a SQLite file, e.g. %s) or postgres://USER@HOST/DBNAME (also postgresql://…)", redactDSN(dsn), DefaultDB)
}

// redactDSN hides a password in a postgres URL.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if j := strings.Index(dsn[i+3:], "@"); j >= 0 {
			return dsn[:i+3] + "…@" + dsn[i+3+j+1:]
		}
	}
	return dsn
}

// withStore runs fn on the opened store dsn and closes it.
func withStore(ctx context.Context, dsn string, fn func(st *store.Store) error) error {
	return withStoreOpened(ctx, dsn, false, fn)
}

// withExistingStore is withStore for commands that only read: a SQLite
// file that is not there is an error (see openStore).
func withExistingStore(ctx context.Context, dsn string, fn func(st *store.Store) error) error {
	return withStoreOpened(ctx, dsn, true, fn)
}

func withStoreOpened(ctx context.Context, dsn string, mustExist bool, fn func(st *store.Store) error) error {
	st, err := openStore(ctx, dsn, mustExist)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}

// ServeSpec is one run of the web app.
type ServeSpec struct {
	Config
	DB   string
	Addr string    // listen address, e.g. 127.0.0.1:8080
	Log  io.Writer // receives the address served once listening (nil = none)
}

// Limits of a login's lifetime: a session shorter than a minute ends
// before a label is submitted; one longer than 30 days outlives the reason
// to trust the browser that holds it.
const (
	MinSessionTTL = time.Minute
	MaxSessionTTL = 30 * 24 * time.Hour
)

// shortDuration prints d without zero minutes and seconds (720h, not 720h0m0s).
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Validate checks the settings 'align annotate serve' takes from its flags;
// a bad one is a *yamlconf.KeyError named by its key (session_ttl, addr).
func (s ServeSpec) Validate() error {
	if s.SessionTTL == 0 { // Config's default, but a flag of 0 is a mistake
		return yamlconf.Keyf("session_ttl", "0: a login must last from %s to %s (e.g. 12h)", shortDuration(MinSessionTTL), shortDuration(MaxSessionTTL))
	}
	_, port, err := net.SplitHostPort(s.Addr)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		return yamlconf.Keyf("addr", "%q is not HOST:PORT: use e.g. 127.0.0.1:8080 (this machine only) or :8080 (every interface)", s.Addr)
	}
	return s.Config.Validate()
}

// Serve runs the web app on s.Addr until ctx is cancelled, then shuts it
// down gracefully (5 s for requests in flight). Bad settings are reported
// (see Validate) before the database is opened.
func Serve(ctx context.Context, s ServeSpec) error {
	if err := s.Validate(); err != nil {
		return err
	}
	return withStore(ctx, s.DB, func(st *store.Store) error {
		app, err := NewServer(st, s.Config)
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", s.Addr)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
			WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
		if s.Log != nil {
			fmt.Fprintf(s.Log, "align annotate: serving on http://%s (%s)\n", ln.Addr(), st.Dialect())
		}
		go func() {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Shutdown(sctx)
		}()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
}

// ImportSpec adds the pairs of a file to a project.
type ImportSpec struct {
	DB, Project string
	In          string                // pairs JSONL (see ReadPairs)
	Settings    store.ProjectSettings // of the project when it has to be created (Name is Project)
}

// ImportResult counts what Import added.
type ImportResult struct {
	Project        string
	Added, Skipped int // Skipped: pairs whose id was already in the project
}

// Validate checks the settings of the project Import may create; a bad one
// is a *yamlconf.KeyError named by its key (k, gold_rate, gold_threshold).
// The store's own defaults (k 0 = 3) are for callers that leave a setting
// out; a command always passes one, so 0 there is a mistake.
func (s ImportSpec) Validate() error {
	ps := s.Settings
	switch {
	case ps.K < 1 || ps.K > MaxK:
		return yamlconf.Keyf("k", "%d: annotations per pair must be 1 to %d (3 is usual)", ps.K, MaxK)
	case !(ps.GoldRate >= 0 && ps.GoldRate < 1):
		return yamlconf.Keyf("gold_rate", "%v: the share of gold items served must be at least 0 and under 1 (e.g. 0.1)", ps.GoldRate)
	case !(ps.GoldThreshold >= 0 && ps.GoldThreshold <= 1):
		return yamlconf.Keyf("gold_threshold", "%v: the gold accuracy under which an annotator is paused must be 0 to 1 (e.g. 0.5)", ps.GoldThreshold)
	}
	return nil
}

// MaxK is the most annotations a project may want per pair.
const MaxK = 100

// Import reads the pairs of s.In and adds them to the project s.Project,
// creating it with s.Settings when it does not exist. Bad settings are
// reported (see Validate) before anything is read or written.
func Import(ctx context.Context, s ImportSpec) (ImportResult, error) {
	var res ImportResult
	if err := s.Validate(); err != nil {
		return res, err
	}
	err := withStore(ctx, s.DB, func(st *store.Store) error {
		f, err := os.Open(s.In)
		if err != nil {
			return err
		}
		defer f.Close()
		pairs, err := ReadPairs(f)
		if err != nil {
			return fmt.Errorf("%s: %w", s.In, err)
		}
		p, err := st.ProjectByName(ctx, s.Project)
		if errors.Is(err, store.ErrNotFound) {
			ps := s.Settings
			ps.Name = s.Project
			p, err = st.CreateProject(ctx, 0, ps)
		}
		if err != nil {
			return err
		}
		res.Project = p.Name
		res.Added, res.Skipped, err = st.AddPairs(ctx, 0, p.ID, pairs)
		return err
	})
	return res, err
}

// WriteText prints the summary 'align annotate import' prints.
func (r ImportResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "imported %d pairs into %s (%d already there)\n", r.Added, r.Project, r.Skipped)
}

// AnalyzeProject analyses the project named project. With quarantine, the
// annotators the analysis flags are quarantined first (reported on log, nil
// = not reported) and the project is analysed again without them.
func AnalyzeProject(ctx context.Context, st *store.Store, project string, quarantine bool, log io.Writer) (*Analysis, error) {
	p, err := st.ProjectByName(ctx, project)
	if err != nil {
		return nil, fmt.Errorf("project %q: %w", project, err)
	}
	an, err := Analyze(ctx, st, p.ID)
	if err != nil || !quarantine {
		return an, err
	}
	names, err := QuarantineFlagged(ctx, st, 0, an)
	if err != nil {
		return nil, err
	}
	if log != nil {
		fmt.Fprintf(log, "quarantined: %d (%s)\n", len(names), strings.Join(names, ", "))
	}
	if len(names) == 0 {
		return an, nil
	}
	return Analyze(ctx, st, p.ID)
}

// ExportSpec is one export of a project's human labels.
type ExportSpec struct {
	DB, Project string
	Out         string // aggregated preferences JSONL to write (see WritePreferences)
	Raw         string // raw labels JSONL to write too ("" = none; see WriteRaw)
	// QuarantineFlagged quarantines the annotators the analysis flags as
	// adversarial before exporting.
	QuarantineFlagged bool
	Log               io.Writer // the annotators quarantined (nil = not reported)
}

// ExportResult counts what Export wrote.
type ExportResult struct {
	ExportStats
	Out, Raw  string
	RawLabels int // raw labels written to Raw
}

// Export writes the aggregated preferences of a project (and its raw
// labels) atomically, as 'align annotate export' does; the preferences are
// what 'align reward train' and 'align run' read.
func Export(ctx context.Context, s ExportSpec) (ExportResult, error) {
	res := ExportResult{Out: s.Out, Raw: s.Raw}
	err := withExistingStore(ctx, s.DB, func(st *store.Store) error {
		an, err := AnalyzeProject(ctx, st, s.Project, s.QuarantineFlagged, s.Log)
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(s.Out, func(w io.Writer) error {
			res.ExportStats, err = WritePreferences(w, an)
			return err
		}); err != nil {
			return err
		}
		if s.Raw == "" {
			return nil
		}
		return atomicfile.WriteFile(s.Raw, func(w io.Writer) error {
			res.RawLabels, err = WriteRaw(w, an)
			return err
		})
	})
	return res, err
}

// WriteText prints the summary 'align annotate export' prints.
func (r ExportResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "wrote %d preferences to %s (%d ties or both bad, %d unlabelled, %d gold, %d quarantined labels left out)\n",
		r.Written, r.Out, r.NoPreference, r.Unlabelled, r.Gold, r.Quarantined)
	if r.Raw != "" {
		fmt.Fprintf(w, "wrote %d raw labels to %s\n", r.RawLabels, r.Raw)
	}
}

// StatsSpec asks for the label quality of a project.
type StatsSpec struct {
	DB, Project       string
	QuarantineFlagged bool      // quarantine the flagged annotators first
	Log               io.Writer // the annotators quarantined (nil = not reported)
}

// Stats is a project's label quality as 'align annotate stats' shows it:
// Krippendorff's alpha per criterion and each annotator's agreement, gold
// accuracy, reliability and flags. It prints as a table (WriteText) or
// encodes as one JSON object.
type Stats struct{ an *Analysis }

// ProjectStats analyses the project of s (see AnalyzeProject).
func ProjectStats(ctx context.Context, s StatsSpec) (Stats, error) {
	var res Stats
	err := withExistingStore(ctx, s.DB, func(st *store.Store) (err error) {
		res.an, err = AnalyzeProject(ctx, st, s.Project, s.QuarantineFlagged, s.Log)
		return err
	})
	return res, err
}

// WriteText prints the table 'align annotate stats' prints.
func (s Stats) WriteText(w io.Writer) {
	an, r := s.an, s.an.Report
	fmt.Fprintf(w, "project %s: %d pairs, %d gold, %d labels\n", an.Project.Name, an.Project.Pairs, an.Project.Gold, len(an.Labels))
	fmt.Fprintf(w, "Krippendorff's α: preference %.3f, coherence %.3f, relevance %.3f, safety %.3f\n",
		r.AlphaPreference, r.AlphaRatings[0], r.AlphaRatings[1], r.AlphaRatings[2])
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RANK\tANNOTATOR\tLABELS\tAGREE\tCORR\tGOLD\tRELIABILITY\tSTATUS\tFLAGS")
	for _, a := range r.Annotators {
		status := ""
		if _, q := an.Quarantined[a.ID]; q {
			status = "quarantined"
		} else if an.Users[a.ID].Paused {
			status = "paused"
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%.2f\t%.2f\t%d/%d\t%.3f\t%s\t%s\n", a.Rank, an.Users[a.ID].Username, a.Labels,
			a.Agreement, a.Correlation, a.GoldCorrect, a.GoldN, a.Reliability, status, strings.Join(a.Reasons, "; "))
	}
	tw.Flush()
}

// MarshalJSON encodes the stats as one object, NaN statistics as null.
func (s Stats) MarshalJSON() ([]byte, error) {
	an, r := s.an, s.an.Report
	type row struct {
		Annotator   string   `json:"annotator"`
		Labels      int      `json:"labels"`
		Agreement   float64  `json:"agreement"`
		Correlation float64  `json:"correlation"`
		GoldN       int      `json:"gold_n"`
		GoldCorrect int      `json:"gold_correct"`
		Reliability *float64 `json:"reliability"`
		Rank        int      `json:"rank"`
		Flagged     bool     `json:"flagged"`
		Quarantined bool     `json:"quarantined"`
		Reasons     []string `json:"reasons"`
	}
	out := struct {
		Project     string     `json:"project"`
		Labels      int        `json:"labels"`
		AlphaPref   *float64   `json:"alpha_preference"`
		AlphaRating []*float64 `json:"alpha_ratings"`
		Annotators  []row      `json:"annotators"`
	}{Project: an.Project.Name, Labels: len(an.Labels), AlphaPref: finite(r.AlphaPreference)}
	for _, a := range r.AlphaRatings {
		out.AlphaRating = append(out.AlphaRating, finite(a))
	}
	for _, a := range r.Annotators {
		_, q := an.Quarantined[a.ID]
		out.Annotators = append(out.Annotators, row{an.Users[a.ID].Username, a.Labels, a.Agreement, a.Correlation,
			a.GoldN, a.GoldCorrect, finite(a.Reliability), a.Rank, a.Flagged, q, a.Reasons})
	}
	return json.Marshal(out)
}

// finite returns nil for NaN (JSON has no NaN).
func finite(x float64) *float64 {
	if x != x {
		return nil
	}
	return &x
}

// AddUser creates an account in the database dsn (see store.CreateUser:
// an invalid name, password or role is store.ErrInvalid).
func AddUser(ctx context.Context, dsn, name, password string, role store.Role) (*store.User, error) {
	var u *store.User
	err := withStore(ctx, dsn, func(st *store.Store) (err error) {
		u, err = st.CreateUser(ctx, 0, name, password, role)
		return err
	})
	return u, err
}

// Users lists the accounts of the database dsn.
func Users(ctx context.Context, dsn string) ([]store.User, error) {
	var us []store.User
	err := withExistingStore(ctx, dsn, func(st *store.Store) (err error) {
		us, err = st.Users(ctx)
		return err
	})
	return us, err
}

// WriteUsers prints accounts as the table 'align annotate users list'
// prints: name, role and status (active, or paused with the reason).
func WriteUsers(w io.Writer, us []store.User) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "USER\tROLE\tSTATUS")
	for _, u := range us {
		status := "active"
		if u.Paused {
			status = "paused: " + u.PausedReason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Username, u.Role, status)
	}
	return tw.Flush()
}
