#pragma once
// MoA decode: one new query per sequence against the heterogeneous KV cache (moa_cache.cuh).
//
// Tensors (contiguous, element type `dtype`, 16-byte aligned rows):
//   q [B, Hq, D]; k_cache, v_cache [B, T, D] (T = total_slots = sum_h S_h); out [B, Hq, D];
//   lse [B, Hq] float32 (may be null), natural log, of scale * q·k over the valid slots.
// Query head h reads KV head h / (Hq/Hkv) (GQA; groups of up to 16 query heads).
// Valid slots of (b, KV head h) are [0, min(seen[b*Hkv+h], S_h)) — call moa_cache_append for the
// new token first, so the query attends itself. A sequence with no valid slot gives out = 0, lse = -inf.
// Work split: each CTA takes one (b, KV head) and a chunk of slots (split-K); partial results go
// to `workspace` (float32) and a second small kernel merges them by log-sum-exp. When one chunk
// covers every span the CTAs write `out` directly and no workspace is needed.
#include <cstddef>
#include <cstdint>

#include "kernels/types.cuh"

namespace moa::kernels {

struct DecodeArgs {
  const void* q = nullptr;
  size_t q_row_stride = 0;  // elements from q's row b to row b+1 (0: Hq * D; more in a fused q|k|v row)
  const void* k_cache = nullptr;
  const void* v_cache = nullptr;
  void* out = nullptr;
  float* lse = nullptr;
  const int32_t* head_offset = nullptr;  // [Hkv] device
  const int32_t* head_span = nullptr;    // [Hkv] device
  const int32_t* seen = nullptr;         // [B*Hkv] device
  int batch = 1, num_q_heads = 1, num_kv_heads = 1, head_dim = 128;
  int total_slots = 0;
  int max_span = 0;  // max_h S_h (host value: sizes the split grid)
  DType dtype = DType::bf16;
  float scale = 1.0f;
  void* workspace = nullptr;  // device, moa_decode_workspace_bytes(args) bytes (may be 0)
  size_t workspace_bytes = 0;
  int chunk_slots = 0;  // 0: chosen from the shape and the SM count; else a multiple of 128
};

// Workspace needed for the split-K partial results of this shape (0 when no split is needed).
size_t moa_decode_workspace_bytes(const DecodeArgs& args);

void moa_decode(const DecodeArgs& args, void* stream);

}  // namespace moa::kernels
