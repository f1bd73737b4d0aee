package cli

import (
	"context"
	"errors"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/align-project/align/bench"
	"github.com/align-project/align/internal/yamlconf"
)

func newBenchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench matmul|train|generate|ppo|dpo|grpo|llama|lora-ppo",
		Short: "Measure kernel, training and generation speed",
		Long: `bench measures how fast this machine runs align's work:

  matmul     one fp32 matrix multiplication, in GFLOP/s
  train      GPT training steps (forward, loss, backward, AdamW), in tokens/s
  generate   sampling with the KV cache, in new tokens/s
  ppo        whole PPO iterations, in seconds and their split
  dpo        a DPO step beside an SFT step on the same batch
  grpo       a GRPO iteration beside a PPO iteration of as many sampled tokens
  llama      SmolLM2-135M-shaped training and generation beside PyTorch
  lora-ppo   the memory and time of a LoRA PPO iteration on that shape

Each prints its throughput and the process's peak resident memory; --json
prints one JSON object instead, for scripts (bench/compare.sh runs these
beside PyTorch). Random inputs come from --seed; --threads sets the workers.`,
		Args: subcommandArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErrorf(cmd.CommandPath(), "choose one: 'align bench matmul', 'train', 'generate', 'ppo', 'dpo', 'grpo', 'llama' or 'lora-ppo'",
				"bench needs a benchmark name")
		},
	}
	cmd.AddCommand(newBenchMatmulCmd(g), newBenchTrainCmd(g), newBenchGenerateCmd(g))
	cmd.AddCommand(newBenchPPOCmd(g), newBenchDPOCmd(g), newBenchGRPOCmd(g), newBenchLlamaCmd(g), newBenchLoRAPPOCmd(g))
	return cmd
}

// benchCommand finishes c as a bench subcommand: it takes no arguments, has
// --json, and runs spec with run after copying --seed into spec through
// seed. The caller adds spec's own flags.
func benchCommand[S interface{ Validate() error }, R interface{ WriteText(io.Writer) error }](
	g *globals, c *cobra.Command, spec *S, seed *uint64, run func(context.Context, S) (R, error)) *cobra.Command {
	var asJSON bool
	c.Args = noArgs
	c.RunE = func(cmd *cobra.Command, args []string) error {
		*seed = g.seed
		return runBench(cmd, *spec, asJSON, run)
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print one JSON object instead of a table")
	return c
}

// runBench checks spec (a bad setting is bad usage, named by its flag), runs
// the benchmark and prints its result as a table or, with asJSON, as JSON.
func runBench[S interface{ Validate() error }, R interface{ WriteText(io.Writer) error }](
	cmd *cobra.Command, spec S, asJSON bool, run func(context.Context, S) (R, error)) error {
	if err := spec.Validate(); err != nil {
		if _, ok := errors.AsType[*yamlconf.KeyError](err); ok {
			return keyUsage(cmd.CommandPath(), err)
		}
		return usageErrorf(cmd.CommandPath(), "", "%v", err) // the model shape, from model.Config
	}
	res, err := run(cmd.Context(), spec)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(cmd.OutOrStdout(), res)
	}
	return res.WriteText(cmd.OutOrStdout())
}

// registerShape adds the GPT shape flags of 'bench train', 'bench generate'
// and 'bench ppo', defaulting to s's values.
func registerShape(fs *pflag.FlagSet, s *bench.ModelShape) {
	fs.IntVar(&s.Layers, "layers", s.Layers, "transformer blocks (L)")
	fs.IntVar(&s.Dim, "dim", s.Dim, "channels of the residual stream (C)")
	fs.IntVar(&s.Heads, "heads", s.Heads, "attention heads per block (NH); must divide --dim")
	fs.IntVar(&s.Ctx, "ctx", s.Ctx, "context length (T)")
	fs.IntVar(&s.Vocab, "vocab", s.Vocab, "vocabulary size (V)")
}

