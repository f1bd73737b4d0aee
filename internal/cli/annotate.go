package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/align-project/align/internal/atomicfile"
	"github.com/align-project/align/internal/feedback"
	"github.com/align-project/align/internal/feedback/store"
)

const defaultAnnotateDB = "sqlite:align-feedback.db"

func newAnnotateCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "annotate serve|import|export|users|stats",
		Short: "Collect human preference labels in a web app",
		Long: `annotate runs the human-feedback app and manages its data.

  serve    the web app: annotators compare two responses, reviewers
           quarantine, admins manage projects, users, import and export
  import   add pairs ({"prompt", "responses": [a, b]} lines) to a project
  export   write aggregated preferences (and raw labels) as JSON lines
  users    add or list accounts (create the first admin here)
  stats    agreement, annotator reliability and poisoning flags

--db is sqlite:FILE (default ` + defaultAnnotateDB + `) or postgres://...`,
		Args: subcommandArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErrorf(cmd.CommandPath(), "start with 'align annotate users add --name admin --role admin'", "annotate needs a subcommand")
		},
	}
	cmd.AddCommand(newAnnotateServeCmd(), newAnnotateImportCmd(), newAnnotateExportCmd(), newAnnotateUsersCmd(), newAnnotateStatsCmd())
	return cmd
}

func openFeedbackStore(ctx context.Context, dsn string) (*store.Store, error) {
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

func newAnnotateServeCmd() *cobra.Command {
	var db, addr string
	var secure bool
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the annotation web app",
		Long: `serve runs the annotation web app: annotators compare two responses, rate each
1–10 on coherence, relevance and safety and pick the better one; reviewers see labels
and quarantine; admins manage projects, users, import/export and the quality dashboard.
It listens on loopback by default; put it behind a TLS proxy (with --secure-cookies)
to open it to others. Ctrl-C shuts it down gracefully.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := openFeedbackStore(ctx, db)
			if err != nil {
				return err
			}
			defer st.Close()
			app, err := feedback.NewServer(st, feedback.Config{SecureCookies: secure, SessionTTL: ttl})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			srv := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
				WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
			fmt.Fprintf(cmd.OutOrStdout(), "align annotate: serving on http://%s (%s)\n", ln.Addr(), st.Dialect())
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
		},
	}
	cmd.Flags().StringVar(&db, "db", defaultAnnotateDB, "database: sqlite:FILE or postgres://...")
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "listen address (use :8080 for every interface)")
	cmd.Flags().BoolVar(&secure, "secure-cookies", false, "mark cookies Secure (set this behind a TLS proxy)")
	cmd.Flags().DurationVar(&ttl, "session-ttl", 12*time.Hour, "how long a login lasts")
	return cmd
}

func newAnnotateImportCmd() *cobra.Command {
	var db, project, in string
	var ps store.ProjectSettings
	cmd := &cobra.Command{
		Use:   "import --project NAME --in pairs.jsonl",
		Short: "Add pairs to a project (created when missing)",
		Long: `import reads JSON lines {"prompt", "responses": [a, b], "tags"?, "id"?} as
written by 'align generate'; a line with "gold" (0, 1, "A", "B", "tie", "bad")
is a gold item with that known answer. Pairs whose id is already in the
project are skipped. The project is created with --k and --gold-rate when it
does not exist.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if project == "" || in == "" {
				return usageErrorf(cmd.CommandPath(), "", "--project and --in are required")
			}
			ctx := cmd.Context()
			st, err := openFeedbackStore(ctx, db)
			if err != nil {
				return err
			}
			defer st.Close()
			f, err := os.Open(in)
			if err != nil {
				return err
			}
			defer f.Close()
			pairs, err := feedback.ReadPairs(f)
			if err != nil {
				return fmt.Errorf("%s: %w", in, err)
			}
			p, err := st.ProjectByName(ctx, project)
			if errors.Is(err, store.ErrNotFound) {
				ps.Name = project
				p, err = st.CreateProject(ctx, 0, ps)
			}
			if err != nil {
				return err
			}
			added, skipped, err := st.AddPairs(ctx, 0, p.ID, pairs)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "imported %d pairs into %s (%d already there)\n", added, p.Name, skipped)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&db, "db", defaultAnnotateDB, "database: sqlite:FILE or postgres://...")
	f.StringVar(&project, "project", "", "project name")
	f.StringVar(&in, "in", "", "pairs file (JSON lines)")
	f.IntVar(&ps.K, "k", 3, "annotations per pair, for a new project")
	f.Float64Var(&ps.GoldRate, "gold-rate", 0.1, "share of gold items served, for a new project")
	f.Float64Var(&ps.GoldThreshold, "gold-threshold", 0.5, "pause annotators under this gold accuracy, for a new project")
	return cmd
}

