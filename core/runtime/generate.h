#pragma once
// Greedy generation with stop tokens and batching (left padding), with or without a KV cache.
#include <cstdint>
#include <vector>

#include "core/model/llama.h"

namespace moa {

struct GenerateOptions {
  int64_t max_new_tokens = 32;
  std::vector<int64_t> stop_ids;  // generation of a sequence ends after emitting one of these
  bool use_cache = true;          // false: re-run the whole sequence every step (reference)
  int64_t pad_id = 0;             // id placed in left padding (masked out, any valid id)
};

struct GenerateResult {
  std::vector<std::vector<int64_t>> tokens;  // new tokens per prompt, stop token included
  double prefill_seconds = 0, decode_seconds = 0;
  int64_t decode_steps = 0;
};

GenerateResult generate_greedy(const LlamaModel& model, const std::vector<std::vector<int64_t>>& prompts,
                               AttentionBackend& attention, const GenerateOptions& options);

}  // namespace moa