func newBenchMatmulCmd(g *globals) *cobra.Command {
	spec := bench.DefaultMatmulSpec()
	cmd := benchCommand(g, &cobra.Command{
		Use:   "matmul",
		Short: "Measure fp32 matrix multiplication in GFLOP/s",
		Long: `matmul times C = op(A)·op(B) for C of size m×n with inner dimension k, in
one of the layouts the transformer uses:

  nn   A[m×k]·B[k×n]     activations times weights
  nt   A[m×k]·B[n×k]ᵀ    a linear layer's forward pass, weights stored (out, in)
  tn   A[k×m]ᵀ·B[k×n]    a weight gradient

One untimed warm-up call comes first. By default the multiplication repeats
until --min-time has passed (at least 3 times); --iters fixes the count.
GFLOP/s counts 2·m·n·k floating-point operations per call and is reported for
the best and the median call.`,
		Example: `  align bench matmul
  align bench matmul --m 1024 --n 768 --k 256 --layout nt --threads 1 --json`,
	}, &spec, &spec.Seed, bench.Matmul)
	fs := cmd.Flags()
	fs.IntVar(&spec.M, "m", spec.M, "rows of C")
	fs.IntVar(&spec.N, "n", spec.N, "columns of C")
	fs.IntVar(&spec.K, "k", spec.K, "inner dimension")
	fs.StringVar(&spec.Layout, "layout", spec.Layout, "operand layout: nn, nt or tn")
	fs.IntVar(&spec.Iters, "iters", spec.Iters, "timed calls (0: repeat until --min-time, at least 3)")
	fs.DurationVar(&spec.MinTime, "min-time", spec.MinTime, "least total timed duration when --iters is 0")
	return cmd
}

func newBenchTrainCmd(g *globals) *cobra.Command {
	spec := bench.DefaultTrainSpec()
	cmd := benchCommand(g, &cobra.Command{
		Use:   "train",
		Short: "Measure GPT training speed in tokens/s",
		Long: `train builds a freshly initialised GPT (seeded by --seed) and times full
training steps on one fixed batch of random tokens: forward, LM loss, zero
grad, backward, gradient clipping to norm 1.0 and AdamW (lr 3e-4, betas 0.9
and 0.95, weight decay 0.1 on matrices and embeddings). Training on one batch
lets the loss fall, which shows the step really learns.

--warmup steps run first and are not timed. It reports tokens/s
(batch·ctx·steps / time), ms per step, GFLOP/s, the loss of the first step
(warm-up included) and of the last, and the peak resident memory.

GFLOP/s uses an analytic count per token, 6·N + 12·L·T·C: N is the number of
parameters used in matrix multiplications (all but the position table; the
token table counts as the tied LM head), 6 FLOPs each for forward and
backward, plus the attention scores and weighted sum over the full T×T
matrix. The defaults are the reference configuration of bench/compare.sh.`,
		Example: `  align bench train
  align bench train --steps 50 --json
  align bench train --layers 2 --dim 64 --heads 2 --ctx 32 --batch 4 --steps 5`,
	}, &spec, &spec.Seed, bench.Train)
	fs := cmd.Flags()
	registerShape(fs, &spec.Shape)
	fs.IntVar(&spec.Batch, "batch", spec.Batch, "sequences per step (B)")
	fs.IntVar(&spec.Steps, "steps", spec.Steps, "timed training steps")
	fs.IntVar(&spec.Warmup, "warmup", spec.Warmup, "untimed steps before timing")
	return cmd
}

func newBenchGenerateCmd(g *globals) *cobra.Command {
	spec := bench.DefaultGenerateSpec()
	cmd := benchCommand(g, &cobra.Command{
		Use:   "generate",
		Short: "Measure sampling speed with the KV cache in new tokens/s",
		Long: `generate builds a freshly initialised GPT (seeded by --seed) and samples
--new-tokens tokens for each of --batch sequences, all in one batch with the
key/value cache. Each sequence starts from a one-token random prompt and
samples at temperature 1 from the full distribution, drawing from --seed.

One untimed warm-up generation runs first, then --runs timed ones. tokens/s
is the number of new tokens generated divided by the wall time. The model
flags default to the reference configuration of bench/compare.sh, which
compares this with a PyTorch loop that has no cache.`,
		Example: `  align bench generate
  align bench generate --batch 1 --new-tokens 127 --json`,
	}, &spec, &spec.Seed, bench.Generate)
	fs := cmd.Flags()
	registerShape(fs, &spec.Shape)
	fs.IntVar(&spec.Batch, "batch", spec.Batch, "sequences sampled together (B)")
	fs.IntVar(&spec.NewTokens, "new-tokens", spec.NewTokens, "tokens to generate per sequence; at most --ctx minus 1")
	fs.IntVar(&spec.Runs, "runs", spec.Runs, "timed generations")
	return cmd
}

