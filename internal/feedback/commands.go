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
	"strings"
	"text/tabwriter"
	"time"

	"github.com/align-project/align/internal/atomicfile"
	"github.com/align-project/align/internal/feedback/store"
)

// The work of 'align annotate' outside the browser, one function per
// subcommand with a spec: the command parses flags and prints, and 'align
// run' calls Export directly.

// DefaultDB is the database the annotate commands use when none is named.
const DefaultDB = "sqlite:align-feedback.db"

// OpenStore opens the database dsn (sqlite:FILE or postgres://...); an
// error names it with any password hidden.
func OpenStore(ctx context.Context, dsn string) (*store.Store, error) {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", redactDSN(dsn), err)
	}
	return st, nil
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
	st, err := OpenStore(ctx, dsn)
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

// Serve runs the web app on s.Addr until ctx is cancelled, then shuts it
// down gracefully (5 s for requests in flight).
func Serve(ctx context.Context, s ServeSpec) error {
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

// Import reads the pairs of s.In and adds them to the project s.Project,
// creating it with s.Settings when it does not exist.
func Import(ctx context.Context, s ImportSpec) (ImportResult, error) {
	var res ImportResult
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
	err := withStore(ctx, s.DB, func(st *store.Store) error {
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
	err := withStore(ctx, s.DB, func(st *store.Store) (err error) {
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
	err := withStore(ctx, dsn, func(st *store.Store) (err error) {
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
