#pragma once
// Sizes of the heterogeneous KV cache (DESIGN §4), torch-free so the GUI and the CLI can show
// them. Per layer, K and V of all KV heads share one buffer [B, sum_h S_h, D]; KV head h owns
// slots [offset[h], offset[h] + S_h): a 64-token sink, then a ring of S_h - 64 slots
// (kernels/moa_cache.cuh has the ring convention).
//
// S_h = 64 + 64 * k_h, k_h = the head's band blocks at the expected total length, capped at the
// total length (a ring that never wraps holds everything). Dense mode is the same structure with
// S_h = total length: the decode kernel then reads every token.
#include <cstdint>
#include <vector>

namespace moa {

struct CacheLayout {
  int num_layers = 0, num_kv_heads = 0, head_dim = 0;
  int64_t total_length = 0;  // tokens a sequence may reach (prompt + new tokens)
  bool dense = false;
  std::vector<std::vector<int32_t>> span;    // [layer][kv head] S_h
  std::vector<std::vector<int32_t>> offset;  // [layer][kv head] first slot
  std::vector<int32_t> slots;                // [layer] sum_h S_h
  std::vector<int32_t> max_span;             // [layer] max_h S_h

  // K + V bytes one sequence occupies over all layers (element_bytes: 2 for bf16/fp16).
  int64_t bytes_per_sequence(int element_bytes = 2) const;
  // The same for a dense cache of total_length tokens, for comparison.
  int64_t dense_bytes_per_sequence(int element_bytes = 2) const;
  // K + V bytes the decode step reads for one sequence when it has `seen` tokens.
  int64_t bytes_read_per_sequence(int64_t seen, int element_bytes = 2) const;
};

// kv_band_blocks[layer][kv head] (>= 1). Throws moa::Error on empty or non-positive entries.
CacheLayout cache_layout_moa(const std::vector<std::vector<int64_t>>& kv_band_blocks, int head_dim,
                             int64_t total_length);
CacheLayout cache_layout_dense(int num_layers, int num_kv_heads, int head_dim, int64_t total_length);

// Band blocks per query head ([layer][query head], as plan_band_blocks returns) to per KV head.
// The cache is per KV head, so the query heads of a group must agree; throws moa::Error naming
// the first layer/group that does not (an MHA-expanded plan with mixed rules in a group).
std::vector<std::vector<int64_t>> kv_band_blocks(const std::vector<std::vector<int64_t>>& per_query_head,
                                                 int num_kv_heads);

// Uniform band blocks = round(density * total_length / 64) - 1 (the sink is one of the kept
// blocks), at least 1: a plan of that density at total_length.
std::vector<std::vector<int64_t>> uniform_band_blocks(int num_layers, int num_kv_heads, double density,
                                                      int64_t total_length);

}  // namespace moa
