package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/align-project/align/data"
)

func newDataCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "data stats FILE",
		Short: "Inspect data files",
		Long: `data works with align's JSONL data files (text, SFT, prompts, pairs,
preferences and HH-RLHF transcripts; see DESIGN.md for the formats).

  stats FILE   detect the format and print counts, field lengths, tags,
               duplicates and the first bad lines`,
		Args: subcommandArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErrorf(cmd.CommandPath(), "try 'align data stats FILE'", "data needs a subcommand")
		},
	}
	cmd.AddCommand(newDataStatsCmd(g))
	return cmd
}

func newDataStatsCmd(_ *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "stats FILE",
		Short: "Print statistics of a JSONL data file",
		Long: `stats reads a JSONL data file (".gz" is decompressed), detects its format
from the first record's fields and prints the number of records, bad lines
and exact duplicates, the lengths of each text field in bytes and words
(mean, median, 90th and 99th percentile, maximum), the tags, sources, roles
and ratings, and the first problems with their line numbers. Bad lines are
counted, not fatal.`,
		Example: `  align data stats prefs.jsonl
  align data stats corpus.jsonl.gz`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf(cmd.CommandPath(), "", "stats takes one FILE, got %d arguments", len(args))
			}
			s, err := data.StatsFile(args[0])
			if err != nil {
				return fmt.Errorf("data stats: %w", err)
			}
			return s.WriteText(cmd.OutOrStdout())
		},
	}
}