func newAnnotateExportCmd() *cobra.Command {
	var db, project, out, raw string
	var quarantine bool
	cmd := &cobra.Command{
		Use:   "export --project NAME --out prefs.jsonl [--raw labels.jsonl]",
		Short: "Write aggregated preferences and raw labels",
		Long: `export writes one preference per labelled pair: {"prompt", "chosen",
"rejected", "ratings", "p_chosen", "source"}, where the verdict is the vote of
the annotators weighted by their Dawid–Skene reliability, p_chosen its weighted
share, and labels of quarantined annotators are left out. --raw also writes
every raw label (quarantined ones marked). --quarantine-flagged first
quarantines the annotators the analysis flags as adversarial.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if project == "" || out == "" {
				return usageErrorf(cmd.CommandPath(), "", "--project and --out are required")
			}
			ctx := cmd.Context()
			st, err := openFeedbackStore(ctx, db)
			if err != nil {
				return err
			}
			defer st.Close()
			an, err := analyzeByName(ctx, st, project, quarantine, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			var stats feedback.ExportStats
			if err := atomicfile.WriteFile(out, func(w io.Writer) error {
				stats, err = feedback.WritePreferences(w, an)
				return err
			}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d preferences to %s (%d ties or both bad, %d unlabelled, %d gold, %d quarantined labels left out)\n",
				stats.Written, out, stats.NoPreference, stats.Unlabelled, stats.Gold, stats.Quarantined)
			if raw != "" {
				var n int
				if err := atomicfile.WriteFile(raw, func(w io.Writer) error {
					n, err = feedback.WriteRaw(w, an)
					return err
				}); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %d raw labels to %s\n", n, raw)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&db, "db", defaultAnnotateDB, "database: sqlite:FILE or postgres://...")
	f.StringVar(&project, "project", "", "project name")
	f.StringVar(&out, "out", "", "preferences file to write")
	f.StringVar(&raw, "raw", "", "raw labels file to write")
	f.BoolVar(&quarantine, "quarantine-flagged", false, "quarantine flagged annotators before exporting")
	return cmd
}

// analyzeByName analyses the named project. With quarantine, the annotators
// the analysis flags are quarantined first (reported on log) and the project
// is analysed again without them.
func analyzeByName(ctx context.Context, st *store.Store, project string, quarantine bool, log io.Writer) (*feedback.Analysis, error) {
	p, err := st.ProjectByName(ctx, project)
	if err != nil {
		return nil, fmt.Errorf("project %q: %w", project, err)
	}
	an, err := feedback.Analyze(ctx, st, p.ID)
	if err != nil || !quarantine {
		return an, err
	}
	names, err := feedback.QuarantineFlagged(ctx, st, 0, an)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "quarantined: %d (%s)\n", len(names), strings.Join(names, ", "))
	if len(names) == 0 {
		return an, nil
	}
	return feedback.Analyze(ctx, st, p.ID)
}

func newAnnotateUsersCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users add|list",
		Short: "Add or list accounts",
		Long: `users manages the accounts of the annotation app: 'add' creates an admin,
annotator or reviewer (passwords are stored as argon2id hashes), 'list' shows every
account with its role and whether it is paused (e.g. for failing gold items).`,
		Args: subcommandArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErrorf(cmd.CommandPath(), "", "users needs 'add' or 'list'")
		},
	}
	var db, name, role string
	add := &cobra.Command{
		Use:   "add --name NAME --role admin|annotator|reviewer",
		Short: "Add an account; the password is read from stdin (or $ALIGN_PASSWORD)",
		Long: `add creates one account with the given role. The password is read from the
first line of standard input, or from $ALIGN_PASSWORD, so it never appears in the
process list or the shell history. Usernames must be unique.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return usageErrorf(cmd.CommandPath(), "", "--name is required")
			}
			pw := os.Getenv("ALIGN_PASSWORD")
			if pw == "" {
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && line == "" {
					return usageErrorf(cmd.CommandPath(), "pipe the password in: echo 'secret…' | align annotate users add ...", "no password on stdin")
				}
				pw = strings.TrimRight(line, "\r\n")
			}
			st, err := openFeedbackStore(cmd.Context(), db)
			if err != nil {
				return err
			}
			defer st.Close()
			u, err := st.CreateUser(cmd.Context(), 0, name, pw, store.Role(role))
			if errors.Is(err, store.ErrInvalid) {
				return usageErrorf(cmd.CommandPath(), "", "%v", err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "added %s (%s)\n", u.Username, u.Role)
			return nil
		},
	}
	add.Flags().StringVar(&db, "db", defaultAnnotateDB, "database: sqlite:FILE or postgres://...")
	add.Flags().StringVar(&name, "name", "", "username")
	add.Flags().StringVar(&role, "role", "annotator", "admin, annotator or reviewer")
	var listDB string
	list := &cobra.Command{
		Use:   "list",
		Short: "List accounts",
		Long: `list prints every account of the annotation app with its role and status:
active, or paused with the reason (an annotator whose gold accuracy fell under the
project's threshold is paused automatically).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openFeedbackStore(cmd.Context(), listDB)
			if err != nil {
				return err
			}
			defer st.Close()
			us, err := st.Users(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "USER\tROLE\tSTATUS")
			for _, u := range us {
				status := "active"
				if u.Paused {
					status = "paused: " + u.PausedReason
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Username, u.Role, status)
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&listDB, "db", defaultAnnotateDB, "database: sqlite:FILE or postgres://...")
	cmd.AddCommand(add, list)
	return cmd
}

func newAnnotateStatsCmd() *cobra.Command {
	var db, project string
	var asJSON, quarantine bool
	cmd := &cobra.Command{
		Use:   "stats --project NAME",
		Short: "Agreement, annotator reliability and flags of a project",
		Long: `stats prints a project's label quality: Krippendorff's alpha per criterion
(interval for ratings, nominal for preferences), each annotator's agreement with the
leave-one-out consensus, gold accuracy, Dawid–Skene reliability, and the flags for
likely poisoning (labels anti-correlated with consensus or gold) and time outliers.
With --quarantine-flagged the flagged annotators' labels are quarantined first.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if project == "" {
				return usageErrorf(cmd.CommandPath(), "", "--project is required")
			}
			ctx := cmd.Context()
			st, err := openFeedbackStore(ctx, db)
			if err != nil {
				return err
			}
			defer st.Close()
			an, err := analyzeByName(ctx, st, project, quarantine, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			r := an.Report
			if asJSON {
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
				return writeJSON(cmd.OutOrStdout(), out)
			}
			w := cmd.OutOrStdout()
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
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&db, "db", defaultAnnotateDB, "database: sqlite:FILE or postgres://...")
	f.StringVar(&project, "project", "", "project name")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	f.BoolVar(&quarantine, "quarantine-flagged", false, "quarantine the flagged annotators")
	return cmd
}

// finite returns nil for NaN (JSON has no NaN).
func finite(x float64) *float64 {
	if x != x {
		return nil
	}
	return &x
}
