// Package tensor holds align's fp32 compute kernels: matrix multiplication in
// the layouts a transformer's forward and backward passes need, the fused row
// kernels (layernorm, GELU, softmax, causal attention, cross-entropy; and for
// Llama-family models RMSNorm, rotary embeddings and SwiGLU), AdamW and
// gradient clipping, all running on one persistent worker pool.
//
// Slices are row-major. Dimension names follow the model package: B batch,
// T time, C channels, V vocabulary, NH heads. Results are deterministic for a
// given thread count: every output element is produced by exactly one worker
// in a fixed order, and reductions use a fixed partition.
package tensor
