package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/align-project/align/checkpoint"
)

type exportFlags struct {
	model, format, out, dtype, name string
}

func newExportCmd(_ *globals) *cobra.Command {
	var f exportFlags
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write a model directory as GGUF for llama.cpp or as a Hugging Face directory",
		Long: `export converts the model directory --model (config.json, model.safetensors,
tokenizer.json: what align's training commands write, or a GPT-2 checkpoint
saved by Hugging Face transformers) to --out in one of two formats:

  gguf   one GGUF v3 file for llama.cpp's gpt2 architecture, with the
         tokenizer inside (tokens, merges, token types, BOS/EOS, chat
         template). Matrices are F32, or F16 with --dtype f16. Scalar heads
         (reward and value heads) are left out: llama.cpp has no place for
         them. The file is read back and checked after writing.
  hf     a Hugging Face directory (config.json, model.safetensors in
         GPT2LMHeadModel's layout, tokenizer files, generation_config.json)
         that transformers' from_pretrained loads; --dtype f32, f16 or bf16.
         Scalar heads are kept as score.weight/score.bias.

Run the GGUF file with llama.cpp, e.g. llama-cli -m model.gguf.`,
		Example: `  align export --model runs/demo/stages/sft --format gguf --out sft.gguf
  align export --model runs/demo/stages/sft --format hf --dtype bf16 --out hf-sft`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExport(cmd, f)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.model, "model", "", "model directory to export (required)")
	fs.StringVar(&f.format, "format", "", "output format: gguf or hf (required)")
	fs.StringVar(&f.out, "out", "", "output path: a .gguf file, or a directory for hf (required)")
	fs.StringVar(&f.dtype, "dtype", "f32", "storage type of the weights: f32 or f16 (gguf); f32, f16 or bf16 (hf)")
	fs.StringVar(&f.name, "name", "", "model name written to the GGUF metadata (default: the model directory's name)")
	return cmd
}

func runExport(cmd *cobra.Command, f exportFlags) error {
	path := cmd.CommandPath()
	for _, req := range []struct{ flag, v string }{{"--model", f.model}, {"--format", f.format}, {"--out", f.out}} {
		if req.v == "" {
			return usageErrorf(path, "", "%s is required", req.flag)
		}
	}
	dtypes := map[string]checkpoint.DType{"f32": checkpoint.F32, "f16": checkpoint.F16, "bf16": checkpoint.BF16}
	dt, ok := dtypes[strings.ToLower(f.dtype)]
	switch {
	case f.format != "gguf" && f.format != "hf":
		return usageErrorf(path, "use --format gguf (llama.cpp) or --format hf (Hugging Face)", "unknown --format %q", f.format)
	case !ok || (f.format == "gguf" && dt == checkpoint.BF16):
		return usageErrorf(path, "", "--dtype %q is not supported for --format %s", f.dtype, f.format)
	}

	hm, err := checkpoint.LoadHF(f.model)
	if err != nil {
		return &hintError{err: err, hint: fmt.Sprintf("--model must name a directory with %s and %s", checkpoint.HFConfigFile, checkpoint.HFWeightsFile)}
	}
	m := hm.Model
	cfg := m.Config
	w := cmd.OutOrStdout()
	switch f.format {
	case "gguf":
		if hm.Tokenizer == nil {
			return &hintError{err: fmt.Errorf("export: %s has no tokenizer, which a GGUF file must contain", f.model),
				hint: "add the tokenizer.json the model was trained with to the model directory"}
		}
		name := f.name
		if name == "" {
			abs, _ := filepath.Abs(f.model)
			name = filepath.Base(abs)
		}
		if dir := filepath.Dir(f.out); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("export: %w", err)
			}
		}
		if err := checkpoint.ExportGGUF(f.out, m, hm.Tokenizer, checkpoint.GGUFExportOptions{Name: name, F16: dt == checkpoint.F16}); err != nil {
			return err
		}
		if cfg.ScalarHeads > 0 {
			fmt.Fprintf(cmd.ErrOrStderr(), "align: note: the %d scalar head(s) of %s are not part of the GGUF file\n", cfg.ScalarHeads, f.model)
		}
	case "hf":
		if err := checkpoint.SaveHF(f.out, m, hm.Tokenizer, checkpoint.HFOptions{Align: hm.Align, DType: dt}); err != nil {
			return err
		}
	}
	size := ""
	if st, err := os.Stat(f.out); err == nil && !st.IsDir() {
		size = fmt.Sprintf(", %.1f MB", float64(st.Size())/1e6)
	}
	fmt.Fprintf(w, "exported %s (GPT-2 L%d C%d NH%d T%d V%d, %d parameters) to %s (%s, %s%s)\n",
		f.model, cfg.Layers, cfg.Channels, cfg.Heads, cfg.Context, cfg.VocabSize, cfg.NumParams(), f.out, f.format, strings.ToLower(f.dtype), size)
	return nil
}
