package cli

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/serve"
)

type serveFlags struct {
	model, addr string
	cfg         serve.Config
}

func newServeCmd(g *globals) *cobra.Command {
	f := serveFlags{cfg: serve.Defaults()}
	cmd := &cobra.Command{
		Use:   "serve --model DIR [--addr 127.0.0.1:8000]",
		Short: "Serve a model over an OpenAI-compatible HTTP API",
		Long: `serve answers OpenAI's API for the model directory --model (config.json,
model.safetensors, tokenizer.json), so any OpenAI client, or align label
--judge openai, can use it:

  POST /v1/chat/completions   chat with the tokenizer's chat template; "stream": true
                              for Server-Sent Events, logprobs/top_logprobs, n, stop,
                              seed, temperature, top_p, top_k, max_tokens
  POST /v1/completions        plain continuation of a prompt
  GET  /v1/models             the model's id (--name, default the directory's name)
  GET  /metrics               Prometheus metrics: requests, tokens, latency, queue, batch
  GET  /health                liveness

Concurrent requests are decoded together, up to --max-batch sequences per step;
up to --max-queue more wait, beyond that requests get 429. Requests with a seed
are reproducible. Ctrl-C or SIGTERM stops accepting connections and lets requests
in flight finish (at most --shutdown-timeout).

It listens on this machine only (127.0.0.1) unless --addr says otherwise, e.g.
0.0.0.0:8000; then set --api-key (or ALIGN_SERVE_API_KEY), which clients send as
"Authorization: Bearer KEY". POST bodies must be Content-Type: application/json.
A client must send a request within --read-timeout and read each write of the
answer within --write-timeout; long generations and streams are not cut.`,
		Example: `  align serve --model runs/demo/stages/sft --addr 127.0.0.1:8000
  curl localhost:8000/v1/chat/completions -H 'Content-Type: application/json' \
    -d '{"model": "sft", "messages": [{"role": "user", "content": "Hello!"}]}'
  align label --judge openai --base-url http://localhost:8000/v1 --model sft --in pairs.jsonl --out prefs.jsonl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd, g, f)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.model, "model", "", "model directory to serve (required)")
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8000", "listen address (0.0.0.0:8000 for other machines too; set --api-key then)")
	fs.StringVar(&f.cfg.ModelName, "name", "", "model id clients send (default: the model directory's name)")
	fs.StringVar(&f.cfg.APIKey, "api-key", "", "require this bearer token (default: env ALIGN_SERVE_API_KEY; empty: no auth)")
	fs.IntVar(&f.cfg.MaxBatch, "max-batch", f.cfg.MaxBatch, "sequences decoded together; the key/value cache holds max-batch × max-context tokens")
	fs.IntVar(&f.cfg.MaxQueue, "max-queue", f.cfg.MaxQueue, "requests that may wait for a slot before new ones get 429")
	fs.IntVar(&f.cfg.MaxContext, "max-context", 0, "prompt + completion tokens per sequence (default: the model's context)")
	fs.IntVar(&f.cfg.MaxN, "max-n", 0, "most choices (n) per request (default: --max-batch)")
	fs.Int64Var(&f.cfg.MaxBodyBytes, "max-body", f.cfg.MaxBodyBytes, "largest request body in bytes (413 beyond)")
	fs.DurationVar(&f.cfg.ShutdownTimeout, "shutdown-timeout", f.cfg.ShutdownTimeout, "how long to let requests in flight finish on shutdown")
	fs.DurationVar(&f.cfg.ReadHeaderTimeout, "read-header-timeout", f.cfg.ReadHeaderTimeout, "how long a client may take to send a request's headers")
	fs.DurationVar(&f.cfg.ReadTimeout, "read-timeout", f.cfg.ReadTimeout, "how long a client may take to send a whole request, body included (408 beyond)")
	fs.DurationVar(&f.cfg.WriteTimeout, "write-timeout", f.cfg.WriteTimeout, "how long one write of an answer may wait for a client that does not read")
	fs.DurationVar(&f.cfg.IdleTimeout, "idle-timeout", f.cfg.IdleTimeout, "how long a kept-alive connection may wait for its next request")
	return cmd
}

func runServe(cmd *cobra.Command, g *globals, f serveFlags) error {
	path := cmd.CommandPath()
	if f.model == "" {
		return usageErrorf(path, "", "--model is required")
	}
	if err := f.cfg.Validate(); err != nil {
		return keyUsage(path, err)
	}
	if f.cfg.APIKey == "" {
		f.cfg.APIKey = os.Getenv("ALIGN_SERVE_API_KEY")
	}
	f.cfg.Seed = g.seed
	s, err := serve.Load(f.model, f.cfg)
	if err != nil {
		if checkpoint.IsRefused(err) {
			return err // it names the fix
		}
		return &hintError{err: err, hint: fmt.Sprintf("--model must name a directory with %s, %s and %s, or a LoRA adapter directory with %s whose base_model_name_or_path is such a directory",
			checkpoint.HFConfigFile, checkpoint.HFWeightsFile, checkpoint.HFTokenizerFile, checkpoint.PEFTConfigFile)}
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		s.Close()
		return &hintError{err: fmt.Errorf("serve: %w", err), hint: "pick another --addr, e.g. 127.0.0.1:8001"}
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := s.Config()
	fmt.Fprintf(cmd.OutOrStdout(), "align serve: serving %q on http://%s/v1 (batch %d, queue %d, context %d)\n",
		c.ModelName, ln.Addr(), c.MaxBatch, c.MaxQueue, c.MaxContext)
	if s.Exposed(ln.Addr()) {
		fmt.Fprintf(cmd.ErrOrStderr(), "align: warning: %s takes requests from other machines and has no API key: anyone who can reach it can use the model; set --api-key or ALIGN_SERVE_API_KEY, or --addr 127.0.0.1:PORT\n", ln.Addr())
	}
	if err := s.Serve(ctx, ln); err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), "align serve: shut down")
	return nil
}