func newBenchPPOCmd(g *globals) *cobra.Command {
	spec := bench.DefaultPPOSpec()
	cmd := benchCommand(g, &cobra.Command{
		Use:   "ppo",
		Short: "Measure seconds per PPO iteration and where they go",
		Long: `ppo times whole PPO iterations on a freshly initialised policy (seeded by
--seed): --prompts random prompts of --prompt-len tokens each get a response
of exactly --new-tokens tokens (no stop token) sampled with the KV cache at
temperature 1, a Go function scores them, the frozen reference and the value
model (a copy of the policy with one scalar head) evaluate them, and the
policy and value model take --epochs passes of minibatches of --mini-batch
responses (clipped PPO losses, Adam).

One untimed warm-up iteration runs first, then --iterations timed ones. The
report gives seconds per iteration and its split: generation, scoring,
reference log-probs with values and rewards, and the update.`,
		Example: `  align bench ppo
  align bench ppo --prompts 16 --new-tokens 32 --json`,
	}, &spec, &spec.Seed, bench.PPO)
	fs := cmd.Flags()
	registerShape(fs, &spec.Shape)
	fs.IntVar(&spec.Prompts, "prompts", spec.Prompts, "prompts (responses) per iteration")
	fs.IntVar(&spec.PromptLen, "prompt-len", spec.PromptLen, "tokens per random prompt")
	fs.IntVar(&spec.NewTokens, "new-tokens", spec.NewTokens, "tokens generated per response")
	fs.IntVar(&spec.MiniBatch, "mini-batch", spec.MiniBatch, "responses per gradient step; must divide --prompts")
	fs.IntVar(&spec.Epochs, "epochs", spec.Epochs, "PPO epochs per iteration")
	fs.IntVar(&spec.Iterations, "iterations", spec.Iterations, "timed iterations")
	return cmd
}

func newBenchGRPOCmd(g *globals) *cobra.Command {
	spec := bench.DefaultGRPOSpec()
	cmd := benchCommand(g, &cobra.Command{
		Use:   "grpo",
		Short: "Compare seconds per GRPO iteration with a PPO iteration of as many sampled tokens",
		Long: `grpo times GRPO iterations and PPO iterations in one run, on the same freshly
initialised policy (seeded by --seed) and the same kind of random prompts as
'align bench ppo'. Both sample --prompts × --group responses of exactly
--new-tokens tokens per iteration: GRPO answers --prompts prompts --group
times each, PPO answers --prompts × --group prompts once. Each method keeps
its own update: GRPO (ppo.GRPOConfig) has no value model and --epochs passes
(default 1), the reference KL in the loss; PPO (ppo.DefaultConfig) evaluates
and trains a value model over --ppo-epochs passes (default 4). Both take
minibatches of --mini-batch responses.

Each method runs one untimed warm-up iteration, then --iterations timed
ones. The report gives seconds per iteration of each, split into
generation, scoring, reference (log-probs, PPO's values, advantages) and the
update, and the ratio of GRPO's time to PPO's.`,
		Example: `  align bench grpo
  align bench grpo --prompts 4 --group 4 --new-tokens 32 --json`,
	}, &spec, &spec.Seed, bench.GRPO)
	fs := cmd.Flags()
	registerShape(fs, &spec.Shape)
	fs.IntVar(&spec.Prompts, "prompts", spec.Prompts, "GRPO prompts per iteration (PPO answers prompts × group)")
	fs.IntVar(&spec.Group, "group", spec.Group, "GRPO responses per prompt")
	fs.IntVar(&spec.PromptLen, "prompt-len", spec.PromptLen, "tokens per random prompt")
	fs.IntVar(&spec.NewTokens, "new-tokens", spec.NewTokens, "tokens generated per response")
	fs.IntVar(&spec.MiniBatch, "mini-batch", spec.MiniBatch, "responses per gradient step; must divide --prompts × --group")
	fs.IntVar(&spec.Epochs, "epochs", spec.Epochs, "GRPO epochs per iteration")
	fs.IntVar(&spec.PPOEpochs, "ppo-epochs", spec.PPOEpochs, "PPO epochs per iteration")
	fs.IntVar(&spec.Iterations, "iterations", spec.Iterations, "timed iterations of each method")
	return cmd
}

func newBenchDPOCmd(g *globals) *cobra.Command {
	spec := bench.DefaultDPOSpec()
	cmd := benchCommand(g, &cobra.Command{
		Use:   "dpo",
		Short: "Measure seconds per DPO step against an SFT step on the same batch",
		Long: `dpo times DPO steps on a freshly initialised policy (seeded by --seed) and
SFT steps on the same batch, one after the other, in the same run: --pairs
random pairs of a --prompt-len token prompt and two responses of
--response-len tokens. A DPO step runs the policy forward and backward over
the chosen and the rejected sequences with the reference log-probs cached
(as in training); an SFT step trains a second policy of the same shape on
the (prompt, chosen) sequences, cross-entropy on the response tokens.

--warmup untimed steps of each run first, then --steps timed ones. The
report gives seconds per step of each, split into forward, loss, backward
and AdamW, their ratio (two sequences per pair: about 2), and the one-off
time of the reference log-probs.`,
		Example: `  align bench dpo
  align bench dpo --pairs 8 --response-len 32 --json`,
	}, &spec, &spec.Seed, bench.DPO)
	fs := cmd.Flags()
	registerShape(fs, &spec.Shape)
	fs.IntVar(&spec.Pairs, "pairs", spec.Pairs, "preference pairs per step (the SFT step trains on as many sequences)")
	fs.IntVar(&spec.PromptLen, "prompt-len", spec.PromptLen, "tokens per random prompt")
	fs.IntVar(&spec.ResponseLen, "response-len", spec.ResponseLen, "tokens per response")
	fs.IntVar(&spec.Steps, "steps", spec.Steps, "timed steps of each")
	fs.IntVar(&spec.Warmup, "warmup", spec.Warmup, "untimed steps of each before timing")
	return cmd
}

