// Package checkpoint reads and writes the files a trained model lives in.
//
// This file-format layer knows nothing about the model; it moves named
// float32 tensors in and out of two formats:
//
//   - safetensors (Hugging Face): an 8-byte little-endian header length, a JSON
//     header {name: {dtype, shape, data_offsets}} with an optional
//     "__metadata__" string map, then raw little-endian tensor bytes.
//     [WriteSafetensors] streams F32/F16/BF16 tensors to any io.Writer;
//     [OpenSafetensors] and [ParseSafetensors] validate a file strictly and read
//     tensors lazily, converting F16 and BF16 to float32.
//   - GGUF v3 (llama.cpp): typed metadata key/values, tensor infos with ggml
//     dimensions, aligned tensor data. [WriteGGUF] streams a file;
//     [OpenGGUF] and [ParseGGUF] check every field against the spec and give
//     metadata, tensor infos and lazy tensor data. [GPT2GGUF] lays out a
//     GPT-2 checkpoint (Hugging Face tensor names) under llama.cpp's "gpt2"
//     architecture names, keys and orientations; [GGUF] lays out a
//     Llama-family model for llama.cpp's "llama", "qwen2" or "qwen3"
//     (gguf_llama.go: [LlamaGGUFArch], q and k interleaved for "llama").
//
// Shapes are always given in row-major (numpy) order, outermost dimension
// first; GGUF stores them reversed (ggml order, innermost first), which
// [GGUFTensorInfo] exposes as Dims next to Shape.
//
// A model directory ([SaveHF], [LoadHF]) is Hugging Face's layout of a GPT-2
// (hf_gpt2.go) or of a Llama, Qwen2 or Qwen3 model (hf_llama.go: config.json
// mapped to model.Config, the fused q/k/v split into q_proj, k_proj and
// v_proj, one model.safetensors or shards with model.safetensors.index.json).
// It records in config.json's align
// section what it is, a [Kind]: policy, reward model or value model.
// [LoadKind] and [LoadPolicy] refuse another kind with a [*KindError];
// directories that record none are told by their scalar heads. Weights that
// hold a NaN or an infinity are refused on load with a [*NonFiniteError].
//
// LoRA adapters are saved and loaded in PEFT's layout ([SaveLoRA],
// [LoadLoRA]: adapter_config.json and adapter_model.safetensors, tensors
// named base_model.model.<module>.lora_A.weight and lora_B.weight); a
// reward or value model's trained scalar heads go with them as PEFT's
// modules_to_save (base_model.model.score.weight). [SaveHF] and [GGUF]
// write a model with adapters merged. [LoadHF] (and so [LoadKind] and
// [LoadPolicy]) reads an adapter directory as its base model, named by
// base_model_name_or_path, with the adapters merged in. A training state
// ([SaveTrainState]) of a LoRA run holds the adapters (and heads) and their
// moments only; [TrainState.RestoreInto] puts them back onto the base.
//
// Files are written atomically with [WriteFileAtomic]: a temporary file in the
// same directory, fsync, rename. Readers never panic on corrupt input; their
// errors name the file and the tensor or field at fault.
package checkpoint
