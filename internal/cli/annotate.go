package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/align-project/align/internal/feedback"
	"github.com/align-project/align/internal/feedback/store"
)

func newAnnotateCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "annotate serve|import|export|users|stats",
		Short: "Collect human preference labels in a web app",
		Long: `annotate runs the human-feedback app and manages its data.

  serve    the web app: annotators compare two responses, reviewers
           quarantine, admins manage projects, users, import and export
  import   add pairs ({"prompt", "responses": [a, b, …]} lines) to a project
  export   write aggregated preferences (and raw labels) as JSON lines
  users    add or list accounts (create the first admin here)
  stats    agreement, annotator reliability and poisoning flags

--db is sqlite:FILE (default ` + feedback.DefaultDB + `) or postgres://...`,
		Args: subcommandArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErrorf(cmd.CommandPath(), "start with 'align annotate users add --name admin --role admin'", "annotate needs a subcommand")
		},
	}
	cmd.AddCommand(newAnnotateServeCmd(), newAnnotateImportCmd(), newAnnotateExportCmd(), newAnnotateUsersCmd(), newAnnotateStatsCmd())
	return cmd
}

func newAnnotateServeCmd() *cobra.Command {
	var s feedback.ServeSpec
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
			s.Log = cmd.OutOrStdout()
			return keyUsage(cmd.CommandPath(), feedback.Serve(cmd.Context(), s))
		},
	}
	cmd.Flags().StringVar(&s.DB, "db", feedback.DefaultDB, "database: sqlite:FILE or postgres://...")
	cmd.Flags().StringVar(&s.Addr, "addr", "127.0.0.1:8080", "listen address (use :8080 for every interface)")
	cmd.Flags().BoolVar(&s.SecureCookies, "secure-cookies", false, "mark cookies Secure (set this behind a TLS proxy)")
	cmd.Flags().DurationVar(&s.SessionTTL, "session-ttl", 12*time.Hour, "how long a login lasts (1m to 720h)")
	cmd.Flags().StringSliceVar(&s.TrustedProxies, "trusted-proxy", nil, "reverse proxy addresses or CIDRs whose X-Forwarded-For names the client")
	return cmd
}

func newAnnotateImportCmd() *cobra.Command {
	var s feedback.ImportSpec
	cmd := &cobra.Command{
		Use:   "import --project NAME --in pairs.jsonl",
		Short: "Add pairs to a project (created when missing)",
		Long: `import reads JSON lines {"prompt", "responses": [a, b, …], "tags"?, "id"?} as
written by 'align generate'; a line of K responses (at most 16) is a ranking,
labelled as its K(K−1)/2 pairs, exported under the ranking's id. A line with
"gold" (0, 1, "A", "B", "tie", "bad") and two responses is a gold item with that
known answer. Pairs whose id is already in the project are skipped. The project
is created with --k and --gold-rate when it does not exist.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if s.Project == "" || s.In == "" {
				return usageErrorf(cmd.CommandPath(), "", "--project and --in are required")
			}
			res, err := feedback.Import(cmd.Context(), s)
			if err != nil {
				return keyUsage(cmd.CommandPath(), err)
			}
			res.WriteText(cmd.OutOrStdout())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&s.DB, "db", feedback.DefaultDB, "database: sqlite:FILE or postgres://...")
	f.StringVar(&s.Project, "project", "", "project name")
	f.StringVar(&s.In, "in", "", "pairs file (JSON lines)")
	f.IntVar(&s.Settings.K, "k", 3, "annotations per pair (1 to 100), for a new project")
	f.Float64Var(&s.Settings.GoldRate, "gold-rate", 0.1, "share of gold items served (0 to under 1), for a new project")
	f.Float64Var(&s.Settings.GoldThreshold, "gold-threshold", 0.5, "pause annotators under this gold accuracy (0 to 1), for a new project")
	return cmd
}

func newAnnotateExportCmd() *cobra.Command {
	var s feedback.ExportSpec
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
			if s.Project == "" || s.Out == "" {
				return usageErrorf(cmd.CommandPath(), "", "--project and --out are required")
			}
			s.Log = cmd.ErrOrStderr()
			res, err := feedback.Export(cmd.Context(), s)
			if err != nil {
				return err
			}
			res.WriteText(cmd.OutOrStdout())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&s.DB, "db", feedback.DefaultDB, "database: sqlite:FILE or postgres://...")
	f.StringVar(&s.Project, "project", "", "project name")
	f.StringVar(&s.Out, "out", "", "preferences file to write")
	f.StringVar(&s.Raw, "raw", "", "raw labels file to write")
	f.BoolVar(&s.QuarantineFlagged, "quarantine-flagged", false, "quarantine flagged annotators before exporting")
	return cmd
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
			u, err := feedback.AddUser(cmd.Context(), db, name, pw, store.Role(role))
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
	add.Flags().StringVar(&db, "db", feedback.DefaultDB, "database: sqlite:FILE or postgres://...")
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
			us, err := feedback.Users(cmd.Context(), listDB)
			if err != nil {
				return err
			}
			return feedback.WriteUsers(cmd.OutOrStdout(), us)
		},
	}
	list.Flags().StringVar(&listDB, "db", feedback.DefaultDB, "database: sqlite:FILE or postgres://...")
	cmd.AddCommand(add, list)
	return cmd
}

func newAnnotateStatsCmd() *cobra.Command {
	var s feedback.StatsSpec
	var asJSON bool
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
			if s.Project == "" {
				return usageErrorf(cmd.CommandPath(), "", "--project is required")
			}
			s.Log = cmd.ErrOrStderr()
			st, err := feedback.ProjectStats(cmd.Context(), s)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), st)
			}
			st.WriteText(cmd.OutOrStdout())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&s.DB, "db", feedback.DefaultDB, "database: sqlite:FILE or postgres://...")
	f.StringVar(&s.Project, "project", "", "project name")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	f.BoolVar(&s.QuarantineFlagged, "quarantine-flagged", false, "quarantine the flagged annotators")
	return cmd
}