func newBenchLlamaCmd(g *globals) *cobra.Command {
	spec := bench.DefaultLlamaSpec()
	cmd := benchCommand(g, &cobra.Command{
		Use:   "llama",
		Short: "Compare Llama training and KV-cache generation with PyTorch's",
		Long: `llama builds a Llama-family model of SmolLM2-135M's shape (30 layers, width
576, 9 heads, 3 key/value heads, MLP 1536, vocabulary 49152, tied
embeddings) with random weights (seeded by --seed) rounded to bfloat16, as
SmolLM2's checkpoint ships them, and times, for align and for a PyTorch
implementation (bench/pytorch_llama.py, embedded in align, run with
--python) in the same run, interleaved:

  generate   greedy decoding with the key/value cache, batch 1: a --prompt
             token random prompt, then --new-tokens tokens; tokens/s is the
             new tokens over the wall time (the prompt's pass included).
             align decodes from bfloat16 copies of the weights (float32
             arithmetic, the logits of the float32 weights) and is timed
             from the float32 weights too; PyTorch runs in float32 and with
             the model in bfloat16, and the faster counts. PyTorch's cache
             is written in the script (no transformers).
  train      --steps steps (after --warmup) of forward, LM loss, zero grad,
             backward, clipping to norm 1 and AdamW (lr 3e-4, betas 0.9 and
             0.95, weight decay 0.1 on matrices) on one fixed batch of
             --batch × --ctx random tokens.

--rounds repeats the whole interleaved sequence (each round generates from
the same weights) and keeps each side's fastest measurement, so that a burst
of load from elsewhere on the machine does not decide the ratio.

Both use --threads threads (PyTorch through torch.set_num_threads). The
peer runs under GNU OpenMP's default wait policy and under
OMP_WAIT_POLICY=PASSIVE, and the faster run of each measurement counts: on
two cores PyTorch's spinning OpenMP workers and OpenBLAS's threads can take
the cores from each other. It prints each side's tokens/s, align's over
PyTorch's, the BLAS library PyTorch loaded and both sides' GFLOP/s on a
1024² matmul. Install libopenblas0-pthread for PyTorch: Debian's reference
BLAS is about 13× slower. Without PyTorch
(--python "" or an interpreter that cannot import torch) only align runs.`,
		Example: `  align bench llama --threads 2
  align bench llama --threads 2 --rounds 3 --json
  align bench llama --layers 2 --steps 2 --new-tokens 16 --python ""`,
	}, &spec, &spec.Seed, bench.Llama)
	fs := cmd.Flags()
	fs.IntVar(&spec.Shape.Layers, "layers", spec.Shape.Layers, "blocks (L)")
	fs.IntVar(&spec.Shape.Vocab, "vocab", spec.Shape.Vocab, "vocabulary size (V)")
	fs.IntVar(&spec.Batch, "batch", spec.Batch, "training sequences per step (B)")
	fs.IntVar(&spec.Ctx, "ctx", spec.Ctx, "training sequence length (T)")
	fs.IntVar(&spec.Steps, "steps", spec.Steps, "timed training steps")
	fs.IntVar(&spec.Warmup, "warmup", spec.Warmup, "untimed training steps before timing")
	fs.IntVar(&spec.Prompt, "prompt", spec.Prompt, "prompt tokens of each generation")
	fs.IntVar(&spec.NewTokens, "new-tokens", spec.NewTokens, "greedy tokens generated after the prompt")
	fs.IntVar(&spec.Runs, "runs", spec.Runs, "timed generations")
	fs.IntVar(&spec.Rounds, "rounds", spec.Rounds, "interleaved rounds of every measurement; each side's best counts")
	fs.StringVar(&spec.Python, "python", spec.Python, "Python with PyTorch for the peer (\"\": align only)")
	fs.BoolVar(&spec.NoTrain, "no-train", false, "skip the training measurement")
	fs.BoolVar(&spec.NoGen, "no-generate", false, "skip the generation measurement")
	return cmd
}
