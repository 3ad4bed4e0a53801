#pragma once
// The generation engine: prefill + greedy decode over the CUDA kernels (kernels/), dense or MoA.
// Attention goes through moa_prefill (band blocks per KV head, DESIGN §4) and moa_decode against
// the heterogeneous cache (moa_cache.h); the projections are cuBLAS GEMMs on the model's bf16/fp16
// weights, q|k|v and gate|up fused into one matrix each (LlamaModel::Layer), and the decode step's
// element-wise work runs as fused kernels (moa_fused_ops.cuh). One decode step is captured as a
// CUDA graph and replayed, so a step costs one graph launch and, without stop ids, no host
// synchronisation.
//
// Batching: prompts of any lengths. Each prompt is prefilled on its own (batch 1, so the
// prefill's activations do not grow with the batch) into its row of the cache; per-sequence
// `seen` counters and RoPE positions let rows of different lengths decode together with no
// padding. Only where MOA_TORCH_HAS_CUDA (a CUDA LibTorch + the kernels) and a GPU are present;
// elsewhere generate() throws and callers use generate_greedy (generate.h) instead.
#include <cstdint>
#include <vector>

#include "core/model/llama.h"
#include "core/runtime/moa_cache.h"

namespace moa {

struct EngineOptions {
  // [layer][KV head] band blocks (kv_band_blocks()); empty = dense attention.
  std::vector<std::vector<int64_t>> band_blocks;
  std::vector<int64_t> stop_ids;  // a sequence stops after one of these (costs a sync per step)
  bool cuda_graph = true;         // replay one captured decode step
  // Benchmarks: prefill prompt 0 only and copy its cache to every row (decode cost is the same;
  // prefill time is then that of one sequence).
  bool replicate_first_prompt = false;
};

struct EngineResult {
  std::vector<std::vector<int64_t>> tokens;  // new tokens per prompt (stop token included)
  double prefill_seconds = 0, decode_seconds = 0;
  int64_t decode_steps = 0;  // steps after the prefill's token (for all rows)
  CacheLayout layout;
  int64_t kv_bytes_per_sequence = 0, kv_bytes_dense_per_sequence = 0;
  bool used_cuda_graph = false;
  double graph_capture_seconds = 0;  // host time of capture + instantiation (inside decode_seconds)
};

class Engine {
 public:
  // The model must live on a CUDA device in bf16 or fp16, head_dim 64 or 128.
  Engine(const LlamaModel& model, EngineOptions options);
  EngineResult generate(const std::vector<std::vector<int64_t>>& prompts, int64_t max_new_tokens);
  // CUDA LibTorch + kernels compiled in, and a GPU present.
  static bool available();

 private:
  const LlamaModel& model_;
  EngineOptions options_;
};

}  // namespace moa
