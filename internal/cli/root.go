package cli

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/align-project/align/tensor"
)

// globals holds the flags every command accepts.
type globals struct {
	threads int
	seed    uint64
}

// Run executes the align command line given by args (without the program
// name), writing normal output to stdout and errors to stderr, and returns the
// process exit code: 0 ok, 1 failed, 2 bad usage. It builds a fresh command
// tree on every call, so tests can run commands in-process.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if err := execute(ctx, args, stdout, stderr); err != nil {
		return report(stderr, err)
	}
	return exitOK
}

// execute runs one command line on a fresh command tree and returns its
// error unreported: 'align run' runs its stages through it.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	root := newRoot(&globals{})
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	_, err := root.ExecuteContextC(ctx)
	return err
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "align",
		Short: "Train, align and evaluate language models on the CPU",
		Long: `align trains GPT-2 and Llama-family (Llama, Qwen2, Qwen3, SmolLM) language
models on the CPU, or takes a Hugging Face checkpoint of one, and aligns them
with human or AI feedback, fine-tuning every weight or LoRA adapters. It is one self-contained Go binary with its own
fp32 kernels; no GPU, Python or cgo is needed.

Global flags (--threads, --seed) apply to every command. Exit codes: 0 success,
1 failure, 2 bad usage. Errors are printed to stderr as "align: error: ...".`,
		Args:              subcommandArgs,
		RunE:              func(cmd *cobra.Command, args []string) error { return cmd.Help() },
		SilenceErrors:     true,
		SilenceUsage:      true,
		PersistentPreRunE: g.apply,
	}
	root.CompletionOptions.HiddenDefaultCmd = true
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErrorf(cmd.CommandPath(), "", "%v", err)
	})
	pf := root.PersistentFlags()
	pf.IntVar(&g.threads, "threads", runtime.GOMAXPROCS(0), fmt.Sprintf("worker threads for the compute kernels, at most %d on any machine (results depend on it, so a run can be repeated anywhere)", maxThreads))
	pf.Uint64Var(&g.seed, "seed", 1, "random seed: the same seed and thread count give the same results")

	root.AddCommand(newVersionCmd(g), newBenchCmd(g))
	root.AddCommand(newAnnotateCmd(g)) // align annotate: internal/cli/annotate.go
	root.AddCommand(newPretrainCmd(g), newSFTCmd(g), newDataCmd(g))
	root.AddCommand(newRewardCmd(g))
	root.AddCommand(newExportCmd(g))
	root.AddCommand(newPPOCmd(g))
	root.AddCommand(newDPOCmd(g))
	root.AddCommand(newGRPOCmd(g))
	root.AddCommand(newLabelCmd(g), newCritiqueCmd(g)) // judge: AI feedback
	root.AddCommand(newGenerateCmd(g))
	root.AddCommand(newEvalCmd(g))
	root.AddCommand(newServeCmd(g)) // align serve: internal/cli/serve.go
	root.AddCommand(newRunCmd(g))   // align run: internal/cli/run.go
	return root
}

// maxThreads bounds --threads: each thread is a scheduler P and a kernel
// worker, and a huge count exhausts memory before any work starts. The bound
// is the same on every machine (not a multiple of its CPUs) because results
// depend on the thread count: a run must be repeatable on a smaller machine.
const maxThreads = 1024

// apply validates the global flags and configures the kernels with them.
func (g *globals) apply(cmd *cobra.Command, _ []string) error {
	if g.threads < 1 {
		return usageErrorf(cmd.CommandPath(), "", "--threads must be at least 1, got %d", g.threads)
	}
	if g.threads > maxThreads {
		return usageErrorf(cmd.CommandPath(), fmt.Sprintf("this machine has %d CPUs", runtime.NumCPU()), "--threads must be at most %d, got %d", maxThreads, g.threads)
	}
	if g.threads > runtime.GOMAXPROCS(0) {
		runtime.GOMAXPROCS(g.threads)
	}
	tensor.SetThreads(g.threads)
	return nil
}

// noArgs rejects positional arguments as bad usage (cobra.NoArgs reports them
// as a plain failure).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf(cmd.CommandPath(), "", "unknown command %q for %q: it takes no arguments", args[0], cmd.CommandPath())
	}
	return nil
}

// subcommandArgs rejects positional arguments on a command that only groups
// subcommands, which cobra would otherwise report as a plain failure.
func subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	hint := fmt.Sprintf("'%s' has the subcommands: %s", cmd.CommandPath(), strings.Join(names, ", "))
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		hint = fmt.Sprintf("did you mean '%s %s'?", cmd.CommandPath(), s[0])
	}
	return usageErrorf(cmd.CommandPath(), hint, "unknown command %q for %q", args[0], cmd.CommandPath())
}
