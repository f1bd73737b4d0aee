package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/align-project/align/checkpoint"
	"github.com/align-project/align/internal/yamlconf"
)

func newExportCmd(_ *globals) *cobra.Command {
	spec := checkpoint.ExportSpec{DType: "f32"}
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write a model directory as GGUF for llama.cpp or as a Hugging Face directory",
		Long: `export converts the model directory --model (config.json, model.safetensors,
tokenizer.json: what align's training commands write, or a GPT-2, Llama, Qwen2
or Qwen3 checkpoint saved by Hugging Face transformers) to --out in one of two
formats. A model trained with LoRA is written merged: its adapters folded into
the base weights. So is a LoRA adapter directory (adapter_config.json and
adapter_model.safetensors, as PEFT and align's LoRA runs write it): it is
read as its base model, the directory base_model_name_or_path names, with
the adapters merged in.

  gguf   one GGUF v3 file for llama.cpp's gpt2, llama, qwen2 or qwen3
         architecture, with the tokenizer inside (tokens, merges, token types, BOS/EOS, chat
         template). Matrices are F32, or F16 with --dtype f16. Scalar heads
         (reward and value heads) are left out: llama.cpp has no place for
         them. The file is read back and checked after writing.
  hf     a Hugging Face directory (config.json, model.safetensors in
         GPT2LMHeadModel's, LlamaForCausalLM's, Qwen2ForCausalLM's or
         Qwen3ForCausalLM's layout, tokenizer files, generation_config.json)
         that transformers' from_pretrained loads; --dtype f32, f16 or bf16.
         Scalar heads are kept as score.weight/score.bias.

Run the GGUF file with llama.cpp, e.g. llama-cli -m model.gguf.`,
		Example: `  align export --model runs/demo/stages/sft --format gguf --out sft.gguf
  align export --model runs/demo/stages/sft --format hf --dtype bf16 --out hf-sft`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExport(cmd, spec)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&spec.Model, "model", "", "model directory to export (required)")
	fs.StringVar(&spec.Format, "format", "", "output format: gguf or hf (required)")
	fs.StringVar(&spec.Out, "out", "", "output path: a .gguf file, or a directory for hf (required)")
	fs.StringVar(&spec.DType, "dtype", spec.DType, "storage type of the weights: f32 or f16 (gguf); f32, f16 or bf16 (hf)")
	fs.StringVar(&spec.Name, "name", "", "model name written to the GGUF metadata (default: the model directory's name)")
	return cmd
}

func runExport(cmd *cobra.Command, spec checkpoint.ExportSpec) error {
	if err := spec.Validate(); err != nil {
		return keyUsage(cmd.CommandPath(), err)
	}
	res, err := checkpoint.Export(spec)
	if ke, ok := errors.AsType[*yamlconf.KeyError](err); ok && ke.Key == "model" && !checkpoint.IsRefused(err) {
		return &hintError{err: err, hint: fmt.Sprintf("--model must name a directory with %s and %s (and %s for gguf), or a LoRA adapter directory with %s whose base_model_name_or_path is such a directory",
			checkpoint.HFConfigFile, checkpoint.HFWeightsFile, checkpoint.HFTokenizerFile, checkpoint.PEFTConfigFile)}
	}
	if err != nil {
		return err
	}
	if res.DroppedHeads > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "align: note: the %d scalar head(s) of %s are not part of the GGUF file\n", res.DroppedHeads, res.Model)
	}
	return res.WriteText(cmd.OutOrStdout())
}
